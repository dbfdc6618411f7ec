"""A job that ends while watched gets a toast naming it; muted, it gets none (and the header says so)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from sfmonitor.config.connection import ConnectionOptions
from sfmonitor.config.settings import Settings
from sfmonitor.monitor.alerts import AlertRules
from sfmonitor.notify.event_command import EventCommands
from sfmonitor.simulator.server import Simulator
from sfmonitor.ui import textual_private
from sfmonitor.ui.app import SfMonitorApp
from sfmonitor.ui.widgets.status_bar import StatusBar
from tests.conftest import add_classic_job, add_running_ingest_job
from tests.ui.helpers import wait_for


def toasts(app: SfMonitorApp) -> list[str]:
    return [f"{n.title}|{n.message}" for n in textual_private.notifications(app)]


async def test_a_job_ending_is_a_toast_and_m_mutes(sim: Simulator) -> None:
    options = ConnectionOptions(instance_url=sim.base_url, access_token=sim.token)
    app = SfMonitorApp(options, Settings(interval=0.5), label="UAT")
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: app.org.state.polls_done >= 1)  # after it, a new job's end is news
        first = add_running_ingest_job(sim, total=120, rate=3, running_for=0, fail_permille=0)  # ~40 simulated s
        await wait_for(pilot, lambda: any(first in t for t in toasts(app)), timeout=20)
        (toast,) = [t for t in toasts(app) if first in t]
        assert toast.startswith("UAT: Contact insert JobComplete|job " + first)
        assert "120 processed, 0 failed" in toast
        await pilot.press("m")
        await wait_for(pilot, lambda: "alerts muted (m)" in str(app.screen.query_one(StatusBar).render()))
        second = add_running_ingest_job(sim, total=60, rate=3, running_for=0, fail_permille=0)
        await wait_for(pilot, lambda: second in app.org.state.jobs and app.org.state.jobs[second].finished, timeout=20)
        assert not any(second in t for t in toasts(app))


async def test_a_bulk_1_job_left_open_after_its_batches_is_a_toast_saying_close_it(sim: Simulator) -> None:
    options = ConnectionOptions(instance_url=sim.base_url, access_token=sim.token)
    # the dashboard's clock is the org's (at 60x): "every batch done for 3 minutes" is the org's minutes
    org_clock = lambda: datetime.fromtimestamp(sim.world.clock.now(), UTC)  # noqa: E731
    app = SfMonitorApp(options, Settings(interval=0.5), label="UAT", clock=org_clock)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: app.org.state.polls_done >= 1)  # after it, a job left waiting is news
        left_open = add_classic_job(sim, [60, 60], fail_permille=0, rate=1, state="Open", started_ago=0)
        await wait_for(pilot, lambda: any(left_open in t for t in toasts(app)), timeout=20)
        (toast,) = [t for t in toasts(app) if left_open in t]
        assert toast.startswith("UAT: Contact insert waiting on its client: close it?|job " + left_open)
        assert "nobody has closed it" in toast


async def test_events_past_the_on_event_queue_are_dropped_and_the_count_said(
    quiet_sim: Simulator, tmp_path: Path
) -> None:
    """Five jobs end; the event command runs one at a time with one queued: three events are dropped,
    and a toast says how many (the screen never waits on the commands)."""
    gate = tmp_path / "gate"
    held = ("/bin/sh", "-c", f"cat >/dev/null; while [ ! -e {gate} ]; do sleep 0.05; done")
    rules = AlertRules(bell=False, desktop="off", on_event=held, on_event_timeout_s=60)
    options = ConnectionOptions(instance_url=quiet_sim.base_url, access_token=quiet_sim.token)
    app = SfMonitorApp(options, Settings(interval=0.5, alerts=rules), label="UAT")
    app.alerts.commands = EventCommands(running=1, waiting=1)
    add_running_ingest_job(quiet_sim, total=10**6, rate=50, running_for=0, fail_permille=0)  # never idle
    try:
        async with app.run_test(size=(120, 40)) as pilot:
            await wait_for(pilot, lambda: app.org.state.polls_done >= 1)
            jobs = [add_running_ingest_job(quiet_sim, total=60, rate=3, running_for=0, fail_permille=0)
                    for _ in range(5)]  # fmt: skip
            await wait_for(pilot, lambda: all(app.org.state.jobs.get(j) and app.org.state.jobs[j].finished
                                              for j in jobs), timeout=30)  # fmt: skip
            await wait_for(pilot, lambda: app.alerts.commands.dropped == 3)
            said = [t for t in toasts(app) if t.startswith("Events dropped|--on-event: ")]
            assert sum(int(t.split(": ")[1].split()[0]) for t in said) == 3, said
            assert app.alerts.commands.pending == 2
    finally:
        gate.touch()
