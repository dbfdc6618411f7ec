"""API economy: sfmonitor's poller against a per-job poller, side by side on one simulated org.

Run: ``.venv/bin/python benchmarks/api_economy.py [--minutes 10] [--speed 1] [--interval 5]``.

One seed-7 simulator (jobs start every ~3 simulated minutes), two counting proxies in front of it,
one per client; both clients poll at the same interval in one event loop. sfmonitor runs its real
poller, schedule and /limits cadence as the dashboard does; the peer is ``per_job_poller.py``.
A watcher thread notes when each job enters each state (the simulator's truth, every 50 ms), and
each client when it first shows that state. Printed: calls per minute by kind, the ratio, the
median and p90 delay from a state change to each client seeing it, and the oldest counts an
InProgress job showed on sfmonitor (in intervals).
"""

from __future__ import annotations

import argparse
import asyncio
import threading
import time
from statistics import median, quantiles

from counting_proxy import CountingProxy
from per_job_poller import PerJobPoller

from sfmonitor.bulk.auth import StaticToken
from sfmonitor.bulk.models import Job
from sfmonitor.bulk.service import BulkService
from sfmonitor.bulk.transport import Transport
from sfmonitor.monitor.poller import Poller
from sfmonitor.monitor.schedule import Schedule
from sfmonitor.simulator.server import Simulator

LIMITS_EVERY_S = 300.0  # as the dashboard


class Truth(threading.Thread):
    """When each (job, state) first held in the simulated org, by this process's monotonic clock."""

    def __init__(self, sim: Simulator) -> None:
        super().__init__(daemon=True)
        self.sim = sim
        self.entered: dict[tuple[str, str], float] = {}
        self.stop = threading.Event()

    def run(self) -> None:
        while not self.stop.wait(0.05):
            now = time.monotonic()
            with self.sim.world.lock:
                self.sim.world.advance()
                states = [(job.id, job.state) for job in self.sim.world.jobs.values()]
            for key in states:
                self.entered.setdefault(key, now)


def note_seen(seen: dict[tuple[str, str], float], jobs: dict[str, Job]) -> None:
    now = time.monotonic()
    for job in jobs.values():
        seen.setdefault((job.id, job.state), now)


async def run_sfmonitor(service: BulkService, interval: float, until: float, seen: dict[tuple[str, str], float],
                        ages: list[float]) -> int:  # fmt: skip
    poller = Poller(service)
    schedule = Schedule(interval)
    last_read: dict[str, float] = {}
    limits_at = -LIMITS_EVERY_S
    cycles = 0
    while time.monotonic() < until:
        snapshot = await poller.cycle()
        cycles += 1
        now = time.monotonic()
        note_seen(seen, snapshot.jobs)
        for job_id in getattr(snapshot, "read", snapshot.jobs.keys()):
            last_read[job_id] = now
        for job_id, job in snapshot.jobs.items():
            if job.state == "InProgress" and job_id in last_read:
                ages.append(now - last_read[job_id])
        if now - limits_at >= LIMITS_EVERY_S:
            limits_at = now
            await service.limits()
        running = any(not job.finished for job in snapshot.jobs.values())
        await asyncio.sleep(schedule.after_success(running))
    return cycles


async def run_peer(service: BulkService, interval: float, until: float, seen: dict[tuple[str, str], float]) -> int:
    peer = PerJobPoller(service)
    cycles = 0
    while time.monotonic() < until:
        started = time.monotonic()
        note_seen(seen, await peer.cycle())
        cycles += 1
        await asyncio.sleep(max(0.0, interval - (time.monotonic() - started)))
    return cycles


def delays(truth: dict[tuple[str, str], float], seen: dict[tuple[str, str], float], after: float) -> list[float]:
    """For state changes that happened while both watched: how long until this client showed them."""
    return [seen[key] - at for key, at in truth.items() if at > after and key in seen]


async def main(minutes: float, speed: float, interval: float) -> None:
    sim = Simulator(seed=7, speed=speed).start()
    truth = Truth(sim)
    with CountingProxy(sim.base_url) as ours, CountingProxy(sim.base_url) as theirs:
        a = BulkService(Transport(StaticToken(ours.url, sim.token)))
        b = BulkService(Transport(StaticToken(theirs.url, sim.token)))
        await a.connect()
        await b.connect()
        truth.start()
        started = time.monotonic()
        until = started + minutes * 60
        seen_a: dict[tuple[str, str], float] = {}
        seen_b: dict[tuple[str, str], float] = {}
        ages: list[float] = []
        cycles_a, cycles_b = await asyncio.gather(
            run_sfmonitor(a, interval, until, seen_a, ages), run_peer(b, interval, until, seen_b)
        )
        truth.stop.set()
        truth.join()
        elapsed = (time.monotonic() - started) / 60
        await a.transport.aclose()
        await b.transport.aclose()
    sim.stop()
    # the first cycle of each reads the whole org once; state changes are counted after it
    settle = started + 2 * interval
    shared = {k: v for k, v in truth.entered.items() if v > settle and k in seen_a and k in seen_b}
    da, db = delays(shared, seen_a, settle), delays(shared, seen_b, settle)
    print(
        f"seed 7, speed {speed:g}, interval {interval:g} s, {elapsed:.1f} min; {len(shared)} state changes seen by both"
    )
    print(f"{'':22}{'sfmonitor':>12}{'per-job':>12}")
    for kind in ("listing", "job read", "batch list", "write", "other"):
        print(f"{kind + ' calls/min':22}{ours.counts[kind] / elapsed:12.1f}{theirs.counts[kind] / elapsed:12.1f}")
    print(f"{'total calls/min':22}{ours.total / elapsed:12.1f}{theirs.total / elapsed:12.1f}")
    print(f"{'cycles':22}{cycles_a:12d}{cycles_b:12d}")
    print(f"ratio sfmonitor / per-job: {ours.total / max(1, theirs.total):.2f}x  (budget 0.6x)")
    if da and db:
        p90a, p90b = quantiles(da, n=10)[-1], quantiles(db, n=10)[-1]
        print(
            f"state change seen after: median {median(da):.2f} s vs {median(db):.2f} s; "
            f"p90 {p90a:.2f} s vs {p90b:.2f} s"
        )
    if ages:
        print(
            f"oldest InProgress counts on sfmonitor: {max(ages):.1f} s = "
            f"{max(ages) / interval:.2f} intervals (budget 2)"
        )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--speed", type=float, default=1.0)
    parser.add_argument("--interval", type=float, default=5.0)
    args = parser.parse_args()
    asyncio.run(main(args.minutes, args.speed, args.interval))
