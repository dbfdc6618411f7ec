"""More jobs and batches than a table shows: capped sensibly, found by the filter, no crash.
(20,000 jobs and a 15,000-batch job are the benchmark's: benchmarks/scale.py.)"""

from __future__ import annotations

from sfmonitor.simulator.bulk import add_finished_ingest_jobs, add_giant_classic_job
from sfmonitor.simulator.server import Simulator
from sfmonitor.ui.screens.detail import JobDetailScreen
from sfmonitor.ui.view import MAX_ROWS
from sfmonitor.ui.widgets.keyed_table import KeyedTable
from sfmonitor.ui.widgets.status_bar import StatusBar

from .helpers import jobs_table, make_app, wait_for


async def test_a_huge_org(sim: Simulator) -> None:
    add_finished_ingest_jobs(sim.world, 2_500)
    giant = add_giant_classic_job(sim.world, 1_500)
    oldest = min(sim.world.jobs.values(), key=lambda j: j.created).id
    app = make_app(sim, interval=5.0)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: len(app.org.state.jobs) > 2_500, timeout=60)
        table = jobs_table(app)
        await wait_for(pilot, lambda: table.row_count == MAX_ROWS, timeout=30)
        header = app.screen.query_one("#header", StatusBar)
        assert f"showing 1,000 of {len(app.org.state.jobs):,}" in str(header.content)
        assert giant in {row.key.value for row in table.ordered_rows}  # running jobs are always shown
        await pilot.press("slash", *oldest, "enter")  # beyond the cap, the filter still finds it
        await wait_for(pilot, lambda: table.row_count == 1 and table.selected_key == oldest)
        await pilot.press("escape")
        await wait_for(pilot, lambda: table.row_count == MAX_ROWS, timeout=30)
        table.select(giant)
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, JobDetailScreen))
        batches = app.screen.query_one("#batches", KeyedTable)
        await wait_for(pilot, lambda: batches.row_count == MAX_ROWS, timeout=30)
        assert "1,500 batches" in str(app.screen.query_one("#batch-title").content)
