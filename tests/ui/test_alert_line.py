"""Alerts hide nothing: a job that ends while watched is the header's alert line (never a toast over
the rows), the session's alerts are listed on the alerts screen (!) newest first, and enter there
opens the job. Muted (m), an alert is still logged and shown, but the bell stays quiet."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

from textual.widgets import DataTable

from sfmonitor.config.connection import ConnectionOptions
from sfmonitor.config.settings import Settings
from sfmonitor.monitor.alert_log import AlertLog
from sfmonitor.monitor.alerts import AlertRules
from sfmonitor.notify.event_command import EventCommands
from sfmonitor.simulator.server import Simulator
from sfmonitor.ui import textual_private
from sfmonitor.ui.alerting import DELIVERY_FRESH_S, Alerts
from sfmonitor.ui.app import SfMonitorApp
from sfmonitor.ui.screens.alerts import AlertsScreen
from sfmonitor.ui.screens.detail import JobDetailScreen
from sfmonitor.ui.widgets.status_bar import StatusBar
from tests.conftest import add_classic_job, add_running_ingest_job
from tests.ui.helpers import jobs_table, org, wait_for


def toasts(app: SfMonitorApp) -> list[str]:
    return [f"{n.title}|{n.message}" for n in textual_private.notifications(app)]


def header_lines(app: SfMonitorApp) -> list[str]:
    return str(app.screen.query_one("#header", StatusBar).render()).split("\n")


async def test_a_job_ending_is_the_alert_line_not_a_toast_and_m_quiets_the_bell(quiet_sim: Simulator) -> None:
    sim = quiet_sim
    options = ConnectionOptions(instance_url=sim.base_url, access_token=sim.token)
    app = SfMonitorApp(options, Settings(interval=0.5), label="UAT")
    bells: list[int] = []
    app.bell = lambda: bells.append(1)  # type: ignore[method-assign]
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: app.org.state.polls_done >= 1)  # after it, a new job's end is news
        header = app.screen.query_one("#header", StatusBar)
        height, table_at = header.outer_size.height, jobs_table(app).region
        assert header_lines(app)[-1].startswith("no alerts yet · ! lists")
        first = add_running_ingest_job(sim, total=120, rate=3, running_for=0, fail_permille=0)  # ~40 simulated s
        await wait_for(pilot, lambda: first in header_lines(app)[-1], timeout=20)
        line = header_lines(app)[-1]
        assert " UAT: Contact insert JobComplete · job " + first in line
        assert "120 processed, 0 failed" in app.fleet.alerts.newest().body  # type: ignore[union-attr]
        assert not any(first in t for t in toasts(app))  # nothing covers the rows
        assert bells and (header.outer_size.height, jobs_table(app).region) == (height, table_at)
        await pilot.press("m")
        await wait_for(pilot, lambda: "alerts muted (m)" in header_lines(app)[0])
        rung = len(bells)
        second = add_running_ingest_job(sim, total=60, rate=3, running_for=0, fail_permille=0)
        await wait_for(pilot, lambda: second in header_lines(app)[-1], timeout=20)  # muted: still shown
        assert "+1 more (!)" in header_lines(app)[-1] and len(bells) == rung  # ... but the bell is quiet
        assert [a.job_id for a in app.fleet.alerts] == [first, second]


async def test_a_bulk_1_job_left_open_after_its_batches_is_an_alert_saying_close_it(sim: Simulator) -> None:
    options = ConnectionOptions(instance_url=sim.base_url, access_token=sim.token)
    # the dashboard's clock is the org's (at 60x): "every batch done for 3 minutes" is the org's minutes
    org_clock = lambda: datetime.fromtimestamp(sim.world.clock.now(), UTC)  # noqa: E731
    app = SfMonitorApp(options, Settings(interval=0.5), label="UAT", clock=org_clock)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: app.org.state.polls_done >= 1)  # after it, a job left waiting is news
        left_open = add_classic_job(sim, [60, 60], fail_permille=0, rate=1, state="Open", started_ago=0)
        await wait_for(pilot, lambda: left_open in header_lines(app)[-1], timeout=20)
        assert "UAT: Contact insert waiting on its client: close it? · job " + left_open in header_lines(app)[-1]
        (alert,) = [a for a in app.fleet.alerts if a.job_id == left_open]
        assert "nobody has closed it" in alert.body and alert.bad


async def test_the_alerts_screen_lists_every_orgs_alerts_and_enter_opens_the_job(quiet_sim: Simulator) -> None:
    """Two orgs (one simulator twice): one job's end is two alerts, each org's; the screen lists both
    newest first, opening it marks them seen, and enter opens the job of the selected one."""
    sim = quiet_sim
    app = SfMonitorApp([org("uat", sim), org("dev", sim)], Settings(interval=0.5))
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: all(o.state.polls_done >= 1 for o in app.fleet))
        job = add_running_ingest_job(sim, total=60, rate=3, running_for=0, fail_permille=0)
        await wait_for(pilot, lambda: len(app.fleet.alerts) == 2, timeout=20)
        await wait_for(pilot, lambda: "+1 more (!)" in header_lines(app)[-1])
        await pilot.press("exclamation_mark")
        await wait_for(pilot, lambda: isinstance(app.screen, AlertsScreen))
        screen = app.screen
        assert isinstance(screen, AlertsScreen)
        rows = [[str(cell) for cell in screen.query_one("#alerts").get_row_at(i)] for i in range(2)]  # type: ignore[attr-defined]
        newest = app.fleet.alerts.newest()
        assert newest is not None and rows[0][1] == newest.org and {r[1] for r in rows} == {"UAT", "DEV"}
        assert all(r[2] == job and r[3] == "Contact insert JobComplete" for r in rows)
        assert app.fleet.alerts.unseen == 0
        await wait_for(pilot, lambda: "more" not in header_lines(app)[-1])  # seen: no "+1 more"
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, JobDetailScreen))
        assert app.screen.picked() == (newest.org_key, job)  # type: ignore[attr-defined]
        await pilot.press("escape")
        await wait_for(pilot, lambda: isinstance(app.screen, AlertsScreen))


async def test_the_alerts_screen_and_help_say_why_no_notification_reaches_the_desktop(quiet_sim: Simulator) -> None:
    """Inside a tmux whose passthrough is off: the alerts screen and the help say so and how to
    allow it, and n (a test notification) says it was not sent, and why."""
    app = SfMonitorApp(ConnectionOptions(instance_url=quiet_sim.base_url, access_token=quiet_sim.token),
                       Settings(interval=0.5))  # fmt: skip
    app.alerts.env = {"TMUX": "/tmp/tmux-1000/default,1,0", "TERM": "tmux-256color"}
    app.alerts.tmux = lambda args: "off" if "allow-passthrough" in args else "xterm-kitty"
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        await wait_for(pilot, lambda: app.org.state.polls_done >= 1)
        await pilot.press("exclamation_mark")
        await wait_for(pilot, lambda: isinstance(app.screen, AlertsScreen))
        delivery = str(app.screen.query_one("#delivery").render())
        assert (
            delivery
            == "desktop notifications: tmux's allow-passthrough is off; turn it on: tmux set -g allow-passthrough on"
        )
        await pilot.press("n")
        await wait_for(pilot, lambda: any("not sent: tmux's allow-passthrough is off" in t for t in toasts(app)))
        await pilot.press("question_mark")
        await wait_for(pilot, lambda: "allow-passthrough" in "".join(
            str(s.render()) for s in app.screen.query("Static")))  # fmt: skip


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


async def test_on_event_commands_running_when_the_app_quits_are_killed(quiet_sim: Simulator, tmp_path: Path) -> None:
    """A hook still running (and what it started) when sfmonitor quits is killed, not left behind."""
    from tests.test_event_command_bounds import gone

    pids = tmp_path / "pids"
    hook = ("/bin/sh", "-c", f"cat >/dev/null; sleep 120 & echo $! $$ >> {pids}; sleep 120")
    rules = AlertRules(bell=False, desktop="off", on_event=hook, on_event_timeout_s=600)
    options = ConnectionOptions(instance_url=quiet_sim.base_url, access_token=quiet_sim.token)
    app = SfMonitorApp(options, Settings(interval=0.5, alerts=rules), label="UAT")
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: app.org.state.polls_done >= 1)
        add_running_ingest_job(quiet_sim, total=60, rate=3, running_for=0, fail_permille=0)
        await wait_for(pilot, lambda: pids.exists() and pids.read_text().endswith("\n"), timeout=30)
        started = [int(pid) for pid in pids.read_text().split()]
        assert not any(gone(pid) for pid in started) and app.alerts.commands.groups
        await pilot.press("q")
    for _ in range(200):
        if all(gone(pid) for pid in started):
            break
        await asyncio.sleep(0.02)
    assert all(gone(pid) for pid in started), started


class Tmux:
    """A tmux whose answers change as the operator changes it: allow-passthrough (global) and the
    terminal of the attached client ("" while detached)."""

    def __init__(self, passthrough: str, client: str) -> None:
        self.passthrough, self.client = passthrough, client

    def __call__(self, args: list[str]) -> str | None:
        if args[0] == "show":
            return self.passthrough if args[1] == "-gv" else ""
        return self.client


TMUX_ENV = {"TMUX": "/tmp/tmux-1000/default,1,0", "TMUX_PANE": "%3", "TERM": "tmux-256color"}


def test_a_decision_of_how_notifications_travel_expires() -> None:
    now = [1000.0]
    tmux = Tmux("off", "xterm-kitty")
    alerts = Alerts(None, lambda: datetime.now(UTC), AlertLog(), env=TMUX_ENV, tmux=tmux,  # type: ignore[arg-type]
                    monotonic=lambda: now[0])  # fmt: skip
    assert alerts.delivery().kind == "off"
    tmux.passthrough = "on"  # tmux set -g allow-passthrough on
    now[0] += DELIVERY_FRESH_S - 1
    assert alerts.delivery().kind == "off"  # not asked again yet
    now[0] += 1
    assert alerts.delivery().kind == "osc99"  # the decision expired: tmux asked again
    tmux.client = ""  # detached
    alerts.decide_afresh()  # as n does
    assert alerts.delivery().kind == "off"
    tmux.client = "xterm-kitty"  # attached again
    alerts.decide_afresh()
    assert alerts.delivery().kind == "osc99"


async def test_n_and_the_alerts_screen_decide_afresh(quiet_sim: Simulator) -> None:
    """The alerts screen says to turn tmux's passthrough on; once it is, n says so (no stale "off"),
    and so does the screen; opening the screen again asks again too."""
    app = SfMonitorApp(ConnectionOptions(instance_url=quiet_sim.base_url, access_token=quiet_sim.token),
                       Settings(interval=0.5))  # fmt: skip
    tmux = Tmux("off", "")
    app.alerts.env, app.alerts.tmux = TMUX_ENV, tmux
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        await wait_for(pilot, lambda: app.org.state.polls_done >= 1)
        await pilot.press("exclamation_mark")
        await wait_for(pilot, lambda: isinstance(app.screen, AlertsScreen))

        def line() -> str:
            return str(app.screen.query_one("#delivery").render())

        assert "allow-passthrough is off; turn it on: tmux set -g allow-passthrough on" in line()
        tmux.passthrough = "on"
        await pilot.press("n")
        await wait_for(pilot, lambda: any("Desktop notification|" in t for t in toasts(app)))
        assert not any("allow-passthrough is off" in t for t in toasts(app)), toasts(app)
        assert any("client terminal (not known)" in t for t in toasts(app))  # detached: no client
        await wait_for(pilot, lambda: "client terminal (not known)" in line())
        tmux.client = "xterm-kitty"  # attached again
        await pilot.press("escape", "exclamation_mark")
        await wait_for(pilot, lambda: isinstance(app.screen, AlertsScreen) and "osc99" in line())
        assert "through tmux's passthrough to xterm-kitty" in line()


async def test_the_alerts_columns_fit_the_width_and_the_selected_alert_is_shown_whole(quiet_sim: Simulator) -> None:
    """At 120 columns a Bulk 1.0 alert's details do not run off the screen: the details column takes
    the rest, clipped with …, and the selected alert's whole text is under the table; enter is in the
    palette as "Open job"."""
    from sfmonitor.bulk.models import Job
    from sfmonitor.monitor.alerts import Event

    app = SfMonitorApp([org("uat", quiet_sim)], Settings(interval=0.5))
    job = Job.from_fields({"id": "7505g000000NSLAAA2", "jobType": "Classic", "state": "Failed", "object": "Contact",
                           "operation": "insert", "numberRecordsProcessed": 120000, "numberRecordsFailed": 4000,
                           "numberBatchesTotal": 60, "numberBatchesFailed": 3})  # fmt: skip
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: app.org.state.polls_done >= 1)
        app.fleet.alerts.add([Event("ended", "UAT", job, duration_s=3600.0)], at=0, org_key="uat")
        await pilot.press("exclamation_mark")
        await wait_for(pilot, lambda: isinstance(app.screen, AlertsScreen))
        await pilot.pause(0.1)
        table = app.screen.query_one("#alerts", DataTable)
        assert sum(column.get_render_width(table) for column in table.columns.values()) <= 120
        details = str(table.get_row_at(0)[4])
        body = app.fleet.alerts.newest().body  # type: ignore[union-attr]
        assert details.endswith("…") and body.startswith(details[:-1]) and "batches failed" in body
        chosen = str(app.screen.query_one("#chosen").render())
        assert "Contact insert Failed" in chosen and body in chosen.replace("\n", " ")
        assert "Open job (⏎)" in {command.title for command in app.get_system_commands(app.screen)}
        await pilot.resize_terminal(200, 40)  # wider: the details take the room
        await wait_for(pilot, lambda: not str(table.get_row_at(0)[4]).endswith("…"))
        assert str(table.get_row_at(0)[4]) == body
