"""Reads when news is due, over real sockets: a stepped simulator, the poller's own clock on it."""

from __future__ import annotations

from sfmonitor.bulk.auth import StaticToken
from sfmonitor.bulk.models import JobKind
from sfmonitor.bulk.service import BulkService
from sfmonitor.bulk.transport import Transport
from sfmonitor.monitor.poller import Poller
from sfmonitor.simulator.server import Simulator
from sfmonitor.simulator.world import Clock

INTERVAL = 5.0
CYCLES = 48  # four simulated minutes: tens of Bulk 1.0 batches end, Bulk 2.0 jobs run and end


async def test_running_jobs_are_read_every_other_cycle_and_batch_ends_seen_at_the_first_cycle_after() -> None:
    clock = Clock(frozen=True)
    sim = Simulator(clock=clock, spawn_every=0).start()
    service = BulkService(Transport(StaticToken(sim.base_url, sim.token)))
    await service.connect()
    try:
        poller = Poller(service, clock=lambda: clock.start)
        at: list[float] = []
        read: list[frozenset[str]] = []
        running: list[set[str]] = []  # Bulk 2.0 jobs shown InProgress after each cycle
        ended_seen: dict[tuple[str, int], float] = {}  # (Bulk 1.0 job, k): when its k-th batch end was shown
        after_first = 0
        per_job = 0  # what reading every live job every cycle would cost (a Bulk 1.0 job with its batch list)
        for cycle in range(CYCLES):
            if cycle == 1:
                after_first = sim.requests  # the first cycle reads every job of the org once
            if cycle:
                per_job += sum(2 if j.kind is JobKind.CLASSIC else 1 for j in poller.jobs.values() if not j.finished)
            snapshot = await poller.cycle()
            at.append(clock.start)
            read.append(snapshot.read)
            running.append({j.id for j in snapshot.jobs.values() if j.kind is not JobKind.CLASSIC
                            and j.state == "InProgress"})  # fmt: skip
            for job in snapshot.jobs.values():
                if job.kind is JobKind.CLASSIC:
                    for k in range(1, (job.number_batches_completed or 0) + (job.number_batches_failed or 0) + 1):
                        ended_seen.setdefault((job.id, k), clock.start)
            clock.start += INTERVAL
        requests = sim.requests - after_first

        # a running Bulk 2.0 job is read in one of any two cycles: its counts are never two intervals old
        skipped = 0
        for i in range(1, CYCLES):
            for job_id in running[i] & running[i - 1]:
                assert job_id in read[i] or job_id in read[i - 1], f"{job_id} unread for two cycles at {i}"
                skipped += job_id not in read[i]
        assert skipped >= 20  # and it is not read every cycle: its listing row shows its end between reads

        # each Bulk 1.0 batch that ended is shown by the first cycle at or after its end, as reading
        # every job every cycle would show it
        truth: list[tuple[str, int, float]] = []
        with sim.world.lock:
            for job in sim.world.jobs.values():
                if job.api == "classic":
                    done = [b for b in job.batches if b.state_at(clock.start) in ("Completed", "Failed")]
                    ends = sorted(end for b in done if (end := b.plan.end()) is not None)
                    truth += [(job.id, k, end) for k, end in enumerate(ends, 1) if at[1] < end <= at[-1]]
        assert len(truth) >= 20
        for job_id, k, end in truth:
            first_after = next(t for t in at if t >= end)
            assert ended_seen[(job_id, k)] == first_after, f"batch end {k} of {job_id} at {end} seen late"
        assert requests < 0.65 * per_job  # 244 calls against 413 in this window
    finally:
        await service.transport.aclose()
        sim.stop()
