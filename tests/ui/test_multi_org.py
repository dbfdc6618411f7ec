"""Several orgs in one dashboard, each a simulator of its own on a real socket: one merged table,
each org on its own schedule, one org's outage its own, and each org's safety rules its own."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Iterator

import pytest
from textual.pilot import Pilot

from sfmonitor.bulk.models import Action
from sfmonitor.config.orgs import OrgConfig, org_colour
from sfmonitor.config.settings import Settings
from sfmonitor.monitor.board import SortMode
from sfmonitor.monitor.schedule import Schedule
from sfmonitor.simulator.faults import FaultSpec
from sfmonitor.simulator.server import Simulator
from sfmonitor.ui.app import SfMonitorApp
from sfmonitor.ui.screens.confirm import ConfirmScreen
from sfmonitor.ui.widgets.status_bar import StatusBar
from tests.conftest import add_running_ingest_job, find_job, make_sim, writes
from tests.ui.helpers import cell, jobs_table, org, wait_for


@pytest.fixture
def three() -> Iterator[list[Simulator]]:
    sims = [make_sim(speed=60, seed=seed) for seed in (7, 8, 9)]
    try:
        yield sims
    finally:
        for sim in sims:
            sim.stop()


@contextlib.asynccontextmanager
async def dashboard(
    *orgs: OrgConfig, size: tuple[int, int] = (160, 40)
) -> AsyncIterator[tuple[SfMonitorApp, Pilot[None]]]:
    app = SfMonitorApp(list(orgs), Settings(interval=0.5), schedule=Schedule(0.5, cap=1.0))
    async with app.run_test(size=size) as pilot:
        await wait_for(pilot, lambda: all(o.state.polls_done for o in app.fleet))
        await wait_for(pilot, lambda: jobs_table(app).row_count == len(app.fleet.jobs))
        yield app, pilot


def header(app: SfMonitorApp) -> str:
    return str(app.screen.query_one("#header", StatusBar).content)


async def test_one_table_holds_every_orgs_jobs_with_their_org(three: list[Simulator]) -> None:
    a, b, c = three
    async with dashboard(org("prod", a, colour="red"), org("uat", b), org("dev", c)) as (app, pilot):
        table = jobs_table(app)
        expected = sum(len(o.state.jobs) for o in app.fleet)
        assert table.row_count == expected == sum(len(s.world.jobs) for s in three)
        job_id = find_job(b, "ingest", "InProgress")
        assert cell(table, f"uat/{job_id}", "org") == "UAT"
        assert cell(table, f"uat/{job_id}", "id") == job_id
        text = header(app)
        for label in ("PROD ok", "UAT ok", "DEV ok"):
            assert label in text  # a chip per org
        prod = next(k for k in app.fleet.jobs if k.startswith("prod/"))
        org_cell = table.get_row(prod)[[col.key for col in table.columns_shown].index("org")]
        assert org_colour("red") in str(org_cell.style)  # the org's colour

        await pilot.press("slash", *"uat", "enter")  # the filter matches the org's label too
        await wait_for(pilot, lambda: table.row_count == len(app.fleet.orgs["uat"].state.jobs))
        await pilot.press("escape")
        await wait_for(pilot, lambda: table.row_count == expected)

        while app.fleet.index.sort is not SortMode.ORG:  # by org: DEV's rows first
            await pilot.press("s")
        await wait_for(pilot, lambda: table.selected_key is not None and table.selected_key.startswith("dev/"))

        await pilot.press("o")  # all orgs, then each in turn
        await wait_for(pilot, lambda: table.row_count == len(app.fleet.orgs["prod"].state.jobs))
        assert all(key.startswith("prod/") for key in app.fleet.jobs)
        assert "PROD only" in header(app)
        for _ in range(3):
            await pilot.press("o")
        await wait_for(pilot, lambda: table.row_count == expected)


async def test_two_orgs_holding_the_same_job_ids_get_a_row_each() -> None:
    twins = [make_sim(speed=60, seed=7), make_sim(speed=60, seed=7)]
    try:
        async with dashboard(org("one", twins[0]), org("two", twins[1])) as (app, _):
            job_id = find_job(twins[0], "ingest", "InProgress")
            assert {f"one/{job_id}", f"two/{job_id}"} <= set(app.fleet.jobs)
            assert jobs_table(app).row_count == 2 * len(twins[0].world.jobs)
    finally:
        for sim in twins:
            sim.stop()


async def test_one_orgs_outage_fades_only_its_rows_and_chip(three: list[Simulator]) -> None:
    a, b, _ = three
    c = make_sim(speed=60, seed=9, faults=FaultSpec(down=(0.0, 3600.0)), held=False)
    try:
        await _outage(a, b, c)
    finally:
        c.stop()


async def _outage(a: Simulator, b: Simulator, c: Simulator) -> None:
    async with dashboard(org("prod", a), org("uat", b), org("dev", c)) as (app, pilot):
        dev = app.fleet.orgs["dev"]
        c.faults.hold(True)  # the dev org goes away
        await wait_for(pilot, lambda: dev.connection.error is not None)
        await wait_for(pilot, lambda: "DEV offline" in header(app))
        table = jobs_table(app)
        row = next(k for k in app.fleet.jobs if k.startswith("dev/"))
        await wait_for(pilot, lambda: cell(table, row, "org") == "! DEV")
        assert "DEV OFFLINE" in header(app)  # the cause, in the header's trouble line
        healthy = next(k for k in app.fleet.jobs if k.startswith("uat/"))
        assert cell(table, healthy, "org") == "UAT" and not table.has_class("-stale")
        done = {key: o.state.polls_done for key, o in app.fleet.orgs.items()}
        await wait_for(pilot, lambda: all(app.fleet.orgs[k].state.polls_done > done[k] + 1 for k in ("prod", "uat")))
        assert "PROD ok" in header(app) and "UAT ok" in header(app)


async def test_read_only_and_production_are_each_orgs_own(three: list[Simulator]) -> None:
    a, b, c = three
    # jobs of their own, hours from their end: a seeded job minutes from its end (seconds at 60x) could
    # end under a loaded machine between being chosen and being aborted, and the test would prove nothing
    prod_job, uat_job, dev_job = (add_running_ingest_job(sim, 10_000_000, 100.0, running_for=60) for sim in three)
    async with dashboard(org("prod", a, production=True), org("uat", b, read_only=True), org("dev", c)) as (
        app,
        pilot,
    ):
        table = jobs_table(app)
        table.select(f"uat/{uat_job}")
        app.action_abort_job()  # the action refuses, not only the binding
        await pilot.pause()
        assert not isinstance(app.screen, ConfirmScreen)
        refusal = app.fleet.orgs["uat"].refusal(Action.ABORT, app.fleet.orgs["uat"].state.jobs[uat_job])
        assert refusal is not None and "UAT is read-only" in refusal

        table.select(f"prod/{prod_job}")
        await pilot.press("a")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        assert (
            isinstance(app.screen, ConfirmScreen) and app.screen.typed
        )  # production: the job id's last 4 characters, typed
        await pilot.press(*prod_job[-4:], "enter")
        await wait_for(pilot, lambda: writes(a, prod_job))
        assert not writes(b, prod_job) and not writes(c, prod_job)  # sent to the org that holds it

        table.select(f"dev/{dev_job}")
        await pilot.press("a")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        assert (
            isinstance(app.screen, ConfirmScreen) and not app.screen.typed
        )  # the simulator says IsSandbox: y is enough
        await pilot.press("y")
        await wait_for(pilot, lambda: writes(c, dev_job))
        await wait_for(pilot, lambda: app.fleet.orgs["dev"].state.jobs[dev_job].state == "Aborted")
        assert len(writes(c, dev_job)) == 1


def test_every_colour_name_tells_orgs_apart_whatever_the_theme() -> None:
    names = ("red", "green", "yellow", "blue", "magenta", "cyan")
    hues = {org_colour(name) for name in names}
    assert len(hues) == len(names) and all(h and h.startswith("#") for h in hues)
    assert org_colour("bright_magenta") == org_colour("magenta")
    assert org_colour("#123456") == "#123456" and org_colour(None) is None
