"""The first cycle of an org with a long history: the jobs it is working on are read as their listing
page arrives, and shown with their counts before the listing has ended (over real sockets; the last
listing page is held back until the test has seen them, so this is an order, not a timing)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from sfmonitor.bulk.models import Job, JobKind
from sfmonitor.bulk.service import BulkService
from sfmonitor.bulk.transport import Transport
from sfmonitor.monitor.poller import Poller
from sfmonitor.simulator.bulk import add_finished_ingest_jobs
from sfmonitor.simulator.recipe import BatchSpec, classic_job, ingest_job
from sfmonitor.simulator.server import Simulator
from sfmonitor.simulator.world import Plan
from tests.conftest import connected

PAGE = 5  # jobs a listing page: 30 finished jobs and the live ones take seven ingest pages


def long_history(sim: Simulator) -> set[str]:
    """30 finished ingest jobs, and three live jobs among them (two older than every finished one,
    so on the first ingest page; one between, on a middle page): the live jobs' ids."""
    sim.api.page_size = PAGE
    add_finished_ingest_jobs(sim.world, 30)  # created 3,600 s ago and earlier, a second apart
    with sim.world.lock:
        now = sim.world.clock.now()
        old = ingest_job(sim.world, now, created=now - 7200, total=10**9, rate=100, start=now - 60)
        between = ingest_job(sim.world, now, created=now - 3615.5, total=10**9, rate=100, start=now - 60)
        classic = classic_job(sim.world, now, created=now - 7100,
                              batches=[BatchSpec(Plan(total=10**6, rate=2)) for _ in range(3)])  # fmt: skip
    return {old.id, between.id, classic.id}


def held_history(sim: Simulator, monkeypatch: pytest.MonkeyPatch) -> tuple[set[str], list[str], asyncio.Event]:
    """An org with a long history (seven ingest pages) whose last listing page waits for the test:
    its live jobs, the events as they happen, and the event that lets the last page go."""
    live = long_history(sim)
    events: list[str] = []
    release = asyncio.Event()
    holding_last_ingest_page(monkeypatch, events, release, pages=7)
    return live, events, release


def holding_last_ingest_page(
    monkeypatch: pytest.MonkeyPatch, events: list[str], release: asyncio.Event, pages: int
) -> None:
    """Every Transport's request for the ``pages``-th ingest listing page waits for ``release``."""
    real = Transport.request
    asked = [0]

    async def request(self: Transport, method: str, path: str, **kwargs: Any) -> Any:
        if method == "GET" and path.endswith("/jobs/ingest"):
            asked[0] += 1
            if asked[0] == pages:
                events.append("last page held")
                await release.wait()
                events.append("last page asked")
                answer = await real(self, method, path, **kwargs)
                events.append("last page answered")
                return answer
        return await real(self, method, path, **kwargs)

    monkeypatch.setattr(Transport, "request", request)


def all_read(live: set[str]) -> Callable[[dict[str, Job]], bool]:
    return lambda jobs: all(job_id in jobs and jobs[job_id].number_records_processed is not None for job_id in live)


async def _first_cycle(
    service: BulkService, live: set[str], events: list[str], release: asyncio.Event
) -> tuple[list[dict[str, Job]], Awaitable[Any]]:
    told: list[dict[str, Job]] = []
    shown = asyncio.Event()

    def on_progress(jobs: dict[str, Job]) -> None:
        told.append(jobs)
        if all_read(live)(jobs) and not shown.is_set():
            events.append("live jobs shown with counts")
            shown.set()

    cycle = asyncio.ensure_future(Poller(service).cycle(on_progress=on_progress))
    try:
        await asyncio.wait_for(shown.wait(), timeout=15)
    except TimeoutError:
        raise AssertionError(f"the live jobs were not shown read while the listing went on: {events}") from None
    finally:
        release.set()
    return told, cycle


async def test_the_first_cycle_shows_the_live_jobs_with_counts_before_the_listing_ends(
    quiet_sim: Simulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    live, events, release = held_history(quiet_sim, monkeypatch)
    async with connected(quiet_sim) as service:
        told, cycle = await _first_cycle(service, live, events, release)
        snapshot = await cycle
    assert events.index("live jobs shown with counts") < events.index("last page answered")
    assert service.pages[JobKind.INGEST] == 7
    shown = next(jobs for jobs in told if all_read(live)(jobs))
    assert len(shown) < len(snapshot.jobs)  # told while rows were still to come
    assert not any(shown[job_id].finished for job_id in live)
    # the cycle's snapshot has every job, the live ones read once (not again after the listing)
    assert all_read(live)(snapshot.jobs) and len(snapshot.jobs) == 33
    reads = [path for method, path, _ in quiet_sim.log if method == "GET" and any(j in path for j in live)]
    info_reads = [path for path in reads if not path.endswith("/batch")]
    assert sorted(path.rsplit("/", 1)[-1] for path in info_reads) == sorted(live)


async def test_jobs_remembered_as_running_are_read_before_the_listing_answers(
    quiet_sim: Simulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The history file's running jobs (first_reads) are read as the first cycle starts: their counts
    are told while the listing's first page is still held; one the org no longer has is left out."""
    from sfmonitor.monitor.snapshot import read_snapshot

    live = long_history(quiet_sim)
    async with connected(quiet_sim) as service:
        remembered = [job for job in (await read_snapshot(service)).jobs.values() if not job.finished]
    gone = Job.from_fields({"id": "750000000000099AAA", "jobType": "V2Ingest", "state": "InProgress"})
    events: list[str] = []
    release = asyncio.Event()
    before = len(quiet_sim.log)
    holding_last_ingest_page(monkeypatch, events, release, pages=1)  # the ingest listing's first page
    async with connected(quiet_sim) as service:
        shown = asyncio.Event()

        def on_progress(jobs: dict[str, Job]) -> None:
            if all_read(live)(jobs):
                shown.set()

        cycle = asyncio.ensure_future(Poller(service).cycle(on_progress=on_progress, first_reads=[*remembered, gone]))
        try:
            await asyncio.wait_for(shown.wait(), timeout=15)
            assert events == ["last page held"]  # the ingest listing has not answered a page yet
        finally:
            release.set()
        snapshot = await cycle
    assert all_read(live)(snapshot.jobs) and len(snapshot.jobs) == 33
    assert gone.id not in snapshot.jobs and gone.id not in snapshot.errors  # left the org: no row, no error
    log = list(quiet_sim.log)[before:]
    reads = [path for method, path, _ in log if method == "GET" and any(j in path for j in live)]
    assert sorted(p.rsplit("/", 1)[-1] for p in reads if not p.endswith("/batch")) == sorted(live)  # once each


async def test_a_remembered_running_job_whose_early_read_fails_is_never_told_as_read(
    quiet_sim: Simulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The history file's running job is read first; its read fails (not a 404): the memory's values
    are never told as the org's row (they stay the memory's, marked), and the cycle's snapshot has the
    listing's row for it, marked unread."""
    from sfmonitor.bulk.errors import TransportError
    from sfmonitor.monitor.snapshot import read_snapshot

    long_history(quiet_sim)
    async with connected(quiet_sim) as service:
        remembered = [job for job in (await read_snapshot(service)).jobs.values() if not job.finished]
    failing = next(job for job in remembered if job.kind is JobKind.INGEST)
    real = Transport.request

    async def request(self: Transport, method: str, path: str, **kwargs: Any) -> Any:
        if method == "GET" and path.endswith("/" + failing.id):
            raise TransportError("connection reset while reading the job")
        return await real(self, method, path, **kwargs)

    monkeypatch.setattr(Transport, "request", request)
    told: list[dict[str, Job]] = []
    async with connected(quiet_sim) as service:
        snapshot = await Poller(service).cycle(on_progress=told.append, first_reads=remembered)
    assert told
    assert not any(jobs.get(failing.id) is failing for jobs in told)  # never the memory's values as read
    assert failing.id in snapshot.errors
    assert snapshot.jobs[failing.id] is not failing  # the listing's row, not the memory's
