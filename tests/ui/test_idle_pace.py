"""An idle org on screen: the header says how often it is looked at, and a key brings the interval
back at once, starting with a poll now (the pace itself: tests/monitor/test_budget_idle.py)."""

from __future__ import annotations

from sfmonitor.config.connection import ConnectionOptions
from sfmonitor.config.settings import Settings
from sfmonitor.simulator.server import Simulator
from sfmonitor.ui.app import SfMonitorApp
from sfmonitor.ui.widgets.status_bar import StatusBar
from tests.conftest import add_failed_rows_job
from tests.ui.helpers import wait_for


def header(app: SfMonitorApp) -> str:
    return str(app.screen.query_one(StatusBar).render())


async def test_an_idle_org_says_so_and_a_key_polls_at_once(quiet_sim: Simulator) -> None:
    add_failed_rows_job(quiet_sim, [({"Name": "a"}, "")])
    options = ConnectionOptions(instance_url=quiet_sim.base_url, access_token=quiet_sim.token)
    app = SfMonitorApp(options, Settings(interval=30))
    async with app.run_test(size=(160, 40)) as pilot:
        await wait_for(pilot, lambda: app.org.state.polls_done == 1 and not app.org.polling)
        schedule = app.org.schedule
        schedule.active_at = -1e9  # a long while with nothing running and no key: the next verdict is idle
        app.poll_now(org=app.org)
        await wait_for(pilot, lambda: app.org.state.polls_done == 2 and not app.org.polling)
        assert schedule.idle and app.org.next_poll_delay == 60.0
        await wait_for(pilot, lambda: "idle: looking every 60s" in header(app))
        await pilot.press("down")  # any key: the operator is here
        await wait_for(pilot, lambda: app.org.state.polls_done == 3 and not app.org.polling)
        assert not schedule.idle and app.org.next_poll_delay == 30.0
        await wait_for(pilot, lambda: "idle" not in header(app))
