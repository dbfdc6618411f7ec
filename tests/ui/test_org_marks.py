"""Which org, in the dashboard: a production org is marked on its chip and in its confirmation (not
only by the typed confirmation), every toast of a close or abort names its org, and one org whose
configuration cannot sign in (its secret's variable unset) is shown not connected, with why, while
the others run."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from sfmonitor.config.connection import ConnectionOptions
from sfmonitor.config.settings import Settings, load
from sfmonitor.monitor.schedule import Schedule
from sfmonitor.simulator.server import Simulator
from sfmonitor.ui.app import SfMonitorApp
from sfmonitor.ui.screens.confirm import ConfirmScreen
from sfmonitor.ui.textual_private import notifications
from sfmonitor.ui.widgets.status_bar import StatusBar
from tests.conftest import find_job, make_sim, writes
from tests.ui.helpers import jobs_table, org, wait_for


@pytest.fixture
def twins() -> Iterator[tuple[Simulator, Simulator]]:
    """Two orgs of one seed: production and the sandbox refreshed from it hold the same job ids."""
    sims = (make_sim(speed=60, seed=7), make_sim(speed=60, seed=7))
    try:
        yield sims
    finally:
        for sim in sims:
            sim.stop()


def header(app: SfMonitorApp) -> str:
    return str(app.screen.query_one("#header", StatusBar).content)


async def test_production_is_marked_on_its_chip_and_in_its_confirmation(twins: tuple[Simulator, Simulator]) -> None:
    prod, sandbox = twins
    app = SfMonitorApp([org("prod", prod, production=True), org("dev", sandbox)], Settings(interval=0.5),
                       schedule=Schedule(0.5, cap=1.0))  # fmt: skip
    async with app.run_test(size=(160, 40)) as pilot:
        await wait_for(pilot, lambda: all(o.state.polls_done for o in app.fleet))
        assert "PROD PROD ok" in header(app)  # its label, then the mark
        assert "DEV ok" in header(app) and "DEV PROD" not in header(app)
        job_id = find_job(prod, "ingest", "InProgress")
        table = jobs_table(app)
        await wait_for(pilot, lambda: f"prod/{job_id}" in app.fleet.jobs and f"dev/{job_id}" in app.fleet.jobs)

        table.select(f"prod/{job_id}")
        await pilot.press("a")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        screen = app.screen
        assert isinstance(screen, ConfirmScreen)
        assert screen.question == "Abort this job in a PRODUCTION org?"
        assert str(screen.query_one("#details").render()).startswith("Org       PROD  PRODUCTION")
        assert "A PRODUCTION org: type the job id's last 4 characters" in str(screen.query_one("#production").render())
        await pilot.press("escape")
        await wait_for(pilot, lambda: not isinstance(app.screen, ConfirmScreen))

        table.select(f"dev/{job_id}")  # the same id in the sandbox: its own question, its own org
        await pilot.press("a")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        screen = app.screen
        assert isinstance(screen, ConfirmScreen) and not screen.typed and screen.question == "Abort this job?"
        assert str(screen.query_one("#details").render()).startswith("Org       DEV\n")
        await pilot.press("y")
        await wait_for(pilot, lambda: any(n.title == "Abort sent" for n in notifications(app)))
        note = next(n for n in notifications(app) if n.title == "Abort sent")
        assert note.message.startswith(f"DEV: Job {job_id}: ")  # the toast names the org
        assert len(writes(sandbox, job_id)) == 1 and writes(prod, job_id) == []

        await pilot.press("a")  # the same job again: refused, naming the org
        await wait_for(pilot, lambda: any(n.message.startswith("Cannot abort in DEV") for n in notifications(app)))


async def test_a_production_org_alone_is_marked_after_its_name(sim: Simulator) -> None:
    options = ConnectionOptions(instance_url=sim.base_url, access_token=sim.token)
    app = SfMonitorApp(options, Settings(interval=0.5), label="ACME", production=True)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: app.org.state.polls_done)
        assert header(app).startswith("ACME PRODUCTION ")


async def test_an_org_whose_secret_is_missing_is_not_connected_and_the_others_run(
    twins: tuple[Simulator, Simulator], tmp_path: Path
) -> None:
    good, _ = twins
    path = tmp_path / "config.toml"
    path.write_text(f"""
[orgs.good]
instance_url = "{good.base_url}"
token_env = "GOOD_TOKEN"

[orgs.broken]
instance_url = "{good.base_url}"
client_id = "app"
client_secret_env = "BROKEN_SECRET"
""")
    settings = load(path=path, env={"GOOD_TOKEN": good.token})  # BROKEN_SECRET is not set: no ConfigError here
    assert settings.orgs["broken"].options.unusable
    app = SfMonitorApp(list(settings.orgs.values()), settings, schedule=Schedule(0.5, cap=1.0))
    async with app.run_test(size=(160, 40)) as pilot:
        broken = app.fleet.orgs["broken"]
        await wait_for(pilot, lambda: app.fleet.orgs["good"].state.polls_done and broken.connection.error)
        assert "the environment has no BROKEN_SECRET" in (broken.connection.error or "")
        await wait_for(pilot, lambda: "broken not connected" in header(app))
        assert "BROKEN_SECRET" in header(app)  # why, in the header's trouble line
        assert "good ok" in header(app)
