"""Help lists sfmonitor's keys first, then Textual's own; a new sort order is shown from its top."""

from __future__ import annotations

from sfmonitor.monitor.board import SortMode
from sfmonitor.ui.screens.help import HelpScreen
from tests.ui.helpers import frozen_dashboard, jobs_table, wait_for


async def test_help_lists_our_keys_before_textuals() -> None:
    async with frozen_dashboard() as (app, pilot, _):
        await pilot.press("question_mark")
        await wait_for(pilot, lambda: isinstance(app.screen, HelpScreen))
        assert isinstance(app.screen, HelpScreen)
        described = [description for _, description, _ in app.screen.rows]
        divider = described.index("Textual's own keys:")
        ours, theirs = described[:divider], described[divider + 1 :]
        assert {"Abort", "Close", "Filter", "Sort", "Next row", "First row"} <= set(ours)
        assert theirs and not {"Abort", "Close", "Filter"} & set(theirs)
        means = dict(app.screen.columns)  # and what the figures mean: Proc time explains itself
        assert "summed over the job's batches" in means["Proc time"] and "no total" in means["ETA"]


async def test_a_sort_change_shows_the_top_of_the_new_order() -> None:
    async with frozen_dashboard(size=(120, 24)) as (app, pilot, _):
        table = jobs_table(app)
        await pilot.press("G")  # the operator is looking at the oldest jobs
        await wait_for(pilot, lambda: table.scroll_y > 0)
        for _ in app.fleet.sorts():  # all the way round, back to running first
            await pilot.press("s")
            await pilot.pause(0.1)
            await wait_for(pilot, lambda: table.cursor_row == 0 and table.scroll_y == 0)
        assert app.fleet.index.sort is SortMode.RUNNING
        key = table.selected_key
        assert key is not None and not app.org.state.jobs[key].finished  # the running jobs are in view
