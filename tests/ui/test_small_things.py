"""The small things operators expect: p Resume in the key bar and r polling once while paused,
--read-only on screen, no batch sort for a job without batches, Bulk 1.0 close worded as Bulk 1.0,
a confirmation that shows its keys."""

from __future__ import annotations

from sfmonitor.bulk.models import Action
from sfmonitor.config.connection import ConnectionOptions
from sfmonitor.config.settings import Settings
from sfmonitor.simulator.server import Simulator
from sfmonitor.ui.app import SfMonitorApp
from sfmonitor.ui.screens.confirm import ConfirmScreen
from sfmonitor.ui.screens.detail import JobDetailScreen
from sfmonitor.ui.widgets.key_bar import KeyBar
from sfmonitor.ui.widgets.status_bar import StatusBar
from tests.conftest import find_job
from tests.ui.helpers import jobs_table, wait_for


def key_bar(app: SfMonitorApp) -> str:
    return app.screen.query_one(KeyBar).render().plain  # type: ignore[union-attr]


def header(app: SfMonitorApp) -> str:
    return str(app.screen.query_one(StatusBar).render())


def app_on(sim: Simulator, **settings: object) -> SfMonitorApp:
    options = ConnectionOptions(instance_url=sim.base_url, access_token=sim.token)
    return SfMonitorApp(options, Settings(interval=60, **settings))  # type: ignore[arg-type]


async def test_pause_says_resume_and_r_polls_once_while_paused(sim: Simulator) -> None:
    app = app_on(sim)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: app.org.state.polls_done == 1 and not app.org.polling)
        await pilot.press("p")
        await wait_for(pilot, lambda: " p Resume " in key_bar(app))
        await pilot.press("r")
        await wait_for(pilot, lambda: app.org.state.polls_done == 2 and not app.org.polling)  # once, while paused
        assert app.org.connection.paused and not app._next_poll  # and no poll scheduled after it
        await pilot.press("p")
        await wait_for(pilot, lambda: " p Pause " in key_bar(app))


async def test_read_only_is_on_screen(sim: Simulator) -> None:
    app = app_on(sim, read_only=True)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: "read-only: no close or abort" in header(app))


async def test_no_batch_sort_without_batches_and_bulk_1_close_is_worded_as_bulk_1(sim: Simulator) -> None:
    app = app_on(sim)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: app.org.state.polls_done >= 1)
        jobs_table(app).select(find_job(sim, "ingest", "InProgress"))
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, JobDetailScreen))
        await wait_for(pilot, lambda: " f Failures " in key_bar(app))
        assert "Sort batches" not in key_bar(app)
        await pilot.press("escape")
        classic = next(j for j in app.org.state.jobs.values() if j.kind.label == "Bulk 1.0" and j.state == "Open")
        screen = ConfirmScreen.for_action(classic, Action.CLOSE)
        assert screen.question == "Close (state Closed: no more batches) this job?"
        await app.push_screen(screen)
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        labels = [str(b.label) for b in app.screen.query("Button")]
        assert labels == ["No (n, esc)", "Yes (y)"]
