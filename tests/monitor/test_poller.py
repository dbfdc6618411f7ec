"""Polling economy against the simulator: finished jobs are never read again."""

from __future__ import annotations

import asyncio
import re

from sfmonitor.bulk.models import Action, JobKind
from sfmonitor.bulk.service import BulkService
from sfmonitor.monitor.poller import Poller
from sfmonitor.simulator.server import Simulator

JOB_READ = re.compile(r"/job(?:s/(?:ingest|query))?/(750\w+)$")
BATCH_LIST_READ = re.compile(r"/job/(750\w+)/batch$")


def _reads(sim: Simulator, since: int, pattern: re.Pattern[str] = JOB_READ) -> dict[str, int]:
    """How often each job's info (or batch list) was requested, from the simulator's own log."""
    counts: dict[str, int] = {}
    for method, path, _ in list(sim.log)[since:]:
        m = pattern.search(path)
        if method == "GET" and m:
            counts[m.group(1)] = counts.get(m.group(1), 0) + 1
    return counts


async def test_finished_jobs_are_read_once_then_served_from_memory(service: BulkService, sim: Simulator) -> None:
    poller = Poller(service)
    first = await poller.cycle()
    assert len(first.jobs) == len(sim.world.jobs)
    finished = {job_id for job_id, job in first.jobs.items() if job.finished}
    live = set(first.jobs) - finished
    assert finished and live
    mark = len(sim.log)
    second = await poller.cycle()
    reads = _reads(sim, mark)
    assert not (set(reads) & finished), "a finished job was polled again"
    assert set(reads) == live
    assert second.jobs.keys() == first.jobs.keys()
    # the second cycle costs the listings plus one read per live job (and batch lists of live Classic jobs)
    live_classic = {j for j in live if first.jobs[j].kind is JobKind.CLASSIC}
    assert second.requests == 2 + len(live) + len(live_classic)


async def test_batch_list_read_while_live_and_once_more_at_the_end(service: BulkService, sim: Simulator) -> None:
    poller = Poller(service)
    snapshot = await poller.cycle()
    job = next(j for j in snapshot.jobs.values() if j.kind is JobKind.CLASSIC and j.state == "Open")
    assert job.batches is not None and len(job.batches) == 40
    await service.act(job, Action.ABORT)
    mark = len(sim.log)
    after_abort = await poller.cycle()  # records the final state, batch list included
    assert after_abort.jobs[job.id].state == "Aborted"
    assert after_abort.jobs[job.id].finished
    states = {b.state for b in after_abort.jobs[job.id].batches or ()}
    assert "NotProcessed" in states
    assert _reads(sim, mark, BATCH_LIST_READ).get(job.id) == 1
    mark = len(sim.log)
    await poller.cycle()
    assert job.id not in _reads(sim, mark, BATCH_LIST_READ)
    assert job.id not in _reads(sim, mark)


async def test_progress_moves_between_cycles(service: BulkService, sim: Simulator) -> None:
    poller = Poller(service)
    first = await poller.cycle()
    running = next(j for j in first.jobs.values() if j.kind is JobKind.INGEST and j.state == "InProgress")
    await asyncio.sleep(0.5)  # 30 simulated seconds
    second = await poller.cycle()
    assert (second.jobs[running.id].number_records_processed or 0) > (running.number_records_processed or 0)


async def test_only_named_jobs(service: BulkService, sim: Simulator) -> None:
    poller = Poller(service)
    listed = await service.list_jobs()
    wanted = list(listed)[:2]
    snapshot = await poller.cycle(only=[*wanted, "750000000000000AAA"])
    assert set(snapshot.jobs) == set(wanted)
    assert "750000000000000AAA" in snapshot.errors


async def test_a_deleted_job_disappears(service: BulkService, sim: Simulator) -> None:
    poller = Poller(service)
    first = await poller.cycle()
    done = next(j for j in first.jobs.values() if j.kind is JobKind.INGEST and j.state == "JobComplete")
    response = await service.transport.request("DELETE", f"/services/data/v66.0/jobs/ingest/{done.id}")
    assert response.status_code == 204
    second = await poller.cycle()
    assert done.id not in second.jobs
    assert done.id not in poller.final
