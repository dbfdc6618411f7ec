"""The bottom key bar: what each key does now, fitted to the terminal, clickable; and nothing piles up."""

from __future__ import annotations

import gc
from collections import Counter

from textual.widget import Widget

from sfmonitor.simulator.server import Simulator
from sfmonitor.ui.app import SfMonitorApp
from sfmonitor.ui.screens.confirm import ConfirmScreen
from sfmonitor.ui.screens.detail import JobDetailScreen
from sfmonitor.ui.screens.help import HelpScreen
from sfmonitor.ui.widgets.key_bar import KeyBar
from tests.conftest import find_job

from .helpers import jobs_table, make_app, wait_for


def bar(app: SfMonitorApp) -> str:
    return app.screen.query_one(KeyBar).render().plain  # type: ignore[union-attr]


def widgets() -> tuple[Counter[str], int]:
    """The live widgets by type, and how many widgets' rendered lines are kept (Textual's StylesCache)."""
    gc.collect()
    alive = gc.get_objects()
    kept = sum(1 for o in alive if type(o).__name__ == "StylesCache")
    return Counter(type(o).__name__ for o in alive if isinstance(o, Widget)), kept


async def test_80_columns_keeps_help_and_whole_words(sim: Simulator) -> None:
    app = make_app(sim)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: app.org.state.polls_done)
        await pilot.pause(0.1)
        line = bar(app)
        assert len(line) == 80
        assert line.rstrip().endswith("? Help  ^p palette"), line
        assert "Detail" in line and "Abort" in line
        assert "Quit" not in line and "Theme" not in line  # no room: left out whole, listed by ?
        await pilot.press("question_mark")
        await wait_for(pilot, lambda: isinstance(app.screen, HelpScreen))
    async with make_app(sim).run_test(size=(120, 40)) as pilot:
        await pilot.pause(0.3)
        assert "t Theme  q Quit" in bar(pilot.app)  # type: ignore[arg-type]


async def test_a_key_the_job_cannot_take_is_dim_and_clicks_work(sim: Simulator) -> None:
    query_id = find_job(sim, "query", "InProgress")
    app = make_app(sim)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: app.org.state.polls_done and query_id in app.org.state.jobs)
        jobs_table(app).select(query_id)
        await pilot.pause(0.2)
        text = app.screen.query_one(KeyBar).render()
        line = text.plain  # type: ignore[union-attr]
        close, abort = line.index(" c Close"), line.index(" a Abort")
        dim = {span.start: "dim" in str(span.style) for span in text.spans}  # type: ignore[union-attr]
        assert dim[close] and not dim[abort]

        await pilot.click(KeyBar, offset=(close + 3, 0))  # a query job cannot be closed: nothing opens
        await pilot.pause(0.2)
        assert not isinstance(app.screen, ConfirmScreen)
        first = app.fleet.index.sort
        await pilot.click(KeyBar, offset=(line.index(" s Sort") + 3, 0))
        await pilot.pause(0.2)
        assert app.fleet.index.sort is not first
        # a new order puts the cursor on its top row (a step at a time on a busy machine): back to the job
        await wait_for(pilot, lambda: jobs_table(app).cursor_row == 0)
        jobs_table(app).select(query_id)
        await pilot.pause(0.2)
        await pilot.click(KeyBar, offset=(abort + 3, 0))
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("n")


async def test_hours_of_keys_and_polls_leave_no_widgets_behind(sim: Simulator) -> None:
    """Textual's Footer kept every key widget it ever built (~150 per screen change), and Textual keeps
    the rendered lines of closed screens' widgets in a class-wide cache (~200 KB a closed detail).
    Moving between jobs of different legal keys, opening the detail, the help and a confirmation must
    leave exactly the widgets there were, and the rendered lines of no closed widget."""
    ingest_id, query_id = find_job(sim, "ingest", "InProgress"), find_job(sim, "query", "InProgress")
    app = make_app(sim, interval=3.0)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(
            pilot,
            lambda: app.org.state.polls_done and query_id in app.org.state.jobs and ingest_id in app.org.state.jobs,
        )
        await pilot.pause(0.3)
        before, _ = widgets()
        for _ in range(4):  # the Footer piled up ~150 widgets a round
            for job_id in (ingest_id, query_id):
                jobs_table(app).select(job_id)
                await pilot.pause(0.05)
            await pilot.press("enter")
            await wait_for(pilot, lambda: isinstance(app.screen, JobDetailScreen))
            await pilot.press("escape", "question_mark")
            await wait_for(pilot, lambda: isinstance(app.screen, HelpScreen))
            await pilot.press("escape", "a")
            await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen))
            await pilot.press("n")
            await pilot.pause(0.05)
        await pilot.pause(0.3)
        after, kept_after = widgets()
        assert after == before
        assert kept_after <= sum(after.values())  # each live widget has one; none of a closed widget
