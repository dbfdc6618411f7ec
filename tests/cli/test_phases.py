"""One model of a job's life (issue 21), over real sockets: ``status`` says each job's phase and
counts as the dashboard does; ``wait --running`` waits on running jobs only (not on Bulk 1.0 jobs that
ended days ago, nor on jobs only their client can move); ``wait JOB`` on a job waiting on its client
ends at once with exit 10, naming it and why."""

from __future__ import annotations

import asyncio
import json
import re
import time
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from sfmonitor.monitor.index import JobIndex
from sfmonitor.monitor.phase import outcome, phase, working
from sfmonitor.monitor.poller import Poller
from sfmonitor.monitor.totals import totals
from sfmonitor.simulator.server import Simulator
from sfmonitor.simulator.world import Batch, Clock, Plan
from tests.cli.test_commands import run
from tests.conftest import add_classic_job, add_open_upload, add_running_ingest_job, connected


def env_of(sim: Simulator) -> dict[str, str]:
    return {"SF_INSTANCE_URL": sim.base_url, "SF_ACCESS_TOKEN": sim.token}


def add_pk_chunked_query(sim: Simulator) -> str:
    """A Bulk 1.0 PK-chunked query whose chunks completed: its original batch is NotProcessed by design."""
    job_id = add_classic_job(sim, [5, 5, 5], fail_permille=0, state="Closed")
    with sim.world.lock:
        job = sim.world.jobs[job_id]
        job.operation, job.pk_chunk_size = "query", 100_000
        original = Batch(id=sim.world.next_id("751"), job=job, created=job.created, plan=Plan(total=0, rate=1))
        original.override, original.override_at = "NotProcessed", job.created
        job.batches.insert(0, original)
    return job_id


def add_the_ones_that_diverged(sim: Simulator) -> dict[str, str]:
    """The jobs of the issue: ended Bulk 1.0 jobs a listing cannot tell from running ones, and jobs
    only their client can move."""
    return {
        "closed_done": add_classic_job(sim, [5, 5], fail_permille=0, state="Closed"),
        "one_batch_failed": add_classic_job(sim, [20], whole_failure=0, state="Closed"),
        "pk_chunked": add_pk_chunked_query(sim),
        "nobody_closed": add_classic_job(sim, [5, 5], fail_permille=0, state="Open"),
        "never_uploaded": add_open_upload(sim, age_s=3 * 86_400),
    }


@pytest.fixture
def frozen_sim() -> Iterator[Simulator]:
    """The seeded org with time stopped: ``status`` and the dashboard's reader see the same jobs."""
    with Simulator(speed=1, spawn_every=0, clock=Clock(frozen=True)) as simulator:
        yield simulator


async def dashboard_view(sim: Simulator) -> tuple[dict[str, str], dict[str, str | None], tuple[int, int], str]:
    """What the dashboard's own reader (one Poller cycle, the JobIndex) makes of the org: each job's
    phase and outcome, the header's (running, waiting) and the totals line's running part."""
    async with connected(sim) as service:
        snapshot = await Poller(service).cycle()
    now = datetime.now(UTC)
    index = JobIndex()
    index.update(snapshot.jobs)
    phases = {job_id: phase(job, now.timestamp()).value for job_id, job in snapshot.jobs.items()}
    outcomes = {job_id: (o.value if (o := outcome(job)) else None) for job_id, job in snapshot.jobs.items()}
    header = working(snapshot.jobs, index.running, now.timestamp())
    return phases, outcomes, header, totals(index, now)[2]


def test_status_gives_each_job_the_phase_and_counts_the_dashboard_does(frozen_sim: Simulator) -> None:
    ids = add_the_ones_that_diverged(frozen_sim)
    result = run(["status", "--format", "json"], env_of(frozen_sim))
    assert result.returncode == 0, result.stderr
    jobs = {j["id"]: j for j in json.loads(result.stdout)["jobs"]}
    assert all(j["phase"] in ("running", "waiting", "ended") for j in jobs.values())  # every job read: none unknown
    assert jobs[ids["closed_done"]]["phase"] == "ended" and jobs[ids["closed_done"]]["outcome"] == "ok"
    assert jobs[ids["one_batch_failed"]]["phase"] == "ended" and jobs[ids["one_batch_failed"]]["outcome"] == "failed"
    assert jobs[ids["pk_chunked"]]["phase"] == "ended" and jobs[ids["pk_chunked"]]["outcome"] == "ok"
    assert jobs[ids["nobody_closed"]]["phase"] == "waiting"
    assert jobs[ids["nobody_closed"]]["waitingOnClient"] == "close it?"
    assert jobs[ids["never_uploaded"]]["phase"] == "waiting"
    assert jobs[ids["never_uploaded"]]["waitingOnClient"] == "no upload"
    assert all(j["outcome"] is None for j in jobs.values() if j["phase"] != "ended")

    phases, outcomes, (running, waiting), busy = asyncio.run(dashboard_view(frozen_sim))
    assert {job_id: j["phase"] for job_id, j in jobs.items()} == phases  # one rule, job by job
    assert {job_id: j["outcome"] for job_id, j in jobs.items()} == outcomes
    assert waiting >= 2 and running >= 1

    text = run(["status"], env_of(frozen_sim))
    assert text.returncode == 0, text.stderr
    assert f"{len(jobs)} jobs, {running} running, {waiting} waiting on their client" in text.stdout.splitlines()[0]
    assert sum(int(n) for n in re.findall(r"(\d+) ", busy)) == running  # the totals line counts the same jobs
    assert "waits on its client: no upload (Open with no upload closed" in text.stdout
    assert "waits on its client: close it? (Open with every batch done" in text.stdout


def test_wait_running_waits_on_running_jobs_only(quiet_sim: Simulator) -> None:
    ids = add_the_ones_that_diverged(quiet_sim)
    running = add_running_ingest_job(
        quiet_sim, total=1200, rate=6, running_for=0, fail_permille=0
    )  # ~3 s at 60x: still running when wait lists the org, even on a loaded machine
    result = run(["wait", "--running", "--interval", "1", "--max-wait", "1m", "--format", "json"], env_of(quiet_sim),
                 cycle=0.25)  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert [j["id"] for j in json.loads(result.stdout)] == [running]  # not the Bulk 1.0 jobs that had ended
    assert json.loads(result.stdout)[0]["phase"] == "ended" and json.loads(result.stdout)[0]["outcome"] == "ok"
    for name in ("nobody_closed", "never_uploaded"):  # named, not waited on
        assert re.search(rf"not waited on: {ids[name]} waits on its client", result.stderr), result.stderr
    for name in ("closed_done", "one_batch_failed", "pk_chunked"):
        assert ids[name] not in result.stderr


def test_wait_on_a_job_waiting_on_its_client_exits_10_at_once(quiet_sim: Simulator) -> None:
    ids = add_the_ones_that_diverged(quiet_sim)
    for name, why in (("never_uploaded", "no upload"), ("nobody_closed", "close it?")):
        started = time.monotonic()
        result = run(["wait", ids[name], "--max-wait", "10m"], env_of(quiet_sim))
        assert result.returncode == 10, result.stderr
        assert time.monotonic() - started < 20  # at once, not at --max-wait
        assert f"{ids[name]} waits on its client ({why}:" in result.stderr


def test_wait_on_a_running_job_and_a_waiting_one_ends_when_the_running_one_does(quiet_sim: Simulator) -> None:
    stuck = add_open_upload(quiet_sim, age_s=3 * 86_400)
    running = add_running_ingest_job(quiet_sim, total=300, rate=6, running_for=0, fail_permille=0)
    started = time.monotonic()
    result = run(["wait", running, stuck, "--interval", "1", "--max-wait", "10m", "--format", "json"],
                 env_of(quiet_sim), cycle=0.25)  # fmt: skip
    assert result.returncode == 10, result.stderr
    assert time.monotonic() - started < 30
    jobs = {j["id"]: j for j in json.loads(result.stdout)}
    assert jobs[running]["state"] == "JobComplete" and jobs[running]["phase"] == "ended"
    assert jobs[stuck]["phase"] == "waiting" and jobs[stuck]["waitingOnClient"] == "no upload"
    assert f"{stuck} waits on its client (no upload:" in result.stderr
