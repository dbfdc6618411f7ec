"""Against the usual, on the dashboard: past runs from the history (an injected ``past_runs``, read in
a thread, once per object and operation per few minutes) make a running job going at a twentieth of
its usual pace show ``slow`` in the jobs table, its detail says the usual and this run's figures, and
the ``slow`` alert fires once, only where ``[alerts] events`` asks for it."""

from __future__ import annotations

import itertools
import logging
import re
import threading
from datetime import UTC, datetime
from pathlib import Path

import pytest
from textual.widgets import Static

from sfmonitor.config.connection import ConnectionOptions
from sfmonitor.config.settings import Settings
from sfmonitor.monitor.alerts import DEFAULT_EVENTS, AlertRules
from sfmonitor.monitor.usual import FRESH_S, PastRun
from sfmonitor.simulator.recipe import ingest_job
from sfmonitor.simulator.server import Simulator
from sfmonitor.ui.app import SfMonitorApp
from sfmonitor.ui.remembering import HistoryOptions
from sfmonitor.ui.screens.detail import JobDetailScreen
from tests.ui.helpers import cell, jobs_table, make_app, wait_for

MIN = 60.0


def running(sim: Simulator, object: str, operation: str, *, rate: float, minutes: float) -> str:
    """A Bulk 2.0 ingest job created ``minutes`` simulated minutes ago, processing ``rate`` rows a second
    since, far from done."""
    with sim.world.lock:
        now = sim.world.clock.now()
        return ingest_job(sim.world, now, created=now - minutes * MIN, start=now - minutes * MIN + 5, total=10**9,
                          rate=rate, object=object, operation=operation).id  # fmt: skip


class History:
    """The history's past runs, as the store would give them: Invoice__c upserts of 11 to 13 minutes at
    1,000 rows a second, Payment__c inserts at 1,000 a second, nothing else. Who asked, when, from where."""

    def __init__(self) -> None:
        self.asked: list[tuple[str, str, str, float]] = []
        self.threads: set[int] = set()

    def __call__(self, org: str, object: str, operation: str, before: float) -> list[PastRun]:
        self.asked.append((org, object, operation, before))
        self.threads.add(threading.get_ident())
        night = 86_400.0
        if (object, operation) == ("Invoice__c", "upsert"):
            minutes = (10, 11, 12, 13, 14)
        elif (object, operation) == ("Payment__c", "insert"):
            minutes = (5, 5, 6)
        else:
            return []
        runs = [PastRun(org, f"750PAST{n}", before - (n + 1) * night, before - (n + 1) * night + m * MIN,
                        int(m * MIN * 1000), 0, "ok") for n, m in enumerate(minutes)]  # fmt: skip
        aborted = PastRun(org, "750ABORTED", before - 9 * night, before - 9 * night + 30, 100, 0, "aborted")
        return [*runs, aborted]  # an aborted run is remembered too; it never defines the usual


def usual_line(app: SfMonitorApp) -> str:
    return str(app.screen.query_one("#usual", Static).content)


@pytest.mark.parametrize("asked", [True, False], ids=["slow-asked-for", "slow-off-by-default"])
async def test_a_job_well_below_its_usual_pace_is_slow_in_the_table_the_detail_and_an_alert(
    sim: Simulator, asked: bool
) -> None:
    tonight = running(sim, "Invoice__c", "upsert", rate=50, minutes=10)  # a twentieth of its usual 1,000/s
    steady = running(sim, "Payment__c", "insert", rate=2000, minutes=3)  # faster than its usual
    history = History()
    events = DEFAULT_EVENTS | {"slow"} if asked else DEFAULT_EVENTS
    options = ConnectionOptions(instance_url=sim.base_url, access_token=sim.token)
    org_clock = lambda: datetime.fromtimestamp(sim.world.clock.now(), UTC)  # noqa: E731 - the org's minutes
    app = SfMonitorApp(options, Settings(interval=0.5, alerts=AlertRules(events=events)), label="UAT",
                       clock=org_clock, past_runs=history)  # fmt: skip
    app.bell = lambda: None  # type: ignore[method-assign]
    async with app.run_test(size=(160, 40)) as pilot:
        table = jobs_table(app)
        await wait_for(pilot, lambda: tonight in table.rows and cell(table, tonight, "state").startswith("slow "))
        assert cell(table, tonight, "state") == "slow InProgress"
        polls = app.org.state.polls_done
        await wait_for(pilot, lambda: app.org.state.polls_done >= polls + 3)  # a few more polls: still one alert
        assert not cell(table, steady, "state").startswith("slow")  # faster than usual: not slow
        slow_alerts = [a for a in app.fleet.alerts if a.kind == "slow"]
        if asked:
            (alert,) = slow_alerts
            assert alert.job_id == tonight and alert.title == "UAT: Invoice__c upsert slow against its usual pace"
            figures = re.search(r"; (\d+) rec/s over the last 3 minutes, under half the usual 1,000 rec/s; running "
                                r"\d+m \(usual 11m\u201313m, 5 runs\)$", alert.body)  # fmt: skip
            assert figures and 0 < int(figures[1]) < 500, alert.body  # 50 a second, read on the org's clock
        else:
            assert slow_alerts == []  # off unless asked for: flagged on screen, no alert

        table.select(tonight)
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, JobDetailScreen) and "slow" in usual_line(app))
        line = usual_line(app)
        figures = re.fullmatch(r"usual 11m\u201313m, 1,000 rec/s \(5 runs\); this run \d+m so far, (\d+) rec/s "
                               r"— slow: well below the usual pace", line)  # fmt: skip
        assert figures and 0 < int(figures[1]) < 500, line  # 50 a second, read on the org's clock: under half
        await pilot.press("escape")
        table.select(steady)
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, JobDetailScreen) and "usual 5m" in usual_line(app))
        assert re.fullmatch(
            r"usual 5m\u20136m, 1,000 rec/s \(3 runs\); this run \d+m so far, [\d,]+ rec/s", usual_line(app)
        )

    assert history.threads and threading.get_ident() not in history.threads  # read off the event loop
    befores: dict[tuple[str, str], list[float]] = {}
    for _, object, operation, before in history.asked:
        befores.setdefault((object, operation), []).append(before)
    for asked_at in befores.values():  # each object and operation at most once per few minutes
        assert all(b - a >= FRESH_S for a, b in itertools.pairwise(asked_at))
    assert ("Invoice__c", "upsert") in befores and ("Payment__c", "insert") in befores


async def test_without_a_history_no_usual_is_shown(sim: Simulator) -> None:
    tonight = running(sim, "Invoice__c", "upsert", rate=50, minutes=10)
    options = ConnectionOptions(instance_url=sim.base_url, access_token=sim.token)
    app = SfMonitorApp(options, Settings(interval=0.5))
    async with app.run_test(size=(160, 40)) as pilot:
        table = jobs_table(app)
        await wait_for(pilot, lambda: app.org.state.polls_done >= 3 and tonight in table.rows)
        assert cell(table, tonight, "state") == "InProgress"
        table.select(tonight)
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, JobDetailScreen) and app.screen.view is not None)
        assert not app.screen.query_one("#usual", Static).display


async def test_a_history_that_cannot_be_read_is_said_and_the_dashboard_goes_on(sim: Simulator) -> None:
    import sqlite3

    tonight = running(sim, "Invoice__c", "upsert", rate=50, minutes=10)

    def locked(org: str, object: str, operation: str, before: float) -> list[PastRun]:
        raise sqlite3.OperationalError("database is locked")

    options = ConnectionOptions(instance_url=sim.base_url, access_token=sim.token)
    app = SfMonitorApp(options, Settings(interval=0.5), past_runs=locked)
    async with app.run_test(size=(160, 40)) as pilot:
        table = jobs_table(app)
        await wait_for(pilot, lambda: tonight in table.rows)
        table.select(tonight)
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, JobDetailScreen) and "not read" in usual_line(app))
        assert usual_line(app) == "usual: past runs not read (database is locked)"
        polls = app.org.state.polls_done
        await wait_for(pilot, lambda: app.org.state.polls_done >= polls + 2)  # still polling, still drawing


async def test_a_damaged_history_file_is_logged_once_not_at_each_poll(
    sim: Simulator, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """The past runs are not asked again of a history the dashboard has turned off: the log says the
    damage once per cause, in one line each (no trace), however many polls and running jobs follow."""
    jobs = [running(sim, object, "insert", rate=50, minutes=10) for object in ("Invoice__c", "Payment__c", "Case")]
    path = tmp_path / "history.sqlite3"
    path.write_bytes(b"this is not a database, " * 400)
    org_clock = lambda: datetime.fromtimestamp(sim.world.clock.now(), UTC)  # noqa: E731 - the org's minutes
    app = make_app(sim, clock=org_clock, history=HistoryOptions(path))
    caplog.set_level(logging.INFO)
    async with app.run_test(size=(160, 40)) as pilot:
        table = jobs_table(app)
        await wait_for(pilot, lambda: all(job in table.rows for job in jobs) and app.history_fault is not None)
        polls = app.org.state.polls_done
        await wait_for(pilot, lambda: app.org.state.polls_done >= polls + 4, timeout=20)
    said = [r for r in caplog.records if r.name.startswith("sfmonitor") and r.levelno >= logging.WARNING]
    messages = [r.getMessage() for r in said]
    assert messages and all("damaged" in message for message in messages), messages
    assert not [r for r in said if r.exc_info], "a trace for a damaged file"
    assert len(messages) == len(set(messages)) <= 2, messages  # the writer's and the past runs': once each
