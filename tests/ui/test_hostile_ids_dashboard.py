"""A hostile job id or API version in an org's listing costs that job only on the dashboard: the org
stays connected (it was "NOT CONNECTED: unexpected InvalidURL"), the job's row is marked unread."""

from __future__ import annotations

from sfmonitor.monitor.schedule import Schedule
from sfmonitor.simulator.server import Simulator
from sfmonitor.ui.screens.confirm import ConfirmScreen
from sfmonitor.ui.textual_private import notifications
from sfmonitor.ui.widgets.status_bar import StatusBar
from tests.bulk.test_trust import HOSTILE, hostile_listing
from tests.conftest import find_job

from .helpers import jobs_table, make_app, wait_for


async def test_a_hostile_id_in_the_listing_leaves_the_org_connected(sim: Simulator) -> None:
    hostile_listing(sim, find_job(sim, "ingest", "InProgress"))
    app = make_app(sim, schedule=Schedule(interval=0.2, cap=0.4))
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: app.org.state.polls_done >= 2)
        header = str(app.screen.query_one("#header", StatusBar).content)
        assert "NOT CONNECTED" not in header and app.org.connection.error is None
        assert "is not a Salesforce id" in app.org.state.errors[HOSTILE]
        assert HOSTILE in app.org.state.jobs


async def test_close_and_abort_of_a_hostile_id_are_refused_at_the_key(sim: Simulator) -> None:
    """No confirmation that refuses only after y: the keys are greyed, and pressing one says why (the
    command line's id rule, bulk.ids); nothing is sent."""
    hostile_listing(sim, find_job(sim, "ingest", "InProgress"))
    app = make_app(sim)
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        await wait_for(pilot, lambda: app.org.state.polls_done and HOSTILE in app.org.state.jobs)
        jobs_table(app).select(HOSTILE)
        await wait_for(pilot, lambda: app.selected() is not None and app.selected()[1].id == HOSTILE)  # type: ignore[index]
        await pilot.pause(0.1)
        for key in ("a", "c"):
            assert not app.screen.active_bindings[key].enabled  # greyed in the key bar
        for key, verb in (("a", "abort"), ("c", "close")):
            await pilot.press(key)
            await wait_for(pilot, lambda verb=verb: any(n.message.startswith(f"Cannot {verb}") and
                                                        "is not a Salesforce id" in n.message
                                                        for n in notifications(app)))  # fmt: skip
            assert not isinstance(app.screen, ConfirmScreen)
        assert not any("EVIL" in path or "%0A" in path for _, path, _ in list(sim.log))
        assert all("\x1b" not in n.message for n in notifications(app))
