"""The dashboard, driven key by key with Textual's Pilot, against the simulator over real sockets."""

from __future__ import annotations

import pytest

from sfmonitor.simulator.faults import FaultSpec
from sfmonitor.simulator.server import Simulator
from sfmonitor.ui.screens.confirm import ConfirmScreen
from sfmonitor.ui.screens.detail import JobDetailScreen
from sfmonitor.ui.screens.help import HelpScreen
from sfmonitor.ui.textual_private import notifications
from sfmonitor.ui.widgets.keyed_table import KeyedTable
from sfmonitor.ui.widgets.status_bar import StatusBar
from tests.conftest import find_job, make_sim

from .helpers import FIXED, cell, jobs_table, make_app, row_text, wait_for, writes


async def test_first_poll_fills_the_table_running_jobs_on_top(sim: Simulator) -> None:
    app = make_app(sim)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: app.org.state.polls_done)
        table = jobs_table(app)
        assert table.row_count == len(sim.world.jobs)
        order = [row.key.value for row in table.ordered_rows]
        finished = [app.org.state.jobs[key].finished for key in order]
        assert finished == sorted(finished), "running jobs must come first"
        header = app.screen.query_one("#header", StatusBar)
        assert "API 1" in str(header.content) and "64 jobs" in str(header.content)


@pytest.mark.parametrize(
    ("api", "state", "key", "after"),
    [
        ("ingest", "Open", "c", "UploadComplete"),
        ("ingest", "InProgress", "a", "Aborted"),
        ("query", "InProgress", "a", "Aborted"),
        ("classic", "Open", "c", "Closed"),
        ("classic", "Closed", "a", "Aborted"),
    ],
)
async def test_close_and_abort_each_kind_sends_exactly_one_request(
    sim: Simulator, api: str, state: str, key: str, after: str
) -> None:
    job_id = find_job(sim, api, state)
    app = make_app(sim)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(
            pilot,
            lambda: (
                job_id in app.org.state.jobs and (api != "classic" or app.org.state.jobs[job_id].batches is not None)
            ),
        )
        jobs_table(app).select(job_id)
        await pilot.press(key)
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        assert app.screen.focused is not None and app.screen.focused.id == "no"  # starts on No
        await pilot.press("y", key, "y")  # a second press while pending must not send again
        await wait_for(pilot, lambda: app.org.state.jobs[job_id].state != state and not app.org.state.pending)
        cycles = app.org.state.cycles_started
        await wait_for(pilot, lambda: app.org.state.cycles_started > cycles + 1)  # polls later: still one request
        assert len(writes(sim, job_id)) == 1
        # an uploaded ingest job goes on by itself (at 60x, in seconds); the others stay where they were sent
        reached = {"UploadComplete": {"UploadComplete", "InProgress", "JobComplete"}}.get(after, {after})
        with sim.world.lock:
            assert sim.world.jobs[job_id].state in reached
        assert cell(jobs_table(app), job_id, "state") in reached


async def test_confirmation_no_and_escape_send_nothing(sim: Simulator) -> None:
    job_id = find_job(sim, "ingest", "InProgress")
    app = make_app(sim)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: app.org.state.polls_done and job_id in app.org.state.jobs)
        jobs_table(app).select(job_id)
        for cancel in ("n", "escape", "enter"):  # enter presses the focused No button
            await pilot.press("a")
            await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen))
            await pilot.press(cancel)
            await wait_for(pilot, lambda: not isinstance(app.screen, ConfirmScreen))
        await pilot.pause(0.3)
        assert writes(sim, job_id) == []


async def test_illegal_key_is_greyed_and_says_why(sim: Simulator) -> None:
    query_id = find_job(sim, "query", "InProgress")
    app = make_app(sim)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: app.org.state.polls_done and query_id in app.org.state.jobs)
        jobs_table(app).select(query_id)
        await pilot.pause(0.1)
        assert app.screen.active_bindings["c"].enabled is False
        assert app.screen.active_bindings["a"].enabled is True
        await pilot.press("c")
        await pilot.pause(0.1)
        assert not isinstance(app.screen, ConfirmScreen)
        messages = [n.message for n in notifications(app)]
        assert any("query job cannot be closed" in m for m in messages)
        assert writes(sim, query_id) == []


async def test_read_only_hides_and_refuses(sim: Simulator) -> None:
    job_id = find_job(sim, "ingest", "InProgress")
    app = make_app(sim, read_only=True)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: app.org.state.polls_done and job_id in app.org.state.jobs)
        jobs_table(app).select(job_id)
        await pilot.pause(0.1)
        assert "a" not in app.screen.active_bindings or not app.screen.active_bindings["a"].enabled
        await pilot.press("a", "y", "c", "y")
        app.action_abort_job()  # the action method itself refuses, not only the binding
        await pilot.pause(0.3)
        assert not isinstance(app.screen, ConfirmScreen)
        assert writes(sim, job_id) == []
        assert any("read-only" in n.message for n in notifications(app))


async def test_filter_enter_and_escape(sim: Simulator) -> None:
    app = make_app(sim)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: app.org.state.polls_done)
        table = jobs_table(app)
        everything = table.row_count
        await pilot.press("slash", *"QUERY")
        await pilot.pause(0.1)
        keys = [row.key.value for row in table.ordered_rows]
        assert keys and len(keys) < everything
        assert all(
            app.org.state.jobs[k].operation.startswith("query") or "query" in app.org.state.jobs[k].kind.label
            for k in keys
        )
        await pilot.press("enter")
        await pilot.pause(0.1)
        assert app.focused is table and table.cursor_row == 0
        await pilot.press("escape")
        await pilot.pause(0.1)
        assert table.row_count == everything


async def test_detail_shows_batches_that_update_while_the_cursor_stays(sim: Simulator) -> None:
    job_id = find_job(sim, "classic", "Open")
    app = make_app(sim)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: app.org.state.polls_done and job_id in app.org.state.jobs)
        jobs_table(app).select(job_id)
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, JobDetailScreen))
        batches = app.screen.query_one("#batches", KeyedTable)
        await wait_for(pilot, lambda: batches.row_count == 40)
        running = next(k for k in (r.key.value for r in batches.ordered_rows) if "InProgress" in row_text(batches, k))
        batches.select(running)
        before = row_text(batches, running)
        polls = app.org.connection.last_good
        await wait_for(pilot, lambda: app.org.connection.last_good != polls and row_text(batches, running) != before)
        assert batches.selected_key == running
        assert batches.row_count == 40
        await pilot.press("s")  # sort by state: the selected batch moves, the cursor follows it
        await pilot.pause(0.1)
        assert batches.selected_key == running
        await pilot.press("escape")
        await wait_for(pilot, lambda: not isinstance(app.screen, JobDetailScreen))
        assert jobs_table(app).selected_key == job_id


async def test_refresh_pause_sort_theme_help_palette_quit(sim: Simulator) -> None:
    app = make_app(sim, interval=60.0)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: app.org.state.polls_done)
        listings = sum(1 for _, p, _ in sim.log if p.endswith("/jobs/ingest"))
        await pilot.press("r")
        await wait_for(pilot, lambda: sum(1 for _, p, _ in sim.log if p.endswith("/jobs/ingest")) > listings)
        await pilot.press("p")
        assert app.org.connection.paused
        header = app.screen.query_one("#header", StatusBar)
        assert "PAUSED" in str(header.content)
        await pilot.press("p")
        assert not app.org.connection.paused
        first_sort = app.fleet.index.sort
        await pilot.press("s")
        assert app.fleet.index.sort is not first_sort
        theme = app.theme
        await pilot.press("t")
        assert app.theme != theme
        await pilot.press("question_mark")
        await wait_for(pilot, lambda: isinstance(app.screen, HelpScreen))
        described = {description for _, description, _ in app.screen.rows}
        assert {"Filter", "Detail", "Close", "Abort", "Refresh", "Pause", "Sort", "Theme", "Quit"} <= described
        await pilot.press("escape")
        await wait_for(pilot, lambda: not isinstance(app.screen, HelpScreen))
        palette = {command.title for command in app.get_system_commands(app.screen)}
        assert {"Refresh (r)", "Pause (p)", "Close (c)", "Abort (a)", "Quit (q)"} <= palette  # the keys' actions
        await pilot.press("q")
        await pilot.pause(0.1)
    assert app.return_code == 0


async def test_a_hanging_org_shows_stale_then_recovers() -> None:
    sim = make_sim(speed=60, faults=FaultSpec(slow=2.0), held=False)
    now = [FIXED]
    try:
        app = make_app(sim, clock=lambda: now[0], interval=0.2, staleness_every=0.1)
        async with app.run_test(size=(120, 40)) as pilot:
            await wait_for(pilot, lambda: app.org.state.polls_done)
            rows = jobs_table(app).row_count
            sim.faults.hold(True)  # every answer now takes 2 s: the next poll hangs
            cycles = app.org.state.cycles_started
            await wait_for(pilot, lambda: app.org.state.cycles_started > cycles and app.org.polling)
            now[0] = FIXED.replace(minute=FIXED.minute + 2)
            header = app.screen.query_one("#header", StatusBar)
            await wait_for(pilot, lambda: "STALE" in str(header.content), timeout=8)
            assert jobs_table(app).row_count == rows  # the last known values stay on screen
            sim.faults.hold(False)
            await wait_for(pilot, lambda: "STALE" not in str(header.content), timeout=15)
    finally:
        sim.stop()


async def test_operator_keys_move_through_the_table(sim: Simulator) -> None:
    app = make_app(sim, interval=3.0)
    async with app.run_test(size=(120, 40)) as pilot:
        # the first poll over: its rows come as they are listed and read, each move keeping the cursor's job
        await wait_for(pilot, lambda: app.org.state.polls_done and len(app.org.state.jobs) > 3)
        table = jobs_table(app)
        await wait_for(pilot, lambda: table.row_count == len(app.org.state.jobs))
        await pilot.press("j", "j")
        assert table.cursor_row == 2
        await pilot.press("k")
        assert table.cursor_row == 1
        await pilot.press("G")
        assert table.cursor_row == table.row_count - 1
        await pilot.press("g")
        assert table.cursor_row == 0
        await pilot.press("end")
        assert table.cursor_row == table.row_count - 1
        await pilot.press("home")
        assert table.cursor_row == 0
