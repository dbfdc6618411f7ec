"""Running the dashboard against a simulator, and waiting for what an operator would wait for."""

from __future__ import annotations

import contextlib
import time
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime

from textual.pilot import Pilot

from sfmonitor.config.connection import ConnectionOptions
from sfmonitor.config.orgs import OrgConfig
from sfmonitor.config.settings import Settings
from sfmonitor.monitor.schedule import Schedule
from sfmonitor.simulator.server import Simulator
from sfmonitor.ui.app import SfMonitorApp
from sfmonitor.ui.remembering import HistoryOptions
from sfmonitor.ui.widgets.keyed_table import KeyedTable
from tests.conftest import writes

FIXED = datetime(2026, 11, 20, 14, 30, tzinfo=UTC)


def make_app(
    sim: Simulator,
    *,
    clock: Callable[[], datetime] | None = None,
    schedule: Schedule | None = None,
    options: ConnectionOptions | None = None,
    timeout: float = 10.0,
    staleness_every: float = 5.0,
    history: HistoryOptions | None = None,
    **settings: object,
) -> SfMonitorApp:
    options = options or ConnectionOptions(instance_url=sim.base_url, access_token=sim.token, timeout=timeout)
    values = {"interval": 0.5, **settings}
    return SfMonitorApp(
        options,
        Settings(**values),  # type: ignore[arg-type]
        clock=clock,
        schedule=schedule or Schedule(float(values["interval"])),  # type: ignore[arg-type]
        staleness_every=staleness_every,
        history=history,
    )


def org(name: str, sim: Simulator, **table: object) -> OrgConfig:
    """An [orgs.NAME] table for a simulator: its label NAME in capitals, the token given (the rest: ``table``)."""
    options = ConnectionOptions(instance_url=sim.base_url, access_token=sim.token, timeout=2.0)
    return OrgConfig(name, name.upper(), options, "token", **table)  # type: ignore[arg-type]


async def wait_for(pilot: Pilot[None], condition: Callable[[], object], timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting for the dashboard")
        await pilot.pause(0.05)


async def ask(pilot: Pilot[None], app: SfMonitorApp, job_id: str, key: str) -> None:
    """Wait for the job, select it and press ``key`` (c or a): its confirmation is open."""
    from sfmonitor.ui.screens.confirm import ConfirmScreen

    await wait_for(pilot, lambda: app.org.state.polls_done and job_id in app.org.state.jobs)
    jobs_table(app).select(job_id)
    await pilot.press(key)
    await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen))


def jobs_table(app: SfMonitorApp) -> KeyedTable:
    return app.screen.query_one("#jobs", KeyedTable)


def row_text(table: KeyedTable, key: str) -> list[str]:
    return [cell.plain for cell in table.get_row(key)]


def cell(table: KeyedTable, key: str, column: str) -> str:
    index = [c.key for c in table.columns_shown].index(column)
    return row_text(table, key)[index]


__all__ = ["FIXED", "ask", "cell", "jobs_table", "make_app", "row_text", "wait_for", "writes"]


@contextlib.asynccontextmanager
async def frozen_dashboard(
    size: tuple[int, int] = (120, 40),
) -> AsyncIterator[tuple[SfMonitorApp, Pilot[None], Simulator]]:
    """The screenshot scenes' org (nothing moves unless a test moves it), polled once."""
    from sfmonitor.ui.screenshots import frozen_app, frozen_simulator

    sim = frozen_simulator()
    try:
        app = frozen_app(sim)
        async with app.run_test(size=size) as pilot:
            await wait_for(pilot, lambda: app.org.state.polls_done and app.org.limits and not app.org.polling)
            yield app, pilot, sim
    finally:
        sim.stop()
