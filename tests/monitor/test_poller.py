"""Polling economy against the simulator: a job is read only when it may have changed."""

from __future__ import annotations

import asyncio
import json
import re

from sfmonitor.bulk.auth import StaticToken
from sfmonitor.bulk.models import Action, JobKind
from sfmonitor.bulk.service import BulkService
from sfmonitor.bulk.transport import Transport
from sfmonitor.monitor.economy import DISCOVERY_CYCLES, batch_counters, next_batch_end
from sfmonitor.monitor.poller import Poller
from sfmonitor.simulator.api.shared import Reply, v2_error
from sfmonitor.simulator.server import Simulator
from sfmonitor.simulator.world import Clock

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


QUIET = ("Open", "UploadComplete")


def _stepped_sim() -> tuple[Simulator, Clock]:
    """A seeded org whose time moves only when the test says (5 s per poll interval)."""
    clock = Clock(frozen=True)
    return Simulator(clock=clock, spawn_every=0).start(), clock


def _listings(sim: Simulator, since: int) -> dict[str, int]:
    """Listing pages requested, by listing, from the simulator's log."""
    counts: dict[str, int] = {}
    for method, path, _ in list(sim.log)[since:]:
        m = re.search(r"/jobs/(ingest|query)/?(\?.*)?$", path)
        if method == "GET" and m:
            counts[m.group(1)] = counts.get(m.group(1), 0) + 1
    return counts


async def _service(sim: Simulator) -> BulkService:
    service = BulkService(Transport(StaticToken(sim.base_url, sim.token)))
    await service.connect()
    return service


async def test_a_cycle_reads_only_jobs_that_may_have_changed() -> None:
    sim, clock = _stepped_sim()
    service = await _service(sim)
    try:
        for sobject in ("Account", "Contact"):  # two more Open ingest jobs: uploads that have not begun
            body = json.dumps({"object": sobject, "operation": "insert", "contentType": "CSV"}).encode()
            created = await service.transport.request(
                "POST", "/services/data/v66.0/jobs/ingest", content=body, content_type="application/json"
            )
            assert created.status_code == 200
        poller = Poller(service, clock=lambda: clock.start)
        first = await poller.cycle()
        assert len(first.jobs) == len(sim.world.jobs)
        assert first.read == set(first.jobs)  # the first cycle reads every job once
        finished = {job_id for job_id, job in first.jobs.items() if job.finished}
        live = set(first.jobs) - finished
        quiet = {j for j in live if first.jobs[j].kind is not JobKind.CLASSIC and first.jobs[j].state in QUIET}
        assert finished and quiet and live - quiet
        clock.start += 5
        tracks = poller.tracks  # a Bulk 1.0 job is read where one of its running batches can have ended by now
        classic = {j for j in live if first.jobs[j].kind is JobKind.CLASSIC}
        due = {j for j in classic if (end := next_batch_end(tracks[j].batch_view, 0.0)) and end <= clock.start + 0.5}
        mark = len(sim.log)
        second = await poller.cycle()
        reads = _reads(sim, mark)
        listings = _listings(sim, mark)
        assert not (set(reads) & finished), "a finished job was polled again"
        # both listings are read: their rows show every Bulk 2.0 job's state, so a quiet job whose row
        # did not move, and a running one read last cycle, need no read (its end would show in its row)
        assert listings == {"ingest": 1, "query": 1}
        v2 = {j for j in live if first.jobs[j].kind is not JobKind.CLASSIC}
        assert not (set(reads) & v2), "a Bulk 2.0 job was read though its listing row said nothing new"
        assert set(reads) == due and due
        assert second.read == set(reads)
        # a batch list is read only where the job info's batch counters changed
        batch_reads = _reads(sim, mark, BATCH_LIST_READ)
        changed = {
            j
            for j in live
            if first.jobs[j].kind is JobKind.CLASSIC and batch_counters(first.jobs[j]) != batch_counters(second.jobs[j])
        }
        assert set(batch_reads) == changed
        assert second.requests == 2 + len(reads) + len(batch_reads)
        # the next cycle reads every running job: its counts would be older than two intervals
        clock.start += 5
        mark = len(sim.log)
        third = await poller.cycle()
        running = {j for j in v2 if third.jobs[j].state == "InProgress"}
        assert running and running <= third.read
        assert not (set(_reads(sim, mark)) & (v2 - running)), "a quiet job was read"
        clock.start += 5
        mark = len(sim.log)
        await poller.cycle()  # the third cycle after a listing's last read lists it again, for new jobs
        assert _listings(sim, mark) == {"ingest": 1, "query": 1}
    finally:
        await service.transport.aclose()
        sim.stop()


async def test_a_running_job_is_read_every_other_cycle_and_snaps_back_when_its_row_changes() -> None:
    sim, clock = _stepped_sim()
    service = await _service(sim)
    try:
        poller = Poller(service, clock=lambda: clock.start)
        first = await poller.cycle()
        steady = next(
            j.id
            for j in first.jobs.values()
            if j.kind is JobKind.INGEST and j.state == "InProgress" and (j.number_records_processed or 0) > 0
        )
        reads_by_cycle = []
        for _ in range(5):
            clock.start += 5
            snapshot = await poller.cycle()
            reads_by_cycle.append(steady in snapshot.read)
        # read every other cycle: between reads its listing row would show its end
        assert reads_by_cycle == [False, True, False, True, False]
        shown = snapshot.jobs[steady]
        await service.act(shown, Action.ABORT)  # the listing row's state changes
        clock.start += 5
        after = await poller.cycle()
        assert steady in after.read
        assert after.jobs[steady].state == "Aborted"
    finally:
        await service.transport.aclose()
        sim.stop()


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
    aborted = after_abort.jobs[job.id]  # a batch that was running runs to its end: read on until it has
    assert aborted.still_moving is any(b.state == "InProgress" for b in aborted.batches or ())
    assert (job.id in poller.final) is not aborted.still_moving  # then never again (the next test)


async def test_progress_moves_between_cycles(service: BulkService, sim: Simulator) -> None:
    poller = Poller(service)
    first = await poller.cycle()
    running = next(j for j in first.jobs.values() if j.kind is JobKind.INGEST and j.state == "InProgress")
    await asyncio.sleep(0.5)  # 30 simulated seconds
    await poller.cycle()  # a running job is read every other cycle, its listing row between
    second = await poller.cycle()
    assert (second.jobs[running.id].number_records_processed or 0) > (running.number_records_processed or 0)


async def test_a_deleted_job_disappears(service: BulkService, sim: Simulator) -> None:
    poller = Poller(service)
    first = await poller.cycle()
    done = next(j for j in first.jobs.values() if j.kind is JobKind.INGEST and j.state == "JobComplete")
    response = await service.transport.request("DELETE", f"/services/data/v66.0/jobs/ingest/{done.id}")
    assert response.status_code == 204
    cycles = 0
    while done.id in poller.jobs:  # gone once its listing is read again: within the discovery turn
        await poller.cycle()
        cycles += 1
        assert cycles <= DISCOVERY_CYCLES
    assert done.id not in poller.final


async def test_a_job_whose_read_failed_stays_marked_until_a_read_succeeds() -> None:
    """The "could not be read" mark does not come and go with the read economy: a quiet job (an Open
    upload whose row does not move, not read again on its own) whose read failed is read again each
    cycle, and stays marked, with the latest reason, until a read succeeds."""
    sim, clock = _stepped_sim()
    service = await _service(sim)
    try:
        poller = Poller(service, clock=lambda: clock.start)
        first = await poller.cycle()
        quiet = next(j.id for j in first.jobs.values() if j.kind is JobKind.INGEST and j.state == "Open")
        failing = [True]

        def refuse(method: str, path: str, query: str, reply: Reply) -> Reply:
            if failing[0] and path.endswith(quiet):
                return v2_error(500, "UNKNOWN_EXCEPTION", "An unexpected error occurred")
            return reply

        sim.api.rewrite = refuse
        marked = []
        for step in range(6):
            failing[0] = step < 3
            clock.start += 5
            snapshot = await poller.cycle(full=step == 0)  # a refresh reads it: the read fails
            marked.append(quiet in snapshot.errors)
            if step < 3:
                assert "unexpected error" in snapshot.errors[quiet] and quiet in snapshot.jobs
            if step == 3:
                assert quiet in snapshot.read  # read again once it failed, and this time it answered
        assert marked == [True, True, True, False, False, False]
    finally:
        await service.transport.aclose()
        sim.stop()


async def test_a_bulk_1_job_aborted_while_a_batch_runs_is_read_until_that_batch_ends(quiet_sim: Simulator) -> None:
    """Aborting a Bulk 1.0 job makes its queued batches NotProcessed; the one InProgress runs to its end
    (reference: Bulk 1.0 batch states). Its counts at the abort are not its last: it is read again until
    its batches are done, then never again."""
    from tests.conftest import add_classic_job, connected

    sim = quiet_sim
    clock = sim.world.clock
    clock.start, clock.frozen = clock.now(), True
    job_id = add_classic_job(sim, [1000, 1000, 1000], rate=10.0, state="Open", started_ago=50.0, fail_permille=0)
    async with connected(sim) as service:
        poller = Poller(service)
        job = (await poller.cycle()).jobs[job_id]
        assert job.batches is not None and {b.state for b in job.batches} >= {"InProgress", "Queued"}
        await service.act(job, Action.ABORT)
        aborted = (await poller.cycle(full=True)).jobs[job_id]
        assert aborted.state == "Aborted" and aborted.finished and aborted.still_moving
        with sim.world.lock:
            clock.start += 200.0  # the running batch ends
        for _ in range(4 * DISCOVERY_CYCLES):  # as often as the economy reads a Bulk 1.0 job
            last = (await poller.cycle()).jobs[job_id]
            if not last.still_moving:
                break
        assert not last.still_moving and last.number_records_processed == 1000
        assert [b.state for b in last.batches or ()] == ["Completed", "NotProcessed", "NotProcessed"]
        mark = len(sim.log)
        await poller.cycle()
        assert job_id not in _reads(sim, mark)  # done: never read again
