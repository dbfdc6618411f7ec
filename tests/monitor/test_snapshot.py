"""``status``'s one-shot reader (not the dashboard's Poller): every job read once, named jobs looked up,
and a wait that ends when a job starts waiting on its client."""

from __future__ import annotations

from sfmonitor.bulk.models import Job, JobKind
from sfmonitor.bulk.service import BulkService
from sfmonitor.monitor.phase import CLIENT_WAIT_S, Phase, phase
from sfmonitor.monitor.snapshot import read_snapshot
from sfmonitor.monitor.waiting import Ending, Waited, outcome, wait
from sfmonitor.simulator.server import Simulator
from tests.conftest import add_open_upload


async def test_only_named_jobs(service: BulkService, sim: Simulator) -> None:
    listed = await service.list_jobs()
    wanted = list(listed)[:2]
    snapshot = await read_snapshot(service, [*wanted, "750000000000000AAA"])
    assert set(snapshot.jobs) == set(wanted)
    assert "750000000000000AAA" in snapshot.errors


async def test_every_job_is_read_so_every_phase_is_known(service: BulkService, sim: Simulator) -> None:
    snapshot = await read_snapshot(service)
    now = snapshot.taken_at.timestamp()
    assert snapshot.jobs and not snapshot.errors
    assert snapshot.read == frozenset(snapshot.jobs)
    assert all(phase(job, now) is not Phase.UNKNOWN for job in snapshot.jobs.values())
    classic = [job for job in snapshot.jobs.values() if job.kind is JobKind.CLASSIC]
    assert classic and all(job.batches is not None for job in classic)  # status prints their batches
    created = [job.created_date for job in snapshot.jobs.values() if job.created_date]
    assert created == sorted(created, reverse=True)  # newest first


async def test_a_job_that_starts_waiting_on_its_client_ends_the_wait(service: BulkService, sim: Simulator) -> None:
    """An upload not closed within the threshold: the wait ends (CLIENT_WAIT), not at --max-wait."""
    job_id = add_open_upload(sim, age_s=0)
    job = await service.find_job(job_id)
    assert job.created_date is not None
    wall = [job.created_date.timestamp() + 10]  # the wall clock the threshold is measured by (injected)
    waited = Waited("", service, {job_id: job}, clock=lambda: wall[0])
    assert waited.pending == [job_id]  # just created: its upload is likely under way

    async def sleep(seconds: float) -> None:
        wall[0] += CLIENT_WAIT_S  # each interval, the threshold passes

    cycles: list[list[tuple[Waited, Job | None, Job]]] = []
    finished = await wait([waited], interval=5, max_wait=3600, on_cycle=cycles.append, sleep=sleep)
    assert finished and len(cycles) == 1  # one read, then nothing is left to wait for
    assert waited.waiting() == {job_id: "no upload"}
    assert outcome(waited.jobs.values(), timed_out=False, now=wall[0]) is Ending.CLIENT_WAIT
