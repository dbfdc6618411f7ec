"""API economy: sfmonitor's poller against a per-job poller, side by side on one simulated org.

Run: ``.venv/bin/python benchmarks/api_economy.py [--minutes 10] [--speed 1] [--interval 5] [--idle-minutes 1]``
(or ``--stepped [--floor]``).

One seed-7 simulator (jobs start every ~3 simulated minutes), two counting proxies in front of it,
one per client; both clients poll at the same interval in one event loop. sfmonitor runs its real
poller, schedule and /limits cadence as the dashboard does; the peer is ``per_job_poller.py``.
A watcher thread notes when each job enters each state (the simulator's truth, every 50 ms) and
when each Bulk 1.0 batch ended (its plan's end, exactly), and each client when it first shows that
state or that many ended batches. Printed: calls per minute by kind, the ratio, the median and p90
delay from a change to each client seeing it, by kind of change (a Bulk 1.0 batch completion, a
Bulk 2.0 job end, any other state change such as a new job), and the oldest counts a running job
showed on sfmonitor (in intervals). ``--idle-minutes``: then both poll an empty org this long, and
the calls per minute with nothing running are printed. ``--stepped``: on simulated time instead
(see :func:`stepped`): seconds to run, the same figures each time, no machine noise. ``--floor``
(with ``--stepped``): from the org's own timeline (the jobs running at each poll, when each Bulk 1.0
batch and each Bulk 2.0 job ended), the fewest calls per poll any poller could make while keeping a
running job's counts under two intervals old and seeing each of those ends at the next poll (strict)
or holding only the median delay within 1 s (median-only), with the derivation and what it assumes
printed, beside both pollers' calls per poll and as a ratio of the per-job poller's (see
:func:`api_floor.floor`).
"""

from __future__ import annotations

import argparse
import asyncio
import threading
import time
from dataclasses import dataclass, field
from statistics import median, quantiles

from api_floor import Timeline, describe, floor
from counting_proxy import CountingProxy
from per_job_poller import PerJobPoller

from sfmonitor.bulk.auth import StaticToken
from sfmonitor.bulk.models import Job, JobKind
from sfmonitor.bulk.service import BulkService
from sfmonitor.bulk.transport import Transport
from sfmonitor.monitor.poller import Poller
from sfmonitor.monitor.schedule import Schedule
from sfmonitor.simulator.server import Simulator
from sfmonitor.simulator.world import Clock
from sfmonitor.simulator.world import Job as OrgJob

LIMITS_EVERY_S = 300.0  # as the dashboard
BATCH_ENDED = ("Completed", "Failed")
BATCHES = "batches ended: "
V2_ENDS = frozenset({"JobComplete", "Failed", "Aborted"})


class Truth(threading.Thread):
    """When each (job, state) first held in the simulated org, by this process's monotonic clock."""

    def __init__(self, sim: Simulator) -> None:
        super().__init__(daemon=True)
        self.sim = sim
        self.entered: dict[tuple[str, str], float] = {}
        self.stop = threading.Event()

    def run(self) -> None:
        clock = self.sim.world.clock
        while not self.stop.wait(0.05):
            now = time.monotonic()
            with self.sim.world.lock:
                t = self.sim.world.advance()
                states = [(job.id, job.state) for job in self.sim.world.jobs.values()]
                ends = [(job.id, sorted(end for b in job.batches if b.state_at(t) in BATCH_ENDED
                                        and (end := b.plan.end()) is not None))
                        for job in self.sim.world.jobs.values() if job.api == "classic"]  # fmt: skip
            for key in states:
                self.entered.setdefault(key, now)
            for job_id, times in ends:  # the k-th batch end, on this process's clock
                for k, end in enumerate(times, 1):
                    self.entered.setdefault((job_id, f"{BATCHES}{k}"), clock._mono + (end - clock.start) / clock.speed)


def note_seen(seen: dict[tuple[str, str], float], jobs: dict[str, Job], now: float | None = None) -> None:
    now = time.monotonic() if now is None else now
    for job in jobs.values():
        seen.setdefault((job.id, job.state), now)
        if job.kind is JobKind.CLASSIC:
            ended = (job.number_batches_completed or 0) + (job.number_batches_failed or 0)
            for k in range(1, ended + 1):
                seen.setdefault((job.id, f"{BATCHES}{k}"), now)


def running(job: Job) -> bool:
    """Records are moving: a Bulk 2.0 job InProgress, a Bulk 1.0 job with batches queued or under way."""
    if job.kind is JobKind.CLASSIC:
        return not job.finished and bool((job.number_batches_queued or 0) + (job.number_batches_in_progress or 0))
    return job.state == "InProgress"


def running_in_org(job: OrgJob, t: float) -> bool:
    """:func:`running` for the simulated org's own job at ``t`` (the truth, not what a poller shows)."""
    if job.api == "classic":
        return not job.terminal and any(batch.state_at(t) in ("Queued", "InProgress") for batch in job.batches)
    return job.state == "InProgress"


def change_kind(key: tuple[str, str], classic: set[str]) -> str:
    if key[1].startswith(BATCHES):
        return "1.0 batch end"
    if key[0] not in classic and key[1] in V2_ENDS:
        return "2.0 job end"
    return "other change"


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
            if running(job) and job_id in last_read:
                ages.append(now - last_read[job_id])
        if now - limits_at >= LIMITS_EVERY_S:
            limits_at = now
            await service.limits()
        anything = any(not job.finished for job in snapshot.jobs.values())
        await asyncio.sleep(schedule.after_success(anything))
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


async def side_by_side(sim: Simulator, minutes: float, interval: float, truth: Truth | None = None) -> Measured:
    """Both clients against ``sim`` for ``minutes``, each through its own counting proxy."""
    with CountingProxy(sim.base_url) as ours, CountingProxy(sim.base_url) as theirs:
        a = BulkService(Transport(StaticToken(ours.url, sim.token)))
        b = BulkService(Transport(StaticToken(theirs.url, sim.token)))
        await a.connect()
        await b.connect()
        if truth is not None:
            truth.start()
        out = Measured(started=time.monotonic())
        until = out.started + minutes * 60

        async def warmed() -> None:  # both read the whole org once at first: counted apart
            await asyncio.sleep(2 * interval)
            out.warm = (dict(ours.counts), dict(theirs.counts), time.monotonic())

        warming = asyncio.create_task(warmed())
        out.cycles = await asyncio.gather(
            run_sfmonitor(a, interval, until, out.seen[0], out.ages), run_peer(b, interval, until, out.seen[1])
        )
        await warming
        if truth is not None:
            truth.stop.set()
            truth.join()
        out.minutes = (time.monotonic() - out.started) / 60
        out.counts = (dict(ours.counts), dict(theirs.counts))
        await a.transport.aclose()
        await b.transport.aclose()
    return out


@dataclass
class Measured:
    started: float
    minutes: float = 0.0
    cycles: list[int] = field(default_factory=list)
    counts: tuple[dict[str, int], dict[str, int]] = ({}, {})
    seen: tuple[dict[tuple[str, str], float], dict[tuple[str, str], float]] = field(default_factory=lambda: ({}, {}))
    ages: list[float] = field(default_factory=list)
    warm: tuple[dict[str, int], dict[str, int], float] = ({}, {}, 0.0)

    def per_minute(self, side: int, kind: str | None = None, steady: bool = True) -> float:
        """Calls per minute, by default after both read the whole org once (the first 2 intervals)."""
        counts, warm, warm_at = self.counts[side], self.warm[side], self.warm[2]
        if not steady or not warm_at:
            return (counts.get(kind, 0) if kind else sum(counts.values())) / self.minutes
        minutes = self.minutes - (warm_at - self.started) / 60
        calls = (counts.get(kind, 0) - warm.get(kind, 0)) if kind else sum(counts.values()) - sum(warm.values())
        return calls / minutes


def report(
    run: Measured, entered: dict[tuple[str, str], float], classic: set[str], interval: float, title: str
) -> None:
    # the first cycle of each reads the whole org once; changes are counted after it
    settle = run.started + 2 * interval
    seen_a, seen_b = run.seen
    shared = {k: v for k, v in entered.items() if v > settle and k in seen_a and k in seen_b}
    print(f"{title}, {run.minutes:.1f} min; {len(shared)} changes seen by both")
    print("calls per minute after the first 2 intervals (both read the whole org once at first)")
    print(f"{'':22}{'sfmonitor':>12}{'per-job':>12}")
    for kind in ("listing", "job read", "batch list", "write", "other"):
        print(f"{kind + ' calls/min':22}{run.per_minute(0, kind):12.1f}{run.per_minute(1, kind):12.1f}")
    print(f"{'total calls/min':22}{run.per_minute(0):12.1f}{run.per_minute(1):12.1f}")
    print(f"{'total, with the first':22}{run.per_minute(0, steady=False):12.1f}{run.per_minute(1, steady=False):12.1f}")
    print(f"{'cycles':22}{run.cycles[0]:12d}{run.cycles[1]:12d}")
    print(f"ratio sfmonitor / per-job: {run.per_minute(0) / max(1e-9, run.per_minute(1)):.2f}x  (budget 0.33x)")
    for label in ("1.0 batch end", "2.0 job end", "other change", "all changes"):
        keys = {k: v for k, v in shared.items() if label == "all changes" or change_kind(k, classic) == label}
        da, db = delays(keys, seen_a, settle), delays(keys, seen_b, settle)
        if len(da) >= 2 and len(db) >= 2:
            p90a, p90b = quantiles(da, n=10)[-1], quantiles(db, n=10)[-1]
            print(
                f"{label} seen after ({len(da)}): median {median(da):.2f} s vs {median(db):.2f} s "
                f"({median(da) - median(db):+.2f} s, budget +1 s); p90 {p90a:.2f} s vs {p90b:.2f} s"
            )
        elif da or db:
            print(f"{label}: {len(da)} seen, too few for a median")
    if run.ages:
        print(
            f"oldest running counts on sfmonitor: {max(run.ages):.1f} s = "
            f"{max(run.ages) / interval:.2f} intervals (budget 2)"
        )


async def main(minutes: float, speed: float, interval: float, idle_minutes: float) -> None:
    sim = Simulator(seed=7, speed=speed).start()
    truth = Truth(sim)
    run = await side_by_side(sim, minutes, interval, truth)
    classic = {job.id for job in sim.world.jobs.values() if job.api == "classic"}
    sim.stop()
    report(run, truth.entered, classic, interval, f"seed 7, speed {speed:g}, interval {interval:g} s")
    if idle_minutes > 0:
        with Simulator(seed=7, speed=speed, seeded=False, spawn_every=0) as empty:
            idle = await side_by_side(empty, idle_minutes, interval)
        print(
            f"idle (an empty org, {idle.minutes:.1f} min, all calls): {idle.per_minute(0, steady=False):.1f} "
            f"calls/min vs {idle.per_minute(1, steady=False):.1f} per-job"
        )


async def stepped(minutes: float, interval: float, show_floor: bool = False) -> None:
    """The same comparison on simulated time: the org's clock stands still while both clients poll
    and moves one interval between polls, so a run takes seconds and says the same each time. Both
    poll at the same instants; the truth is each batch's and job's planned end; no schedule (the
    interval is fixed) and no request latency: the delays are the policies' alone. ``show_floor``:
    then the fewest calls per poll the rules allow, from the org's timeline (see api_floor.floor)."""
    clock = Clock(frozen=True)
    with (
        Simulator(seed=7, clock=clock) as sim,
        CountingProxy(sim.base_url) as ours,
        CountingProxy(sim.base_url) as theirs,
    ):
        a = BulkService(Transport(StaticToken(ours.url, sim.token)))
        b = BulkService(Transport(StaticToken(theirs.url, sim.token)))
        await a.connect()
        await b.connect()
        poller = Poller(a, clock=lambda: clock.start)
        peer = PerJobPoller(b, clock=lambda: clock.start)
        run = Measured(started=clock.start)
        last_read: dict[str, float] = {}
        limits_at = -LIMITS_EVERY_S
        timeline = Timeline()
        for step in range(int(minutes * 60 / interval)):
            now = clock.start
            snapshot = await poller.cycle()
            note_seen(run.seen[0], snapshot.jobs, now)
            note_seen(run.seen[1], await peer.cycle(), now)
            last_read.update(dict.fromkeys(snapshot.read, now))
            run.ages += [now - last_read[j] for j, job in snapshot.jobs.items() if running(job) and j in last_read]
            if now - limits_at >= LIMITS_EVERY_S:
                limits_at = now
                await a.limits()
            if step == 1:
                run.warm = (dict(ours.counts), dict(theirs.counts), now + interval)
            if show_floor:  # the org at this poll (its clock stands still: as both pollers found it)
                with sim.world.lock:
                    t = sim.world.advance()
                    timeline.times.append(t)
                    timeline.running.append({j.id: j.api for j in sim.world.jobs.values() if running_in_org(j, t)})
                    if step == 1:
                        timeline.known = frozenset(sim.world.jobs)
            clock.start += interval
        run.cycles = [step + 1, step + 1]
        run.minutes = (clock.start - run.started) / 60
        run.counts = (dict(ours.counts), dict(theirs.counts))
        await a.transport.aclose()
        await b.transport.aclose()
        with sim.world.lock:
            entered: dict[tuple[str, str], float] = {}
            for job in sim.world.jobs.values():
                if job.api != "classic" and job.finished_at is not None:
                    entered[(job.id, job.state)] = job.finished_at
                ends = sorted(e for x in job.batches if x.state_at(clock.start) in BATCH_ENDED and (e := x.plan.end()))
                entered.update({(job.id, f"{BATCHES}{k}"): end for k, end in enumerate(ends, 1)})
            classic = {job.id for job in sim.world.jobs.values() if job.api == "classic"}
            kinds = {job.id: job.api for job in sim.world.jobs.values()}
    report(run, entered, classic, interval, f"seed 7, stepped simulated time, interval {interval:g} s")
    if show_floor:
        timeline.changes = [(job_id, kinds[job_id], at) for (job_id, _), at in entered.items()]
        pages = {"ingest": a.pages.get(JobKind.INGEST, 1), "query": a.pages.get(JobKind.QUERY, 1)}  # as last listed
        per_poll = interval / 60
        for line in describe(floor(timeline, interval, pages), interval, pages,
                             run.per_minute(1) * per_poll, run.per_minute(0) * per_poll):  # fmt: skip
            print(line)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--speed", type=float, default=1.0)
    parser.add_argument("--interval", type=float, default=5.0)
    parser.add_argument("--idle-minutes", type=float, default=0.0, help="then an empty org this long (0: not)")
    parser.add_argument("--stepped", action="store_true", help="on simulated time, stepped: seconds, repeatable")
    parser.add_argument("--floor", action="store_true", help="with --stepped: the fewest calls the rules allow")
    args = parser.parse_args()
    if args.floor and not args.stepped:
        parser.error("--floor needs --stepped (the floor is computed from the simulated org's timeline)")
    if args.stepped:
        asyncio.run(stepped(args.minutes, args.interval, args.floor))
    else:
        asyncio.run(main(args.minutes, args.speed, args.interval, args.idle_minutes))
