"""The dashboard's first screen of an org with a long history: the jobs it is working on are on top,
with their counts, while the listing is still under way (its last page held back by the test)."""

from __future__ import annotations

import pytest

from sfmonitor.simulator.server import Simulator
from tests.monitor.test_first_screen import held_history

from .helpers import cell, jobs_table, make_app, wait_for


async def test_live_jobs_are_on_top_with_their_counts_before_the_listing_ends(
    quiet_sim: Simulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    live, events, release = held_history(quiet_sim, monkeypatch)
    app = make_app(quiet_sim, interval=5.0)
    try:
        async with app.run_test(size=(120, 40)) as pilot:
            table = jobs_table(app)

            def live_on_top_with_counts() -> bool:
                top = {row.key.value for row in table.ordered_rows[: len(live)]}
                return top == live and all(cell(table, job_id, "processed") != "-" for job_id in live)

            await wait_for(pilot, live_on_top_with_counts)
            assert events == ["last page held"] and not app.org.state.polls_done  # the listing is not over
            assert table.row_count < 33
            release.set()
            await wait_for(pilot, lambda: app.org.state.polls_done and table.row_count == 33)
            assert {row.key.value for row in table.ordered_rows[: len(live)]} == live
    finally:
        release.set()
