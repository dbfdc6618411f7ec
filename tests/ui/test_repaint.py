"""Drawing only what changed: a poll that changes one job repaints that job's row, not the table."""

from __future__ import annotations

from sfmonitor.ui.widgets.keyed_table import KeyedTable
from tests.ui.helpers import frozen_dashboard, jobs_table, wait_for


async def test_a_poll_changing_one_job_repaints_one_row() -> None:
    async with frozen_dashboard() as (app, pilot, sim):  # nothing moves unless the test moves it
        await pilot.pause(0.2)
        table = jobs_table(app)
        with sim.world.lock:
            job = next(j for j in sim.world.jobs.values() if j.api == "ingest" and j.state == "InProgress")
            assert job.plan is not None and job.plan.start is not None
            job.plan.start -= 10  # ten more seconds of work done: more records processed
        regions: list[tuple[object, ...]] = []
        original = KeyedTable.refresh

        def spy(self: KeyedTable, *args: object, **kwargs: object) -> object:
            if self is table:
                regions.append(args)
            return original(self, *args, **kwargs)  # type: ignore[arg-type]

        KeyedTable.refresh = spy  # type: ignore[method-assign]
        try:
            before = app.org.state.cycles_started
            await pilot.press("r")
            await wait_for(pilot, lambda: app.org.state.cycles_started > before and not app.org.polling)
            await pilot.pause(0.2)
        finally:
            KeyedTable.refresh = original  # type: ignore[method-assign]
        assert regions, "the changed job was not redrawn"
        assert all(len(call) == 1 for call in regions), f"the whole table was repainted: {regions}"
        rows = {(getattr(call[0], "y", None), getattr(call[0], "height", None)) for call in regions}
        row = table.get_row_index(job.id) + 1  # below the header line
        assert rows == {(row, 1)}


async def test_a_header_line_that_changes_repaints_that_line_only() -> None:
    from dataclasses import replace

    from sfmonitor.ui.theming import palette
    from sfmonitor.ui.view import present_board
    from sfmonitor.ui.widgets.status_bar import StatusBar

    async with frozen_dashboard() as (app, pilot, _):
        header = app.screen.query_one("#header", StatusBar)
        info = present_board(app.fleet, app.clock(), palette(app), muted=False).header(notes=("sort: running",))
        header.show(info, palette(app))
        await pilot.pause(0.1)
        calls: list[tuple[object, ...]] = []
        original = StatusBar.refresh

        def spy(self: StatusBar, *args: object, **kwargs: object) -> object:
            calls.append(args)
            return original(self, *args, **kwargs)  # type: ignore[arg-type]

        StatusBar.refresh = spy  # type: ignore[method-assign]
        try:
            header.show(replace(info, trouble="OFFLINE (last good 5s ago): timed out"), palette(app))
            header.show(replace(info, trouble="OFFLINE (last good 5s ago): timed out"), palette(app))  # the same
        finally:
            StatusBar.refresh = original  # type: ignore[method-assign]
        lines = str(header.render()).split("\n")
        trouble = lines.index("OFFLINE (last good 5s ago): timed out")
        assert [[(r.y, r.height) for r in call] for call in calls] == [[(trouble, 1)]]  # type: ignore[attr-defined]
