"""A large org: every cycle stays bounded, the backlog of finished jobs drains, nothing is read twice."""

from __future__ import annotations

from sfmonitor.bulk.service import BulkService
from sfmonitor.monitor.poller import Poller
from sfmonitor.simulator.bulk import add_finished_ingest_jobs
from sfmonitor.simulator.server import Simulator


async def test_backfill_is_bounded_and_drains(service: BulkService, sim: Simulator) -> None:
    add_finished_ingest_jobs(sim.world, 800)
    sim.api.page_size = 70  # 13 pages a listing per API: a "large" org
    poller = Poller(service, backfill=150)
    first = await poller.cycle()
    assert len(first.jobs) == len(sim.world.jobs)  # every job is on screen at once (listing values)
    assert first.backlog > 700  # the first screen waited for no finished job
    assert first.requests < 100
    cycles = [first]
    while cycles[-1].backlog:
        cycles.append(await poller.cycle())
        assert cycles[-1].requests <= 150 + 64 + 30  # backfill + live jobs + a listing
        assert len(cycles) < 20
    listings = [c for c in cycles[1:] if c.requests > 150 + 26]
    assert len(listings) < len(cycles) - 1  # between full listings, cycles skip the 30+ pages
    assert all(job.number_records_processed is not None for job in cycles[-1].jobs.values()
               if job.kind.label == "2.0 ingest" and job.state == "JobComplete")  # fmt: skip
    done = await poller.cycle()
    assert done.requests < 100  # drained: only live jobs (and now and then a listing)


async def test_a_small_backlog_is_read_at_once_whatever_the_share(service: BulkService, sim: Simulator) -> None:
    poller = Poller(service, backfill=20)  # one org's share among ten
    first = await poller.cycle()
    assert first.backlog == 0 and len(first.read) == len(sim.world.jobs)  # a 64-job org: all read at once


async def test_the_budget_defers_history_but_not_the_job_open_in_detail(service: BulkService, sim: Simulator) -> None:
    add_finished_ingest_jobs(sim.world, 400)
    poller = Poller(service)
    first = await poller.cycle()
    held = await poller.cycle(backfill=0)  # the bucket has no spare: no history this cycle
    assert held.backlog == first.backlog > 400 and held.deferred > 0
    opened = next(iter(poller.unread))
    shown = await poller.cycle(watch={opened}, backfill=0)  # the operator opened one: it is read
    assert opened in shown.read and opened not in poller.unread and shown.backlog == held.backlog - 1
    some = await poller.cycle(backfill=30)
    assert len(some.read - shown.read) >= 30 and some.backlog == shown.backlog - 30
