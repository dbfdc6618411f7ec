"""The API bill: the default budget's bucket against a small simulated allowance, and the idle pace,
counted at the simulator over a simulated idle stretch. The schedule runs on a fake monotonic clock
(each poll's delay is added to it, no sleeping); the polls are real, over sockets, as the dashboard
makes them (ui/polling.py: a cycle, the org model's verdict, /limits when due)."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sfmonitor.bulk.service import BulkService
from sfmonitor.config.settings import load
from sfmonitor.monitor.bucket import Bucket, reads_every
from sfmonitor.monitor.fleet import Fleet
from sfmonitor.monitor.org import Org
from sfmonitor.monitor.poller import BACKFILL, Snapshot
from sfmonitor.monitor.schedule import IDLE_LOOK_S, Schedule
from sfmonitor.monitor.spend import DAY_S, Budget
from sfmonitor.simulator.bulk import add_finished_ingest_jobs
from sfmonitor.simulator.server import Simulator
from sfmonitor.ui.cells import Palette
from sfmonitor.ui.view import present
from tests.conftest import add_failed_rows_job, add_open_upload, add_running_ingest_job, connected


class Driver:
    """One org polled as the dashboard polls it, on a fake clock ``t`` (simulated seconds)."""

    def __init__(self, service: BulkService, budget: Budget | None, interval: float = 5.0) -> None:
        self.t = 0.0
        self.org = Org(Schedule(interval, rng=random.Random(1), budget=budget, clock=lambda: self.t))
        self.org.connected(service)
        self.service = service
        self.delays: list[float] = []
        self.snapshots: list[Snapshot] = []

    async def poll(self) -> float:
        org = self.org
        assert org.poller is not None
        cycle = org.state.poll_started()
        snapshot = await org.poller.cycle(look=org.schedule.idle, backfill=org.schedule.backfill())
        self.snapshots.append(snapshot)
        delay = org.polled(snapshot, cycle, datetime.now(UTC), self.t)
        assert delay is not None
        org.next_poll_delay = delay
        if org.limits_due(self.t):
            org.limits_read_at = self.t
            org.limits_arrived(await self.service.limits())
        self.delays.append(delay)
        self.t += delay
        return delay

    async def until(self, t: float) -> None:
        while self.t < t:
            await self.poll()

    def words(self) -> str:
        view = present(self.org, Fleet({"": self.org}), datetime.now(UTC), Palette())
        return f"{view.spend_words().words} · {view.polling().words}"  # the spend, and how the org is polled


def test_the_bucket_bounds_any_day_and_lets_a_burst_through() -> None:
    bucket = Bucket(1_000)
    assert bucket.interval(5.0, 6, 0.0) == 5.0 and bucket.pressure(0.0) == 0.0  # full: the operator's pace
    calls: list[tuple[float, int]] = []
    t = 0.0
    while t < 4 * DAY_S:  # busy, then a quiet half day (the bucket fills again), then busy
        if not DAY_S < t < 1.5 * DAY_S:
            bucket.spend(6, t)
            calls.append((t, 6))
        t += bucket.interval(5.0, 6, t)
    assert calls[30][0] == 30 * 5.0  # a burst at the operator's interval: 667 calls in the bucket, low below 167
    starts = [at for at, _ in calls]
    worst = max(sum(n for at, n in calls if start <= at < start + DAY_S) for start in starts)
    assert worst <= 1_000, worst  # any 24 hours: within the budget
    economy = Schedule(5.0, budget=Budget(calls=1_000), clock=lambda: 0.0)
    for calls in [0, 0, 7] * 300:  # most cycles free (nothing to read, no listing due), every third lists
        economy.spent(calls, 0.0)
        economy.after_success(True, calls, now=0.0)
    assert economy.stretched  # the cycles' mean is the cost, not their median (0)
    assert 0 < reads_every(0.0, urgent=False) == 1 == reads_every(1.0, urgent=True) < reads_every(1.0, urgent=False)


def test_history_is_read_only_from_the_buckets_spare() -> None:
    t = 0.0
    schedule = Schedule(5.0, budget=Budget(calls=750), clock=lambda: t)  # 500 calls in the bucket (16 h of 750)
    assert schedule.backfill() == 250  # full: the calls above half (the poller reads at most BACKFILL)
    schedule.spent(200)
    assert schedule.backfill() == 50  # history never takes the bucket below half
    schedule.spent(50)
    assert schedule.backfill() == 0
    schedule.spent(150)  # 100 left: below a quarter, under pressure
    assert schedule.pressure > 0 and schedule.backfill() == 0
    t = 2 * DAY_S  # two quiet days (250 a day refilled): full again
    assert schedule.pressure == 0 and schedule.backfill() == 250
    schedule.idle = True  # an idle org's looks are for new jobs, paced: no history
    assert schedule.backfill() == 0
    assert Schedule(5.0).backfill() is None  # no budget: the poller's own cap alone
    assert Schedule(5.0, budget=Budget(percent=10.0)).backfill() is None  # the allowance not said yet


async def test_history_waits_while_running_jobs_keep_the_interval(quiet_sim: Simulator) -> None:
    """A big history against a small allowance: the running job is read every cycle at the operator's
    interval; history is read only from the bucket's spare, and what it defers does not keep the org
    awake."""
    add_finished_ingest_jobs(quiet_sim.world, 3_000)
    running = add_running_ingest_job(quiet_sim, total=10**6, rate=50, running_for=0, fail_permille=0)
    with quiet_sim.world.lock:
        quiet_sim.world.api_max, quiet_sim.world.api_used = 7_500, 0  # 10%: 750 a day, 500 in the bucket
    async with connected(quiet_sim) as service:
        drive = Driver(service, Budget(percent=10.0))
        await drive.until(120.0)
        assert set(drive.delays) == {5.0}  # two minutes at the operator's interval, never stretched
        # seen every cycle: its info read, or the org listed (its listing row carries its counts)
        assert all(running in each.read or each.requests > len(each.read) for each in drive.snapshots)
        bucket = drive.org.schedule.bucket
        assert bucket is not None and bucket.fullness(drive.t) >= 0.25
        history = [len(snapshot.read) - 1 for snapshot in drive.snapshots[1:]]
        assert 0 < sum(history) <= 250 and max(history) <= BACKFILL  # only the spare: half the bucket
        last = drive.snapshots[-1]
        assert last.backlog > 2_500 and last.deferred > 0  # history waits for the budget
        drive.org.schedule.active_at = drive.t - 3600  # nothing new for an hour ...
        with quiet_sim.world.lock:
            quiet_sim.world.jobs[running].state = "JobComplete"
        await drive.poll()
        await drive.poll()  # ... and the job done: idle, though history is still unread
        assert drive.org.schedule.idle and drive.snapshots[-1].backlog > 2_500


async def test_the_default_budget_stretches_polls_against_a_small_allowance(sim: Simulator, tmp_path: Path) -> None:
    settings = load(path=tmp_path / "no-config.toml", env={})
    assert str(settings.api_budget) == "10%"  # bounded out of the box
    with sim.world.lock:
        sim.world.api_max, sim.world.api_used = 20_000, 0  # 10%: 2,000 calls a day, 500 in the bucket
    async with connected(sim) as service:
        drive = Driver(service, settings.api_budget)
        before = sim.requests
        for _ in range(4):  # the first polls: the bucket is full, the operator's interval stands
            assert await drive.poll() == 5.0
        await drive.until(DAY_S)
        day = sim.requests - before
        assert drive.org.schedule.stretched and max(drive.delays) > 60
        assert "to stay within budget 10%" in drive.words()
    assert day <= 2_000 + max(drive.org.schedule._cycle_calls), day  # a tenth of 20,000 (and one cycle over)


async def test_api_budget_off_does_not_stretch(sim: Simulator, tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text('api_budget = "3%"\n')
    settings = load(path=path, env={}, api_budget="off")
    assert settings.api_budget is not None and settings.api_budget.off
    assert str(load(path=path, env={}).api_budget) == "3%"
    with sim.world.lock:
        sim.world.api_max, sim.world.api_used = 20_000, 0
    async with connected(sim) as service:
        drive = Driver(service, settings.api_budget)
        for _ in range(150):  # far more than 10% of 20,000 would allow at this pace
            assert await drive.poll() in (5.0, IDLE_LOOK_S)
        assert not drive.org.schedule.stretched and "budget" not in drive.words()


async def idle_org(sim: Simulator) -> None:
    with sim.world.lock:
        sim.world.api_used = 0
    for _ in range(3):
        add_failed_rows_job(sim, [({"Name": "a"}, ""), ({"Name": "b"}, "REQUIRED_FIELD_MISSING:Name:Name --")])
    add_open_upload(sim, 600.0)  # waits for its client (past phase.CLIENT_WAIT_S): nothing the org owes


async def test_an_idle_org_costs_at_most_two_calls_a_minute_and_snaps_back(quiet_sim: Simulator) -> None:
    await idle_org(quiet_sim)
    async with connected(quiet_sim) as service:
        drive = Driver(service, Budget(percent=10.0))
        await drive.until(120.0)  # the finished jobs read, a minute's grace
        assert drive.org.schedule.idle and "idle: looking every 60s" in drive.words()
        last = drive.org.connection.last_good
        assert last is not None  # a look 45 s ago is not stale at this pace (it would be at the interval's)
        assert drive.org.connection.status(last + timedelta(seconds=45), drive.org.poll_gap)[0] == "ok"
        assert drive.org.connection.status(last + timedelta(seconds=45), 5.0)[0] == "stale"
        start, before = drive.t, quiet_sim.requests
        await drive.until(start + 30 * 60)  # half an hour of nothing
        per_minute = (quiet_sim.requests - before) / ((drive.t - start) / 60)
        assert per_minute <= 2.0, per_minute
        print(f"idle: {per_minute:.2f} calls a minute")
        # a job appearing (running or, this short, maybe done already) brings the interval back at once
        add_running_ingest_job(quiet_sim, 300, 100.0, running_for=2.9)
        assert await drive.poll() == 5.0 and not drive.org.schedule.idle
        assert "idle" not in drive.words()
        await drive.until(drive.t + 180.0)  # it ended: a minute later, idle again
        assert drive.org.schedule.idle
        # a key: the interval again, from the next poll (the app polls at once: ui/polling.py)
        assert drive.org.schedule.stir(drive.t)
        assert await drive.poll() == 5.0


async def test_the_simulator_plays_a_small_allowance_for_rehearsing_a_budget() -> None:
    from sfmonitor.cli.parser import build_parser
    from sfmonitor.cli.simulate import _start_simulator

    sim = _start_simulator(build_parser().parse_args(["simulate", "--port", "0", "--api-allowance", "5000"]))
    sim.start()
    try:
        async with connected(sim) as service:
            await service.limits()
            usage = service.transport.api_usage
            assert usage is not None and usage.max == 5_000 and usage.used <= 1_100
    finally:
        sim.stop()
