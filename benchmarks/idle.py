"""Idle: what sfmonitor costs an org where nothing runs, in calls a minute, counted on the wire.

Run: ``.venv/bin/python benchmarks/idle.py [--minutes 60] [--finished 500] [--open 3]``.

An org with ``--finished`` finished Bulk 2.0 jobs and ``--open`` jobs waiting for their client's
upload (Open: nothing the org owes), behind a counting proxy. sfmonitor polls it as the dashboard
does (its real poller, org model, schedule and /limits cadence), on a simulated clock: each poll's
delay is added to it, not slept, so an hour of idling takes seconds. Printed: calls a minute over
the idle stretch (after the finished jobs are read and the minute's grace), by kind; the looks and
the pace the header states; then the delay to the next poll after a job appears, and after a key.
"""

from __future__ import annotations

import argparse
import asyncio
import random
from datetime import UTC, datetime

from counting_proxy import CountingProxy

from sfmonitor.bulk.auth import StaticToken
from sfmonitor.bulk.service import BulkService
from sfmonitor.bulk.transport import Transport
from sfmonitor.monitor.org import Org
from sfmonitor.monitor.schedule import Schedule
from sfmonitor.monitor.spend import Budget
from sfmonitor.simulator.bulk import add_finished_ingest_jobs
from sfmonitor.simulator.recipe import ingest_job
from sfmonitor.simulator.server import Simulator

SETTLE_S = 180.0  # the finished jobs read, and the minute's grace after the last activity


class Dashboard:
    """One org polled as ui/polling.py polls it, on a simulated clock ``t``."""

    def __init__(self, service: BulkService, interval: float) -> None:
        self.t = 0.0
        self.service = service
        self.org = Org(Schedule(interval, rng=random.Random(1), budget=Budget(percent=10.0), clock=lambda: self.t))
        self.org.connected(service)
        self.looks = 0

    async def poll(self) -> float:
        org = self.org
        assert org.poller is not None
        cycle = org.state.poll_started()
        self.looks += org.schedule.idle
        snapshot = await org.poller.cycle(look=org.schedule.idle, backfill=org.schedule.backfill())
        delay = org.polled(snapshot, cycle, datetime.now(UTC), self.t)
        assert delay is not None
        if org.limits_due(self.t):
            org.limits_read_at = self.t
            org.limits_arrived(await self.service.limits())
        self.t += delay
        return delay

    async def until(self, t: float) -> None:
        while self.t < t:
            await self.poll()


async def main(minutes: float, finished: int, waiting: int, interval: float) -> None:
    sim = Simulator(seed=7, speed=60, spawn_every=0, seeded=False).start()
    with sim.world.lock:
        add_finished_ingest_jobs(sim.world, finished)
        now = sim.world.clock.now()
        for _ in range(waiting):
            # past phase.CLIENT_WAIT_S: waiting on its client (a younger Open job counts as running)
            ingest_job(sim.world, now, created=now - 600, total=0, rate=0.0, state="Open")
    with CountingProxy(sim.base_url) as proxy:
        service = BulkService(Transport(StaticToken(proxy.url, sim.token)))
        await service.connect()
        board = Dashboard(service, interval)
        await board.until(SETTLE_S)
        with proxy.lock:
            before = dict(proxy.counts)
        start, looks = board.t, board.looks
        await board.until(start + minutes * 60)
        elapsed = (board.t - start) / 60
        with proxy.lock:
            spent = {kind: proxy.counts[kind] - before.get(kind, 0) for kind in proxy.counts}
        stated = board.org.schedule.looking_every
        with sim.world.lock:
            now = sim.world.clock.now()
            ingest_job(sim.world, now, created=now - 5, total=100_000, rate=10.0, start=now - 4)
        after_job = await board.poll()
        await board.until(board.t + SETTLE_S)
        board.org.schedule.stir(board.t)
        after_key = await board.poll()
        await service.transport.aclose()
    sim.stop()
    print(f"idle org: {finished} finished jobs, {waiting} Open (waiting for their client); interval {interval:g} s")
    print(f"idle stretch: {elapsed:.0f} simulated minutes, {board.looks - looks} looks; header: "
          f"idle: looking every {stated or 0:.0f}s")  # fmt: skip
    for kind in ("listing", "job read", "batch list", "write", "other"):
        label = "other (/limits)" if kind == "other" else kind
        print(f"{label + ' calls/min':26}{spent.get(kind, 0) / elapsed:8.2f}")
    print(f"{'total calls/min':26}{sum(spent.values()) / elapsed:8.2f}   (budget: at most 2)")
    print(f"next poll after a job appears: {after_job:g} s; after a key: {after_key:g} s")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=60.0, help="simulated idle minutes (60)")
    parser.add_argument("--finished", type=int, default=500, help="finished jobs in the org (500)")
    parser.add_argument("--open", type=int, default=3, help="Open jobs waiting for their client (3)")
    parser.add_argument("--interval", type=float, default=5.0, help="the dashboard's interval (5)")
    args = parser.parse_args()
    asyncio.run(main(args.minutes, args.finished, args.open, args.interval))
