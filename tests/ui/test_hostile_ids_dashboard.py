"""A hostile job id or API version in an org's listing costs that job only on the dashboard: the org
stays connected (it was "NOT CONNECTED: unexpected InvalidURL"), the job's row is marked unread."""

from __future__ import annotations

from sfmonitor.monitor.schedule import Schedule
from sfmonitor.simulator.server import Simulator
from sfmonitor.ui.widgets.status_bar import StatusBar
from tests.bulk.test_trust import HOSTILE, hostile_listing
from tests.conftest import find_job

from .helpers import make_app, wait_for


async def test_a_hostile_id_in_the_listing_leaves_the_org_connected(sim: Simulator) -> None:
    hostile_listing(sim, find_job(sim, "ingest", "InProgress"))
    app = make_app(sim, schedule=Schedule(interval=0.2, cap=0.4))
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: app.org.state.polls_done >= 2)
        header = str(app.screen.query_one("#header", StatusBar).content)
        assert "NOT CONNECTED" not in header and app.org.connection.error is None
        assert "is not a Salesforce id" in app.org.state.errors[HOSTILE]
        assert HOSTILE in app.org.state.jobs
