"""Shared fixtures: a real simulator on a loopback port, and a service connected to it."""

from __future__ import annotations

import contextlib
import gc
import time
from collections.abc import AsyncIterator, Iterator

import pytest

from sfmonitor.bulk.auth import StaticToken
from sfmonitor.bulk.service import BulkService
from sfmonitor.bulk.transport import Transport
from sfmonitor.simulator.faults import FaultSpec
from sfmonitor.simulator.server import Simulator


def pytest_configure(config: pytest.Config) -> None:
    """Python's default thresholds walk a test worker's whole heap (every module and test collected,
    each app's widgets) in a full collection about once a test: ~90 ms each, a fifth of the UI tests'
    CPU. Young garbage is still collected, in larger steps; tests that count what is left behind
    call ``gc.collect()`` themselves, and the dashboard's own collector (ui/gc_pauses) is unchanged."""
    gc.set_threshold(7000, 20, 20)


@pytest.fixture(autouse=True)
def _no_user_environment(monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory) -> None:
    """Keep the developer's own org settings and folders out of every test."""
    for name in ("SF_INSTANCE_URL", "SF_ACCESS_TOKEN", "SF_TARGET_ORG", "SF_CA_BUNDLE", "SF_API_VERSION"):
        monkeypatch.delenv(name, raising=False)
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / "config"))
    monkeypatch.setenv("XDG_STATE_HOME", str(home / "state"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(home / "cache"))
    monkeypatch.setenv("XDG_DATA_HOME", str(home / "data"))  # the history


@pytest.fixture
def utc(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The local time zone is UTC for the test (screens that write local times, drawn alike anywhere)."""
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


@pytest.fixture
def sim() -> Iterator[Simulator]:
    """A seeded org at 60x speed (a minute a second), with no jobs spawned behind the tests' backs."""
    with Simulator(speed=60, spawn_every=0) as simulator:
        yield simulator


@pytest.fixture
def quiet_sim() -> Iterator[Simulator]:
    """An empty org at 60x speed: the only jobs in it are the test's own (so are its alerts)."""
    with Simulator(speed=60, spawn_every=0, seeded=False) as simulator:
        yield simulator


@pytest.fixture
def fast_sim() -> Iterator[Simulator]:
    """An empty org at 600x speed, for clients that create and wait for their own jobs."""
    with Simulator(speed=600, spawn_every=0, seeded=False) as simulator:
        yield simulator


def make_sim(*, held: bool | None = None, **kwargs: object) -> Simulator:
    """A started simulator; ``held=False`` keeps its faults off until the test calls ``sim.faults.hold(True)``."""
    kwargs.setdefault("spawn_every", 0)
    faults = kwargs.pop("faults", None)
    sim = Simulator(faults=faults if isinstance(faults, FaultSpec) else None, **kwargs)  # type: ignore[arg-type]
    sim.faults.hold(held)
    return sim.start()


@contextlib.asynccontextmanager
async def connected(sim: Simulator, **transport: int) -> AsyncIterator[BulkService]:
    """A BulkService signed in to ``sim`` (``transport``: Transport's bounds, e.g. max_body), closed after."""
    link = Transport(StaticToken(sim.base_url, sim.token), **transport)  # type: ignore[arg-type]
    svc = BulkService(link)
    await svc.connect()
    try:
        yield svc
    finally:
        await link.aclose()


@pytest.fixture
async def service(sim: Simulator) -> AsyncIterator[BulkService]:
    async with connected(sim) as svc:
        yield svc


def find_job(sim: Simulator, api: str, state: str, running: bool = True) -> str:
    """The id of a seeded job of this API in this state (still owing work, unless ``running`` is False).
    Of several, the one furthest from its end: at 60x a job minutes from its end is gone in seconds,
    and a loaded machine must not see it end between being chosen and being acted on."""
    with sim.world.lock:
        t = sim.world.clock.now()
        found = [job for job in sim.world.jobs.values()
                 if job.api == api and job.state == state and (not running or not job.done_at(t))]  # fmt: skip
    if not found:
        raise LookupError((api, state))
    return max(found, key=lambda job: (job.plan.end() or 0.0) if job.plan else 0.0).id


def writes(sim: Simulator, job_id: str) -> list[tuple[str, str, int]]:
    """The close/abort requests the simulator received for this job."""
    return [e for e in list(sim.log) if e[0] in ("POST", "PATCH") and e[1].endswith(job_id)]


def add_failed_rows_job(sim: Simulator, rows: list[tuple[dict[str, str], str]], state: str = "JobComplete") -> str:
    """A finished Bulk 2.0 ingest job whose rows fared as given (error "" = success; else the org's
    ``CODE:message:fields --`` text): hostile errors and inputs the seeded mix never makes."""
    from sfmonitor.simulator.recipe import ingest_job
    from sfmonitor.simulator.records import RowResult

    outcomes = [RowResult(row, not error, not error, "003000000000001AAA" if not error else "", error)
                for row, error in rows]  # fmt: skip
    with sim.world.lock:
        now = sim.world.clock.now()
        job = ingest_job(sim.world, now, created=now - 3600, total=len(rows), rate=1000, start=now - 3500,
                         outcomes=outcomes)  # fmt: skip
        assert job.state == state, job.state
        return job.id


def add_classic_job(
    sim: Simulator,
    sizes: list[int],
    *,
    content_type: str = "CSV",
    fail_permille: int = 100,
    whole_failure: int | None = None,
    rate: float = 100.0,
    state: str = "Closed",
    started_ago: float = 3600.0,
) -> str:
    """A Bulk 1.0 insert job of small seeded batches (rows and errors from the simulator's mix):
    ``whole_failure`` is the index of a batch that fails as a whole a third of the way in. Batches run
    one after another at ``rate`` rows a simulated second from ``started_ago`` seconds before now."""
    from sfmonitor.simulator.recipe import BatchSpec, classic_job
    from sfmonitor.simulator.world import Plan

    specs = []
    for i, size in enumerate(sizes):
        plan = Plan(total=size, rate=rate, fail_permille=fail_permille)
        if i == whole_failure:
            plan.fail_at, plan.fail_message = 0.3, "InvalidBatch : Failed to process query: UNABLE_TO_LOCK_ROW"
        specs.append(BatchSpec(plan))
    with sim.world.lock:
        now = sim.world.clock.now()
        return classic_job(sim.world, now, created=now - started_ago, batches=specs, state=state,
                           content_type=content_type, queue_delay=1.0, serial=True).id  # fmt: skip


def add_running_ingest_job(
    sim: Simulator, total: int, rate: float, *, running_for: float, fail_permille: int = 100
) -> str:
    """A Bulk 2.0 ingest job of seeded rows, ``running_for`` simulated seconds into its work."""
    from sfmonitor.simulator.recipe import ingest_job

    with sim.world.lock:
        now = sim.world.clock.now()
        return ingest_job(sim.world, now, created=now - running_for - 5, total=total, rate=rate,
                          start=now - running_for, fail_permille=fail_permille).id  # fmt: skip


def add_open_upload(sim: Simulator, age_s: float) -> str:
    """A Bulk 2.0 ingest job created ``age_s`` simulated seconds ago and never uploaded (state Open)."""
    from sfmonitor.simulator.recipe import ingest_job

    with sim.world.lock:
        now = sim.world.clock.now()
        return ingest_job(sim.world, now, created=now - age_s, total=0, rate=0.0, state="Open").id
