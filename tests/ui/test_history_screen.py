"""``h``: the selected job's past runs from the history file (a real SQLite file, written by the
store's own writer), over the real simulator: the runs newest first with their figures, a sparkline
of durations, this run against the usual; enter opens a past run read-only with its timeline."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path

from textual.pilot import Pilot
from textual.widgets import DataTable, Static

from sfmonitor.bulk.models import Job
from sfmonitor.monitor.usual import not_enough
from sfmonitor.simulator.recipe import ingest_job
from sfmonitor.simulator.server import Simulator
from sfmonitor.store.schema import connect
from sfmonitor.store.writer import Writer
from sfmonitor.ui.app import SfMonitorApp
from sfmonitor.ui.remembering import HistoryOptions
from sfmonitor.ui.screens.history import HistoryScreen
from sfmonitor.ui.screens.past_job import PastJobScreen
from sfmonitor.ui.widgets.key_bar import KeyBar
from sfmonitor.ui.widgets.status_bar import StatusBar

from .helpers import jobs_table, make_app, wait_for

DAY = 86_400.0


def past_run(n: int, minutes: float, at: float, *, failed: int = 0) -> list[tuple[Job, float]]:
    """A past upsert ``n`` nights ago (of an object the simulator's own jobs never load): half-way, then
    ended (``minutes`` long, 1,000 rows a second)."""
    created = at - n * DAY
    job_id = f"7503000000PAST{n:02d}A"[:18]
    rows = int(minutes * 60 * 1000)

    def seen(state: str, done: int, when: float) -> tuple[Job, float]:
        fields = {"id": job_id, "jobType": "V2Ingest", "object": "Tonight__c", "operation": "upsert", "state": state,
                  "createdDate": _sf(created), "systemModstamp": _sf(when), "numberRecordsProcessed": done,
                  "numberRecordsFailed": failed if state == "JobComplete" else 0}  # fmt: skip
        return Job.from_fields(fields), when

    return [seen("InProgress", rows // 2, created + minutes * 30), seen("JobComplete", rows, created + minutes * 60)]


def _sf(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%S.000+0000")


async def test_h_shows_the_past_runs_and_opens_one_read_only(sim: Simulator, tmp_path: Path) -> None:
    with sim.world.lock:
        now = sim.world.clock.now()
        tonight = ingest_job(sim.world, now, created=now - 600, start=now - 595, total=10**9, rate=50,
                             object="Tonight__c", operation="upsert").id  # fmt: skip
    path = tmp_path / "history.sqlite3"
    app = make_app(sim, interval=1.0, history=HistoryOptions(path))
    writer = Writer(connect(path, write=True))
    wall = time.time()
    for n, minutes in enumerate((12, 11, 14, 12, 13), 1):
        for job, when in past_run(n, minutes, wall, failed=7 if n == 2 else 0):
            writer.poll(app.org.remembered_as, [job], when)
    writer.conn.close()

    async with app.run_test(size=(140, 40)) as pilot:
        table = jobs_table(app)
        await wait_for(pilot, lambda: tonight in table.rows)
        table.select(tonight)
        await pilot.press("h")
        await wait_for(pilot, lambda: isinstance(app.screen, HistoryScreen) and app.screen.runs is not None)
        screen = app.screen
        runs: DataTable[object] = screen.query_one("#runs", DataTable)
        assert runs.row_count == 5
        first = [str(c) for c in runs.get_row_at(0)]
        assert first[1] == "12m00s" and first[2] == "720,000" and first[5] == "ok"  # last night's, newest first
        second = [str(c) for c in runs.get_row_at(1)]
        assert second[3] == "7" and second[5] == "records-failed"
        assert str(screen.query_one("#spark-label", Static).content).startswith("durations of the last 5 runs")
        assert len(str(screen.query_one("#spark", Static).content)) == 5
        usual = screen.query_one("#usual", Static)
        await wait_for(pilot, lambda: "usual 12m" in str(usual.content))
        assert "this run 10m so far" in str(screen.query_one("#usual", Static).content)

        runs.move_cursor(row=1)
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, PastJobScreen) and app.screen.timeline is not None)
        past = app.screen
        timeline: DataTable[object] = past.query_one("#timeline", DataTable)
        assert [str(timeline.get_row_at(i)[1]) for i in range(timeline.row_count)] == ["InProgress", "JobComplete"]
        assert "nothing can be sent for it from here" in str(past.query_one("#note", Static).content)
        await pilot.press("a")  # abort: refused, nothing sent for a remembered job
        await pilot.pause()
        assert not [e for e in list(sim.log) if e[0] in ("POST", "PATCH") and "PAST" in e[1]]
        await pilot.press("escape")
        assert isinstance(app.screen, HistoryScreen)
        await pilot.press("escape")
        assert jobs_table(app) is table


async def test_h_with_history_off_says_so(sim: Simulator) -> None:
    app = make_app(sim, interval=1.0)
    async with app.run_test(size=(140, 40)) as pilot:
        table = jobs_table(app)
        await wait_for(pilot, lambda: table.row_count > 0)
        await pilot.press("h")
        await pilot.pause()
        assert not isinstance(app.screen, HistoryScreen)
        assert any("History: off" in str(n.message) for n in app._notifications)


def _record(app: SfMonitorApp, path: Path, nights: tuple[float, ...]) -> None:
    writer = Writer(connect(path, write=True))
    wall = time.time()
    for n, minutes in enumerate(nights, 1):
        for job, when in past_run(n, minutes, wall):
            writer.poll(app.org.remembered_as, [job], when)
    writer.conn.close()


async def _past_runs_of_an_ended_job(sim: Simulator, app: SfMonitorApp, pilot: Pilot[None]) -> HistoryScreen:
    """h on a job that has ended (the org's usual pace is only read for running jobs and open details)."""
    with sim.world.lock:
        now = sim.world.clock.now()
        ended = ingest_job(sim.world, now, created=now - 600, start=now - 595, total=1000, rate=1000,
                           object="Tonight__c", operation="upsert").id  # fmt: skip
    table = jobs_table(app)
    await wait_for(pilot, lambda: ended in app.org.state.jobs and app.org.state.jobs[ended].finished)
    await wait_for(pilot, lambda: ended in table.rows)
    table.select(ended)
    await pilot.press("h")
    await wait_for(pilot, lambda: isinstance(app.screen, HistoryScreen) and app.screen.runs is not None)
    assert isinstance(app.screen, HistoryScreen)
    return app.screen


async def test_h_on_an_ended_job_says_its_usual_from_the_runs_it_read(sim: Simulator, tmp_path: Path) -> None:
    path = tmp_path / "history.sqlite3"
    app = make_app(sim, interval=1.0, history=HistoryOptions(path))
    _record(app, path, (12, 11, 14, 12, 13))
    async with app.run_test(size=(80, 30)) as pilot:
        screen = await _past_runs_of_an_ended_job(sim, app, pilot)
        usual = screen.query_one("#usual", Static)
        await wait_for(pilot, lambda: str(usual.content).startswith("usual 12m"))
        assert "; this run took " in str(usual.content)  # the detail's wording, never "reading…" forever
        assert "5 past runs" in screen.query_one("#header", StatusBar).content.plain
        runs: DataTable[object] = screen.query_one("#runs", DataTable)
        ids = [str(runs.get_row_at(i)[-1]) for i in range(runs.row_count)]
        assert ids == [f"7503000000PAST{n:02d}A"[:18] for n in range(1, 6)]
        assert runs.virtual_size.width <= runs.scrollable_content_region.width  # the ids whole at 80 columns
        keys = screen.query_one(KeyBar).render().plain
        assert " Close" not in keys and " Abort" not in keys and "Refresh" in keys  # as on the alerts screen
        await pilot.press("c")
        await pilot.pause()
        assert not any("Cannot close" in str(n.message) for n in app._notifications)


async def test_h_with_one_past_run_says_not_enough(sim: Simulator, tmp_path: Path) -> None:
    path = tmp_path / "history.sqlite3"
    app = make_app(sim, interval=1.0, history=HistoryOptions(path))
    _record(app, path, (12,))
    async with app.run_test(size=(120, 30)) as pilot:
        screen = await _past_runs_of_an_ended_job(sim, app, pilot)
        usual = screen.query_one("#usual", Static)
        await wait_for(pilot, lambda: str(usual.content) == not_enough(1))
        header = screen.query_one("#header", StatusBar).content.plain
        assert "1 past run" in header and "1 past runs" not in header


def test_a_past_jobs_failure_groups_say_when_they_were_read() -> None:
    from sfmonitor.numbers import clock
    from sfmonitor.store.reader import Timeline
    from sfmonitor.store.rows import Remembered
    from sfmonitor.ui.screens.past_job import groups_text

    now = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)
    job = past_run(1, 12, now.timestamp())[1][0]
    run = Remembered("acme", job, "ended", "records-failed", now.timestamp() - 3 * DAY, 0.0, 0.0)
    read_at = now.timestamp() - 3 * DAY
    found = Timeline(run, [], [], [("DUPLICATE_VALUE", "duplicate value found", 7)], read_at)
    first = groups_text(found, now).splitlines()[0]
    when = clock(datetime.fromtimestamp(read_at, UTC), now)  # the day and time (the local clock's)
    assert first == f"why rows failed (as read {when}, 3d00h ago):"
    assert "at an unknown time" in groups_text(Timeline(run, [], [], found.failure_groups, None), now)
