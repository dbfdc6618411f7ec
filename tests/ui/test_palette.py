"""The command palette offers every action the keys do, made from the bindings in force: each key
with a description, on each screen, has its palette command (copy id, the Setup page, the filter and
opening the detail included), and choosing one does what the key does."""

from __future__ import annotations

from pathlib import Path

from textual.pilot import Pilot

from sfmonitor.bulk.models import Job
from sfmonitor.config.settings import Settings
from sfmonitor.monitor.schedule import Schedule
from sfmonitor.simulator.server import Simulator
from sfmonitor.store.schema import connect
from sfmonitor.store.writer import Writer
from sfmonitor.ui.app import SfMonitorApp
from sfmonitor.ui.keys import PLACES
from sfmonitor.ui.remembering import HistoryOptions
from sfmonitor.ui.screens.alerts import AlertsScreen
from sfmonitor.ui.screens.detail import JobDetailScreen
from sfmonitor.ui.screens.failures import FailuresScreen
from sfmonitor.ui.screens.history import HistoryScreen
from sfmonitor.ui.screens.past_job import PastJobScreen
from sfmonitor.ui.textual_private import notifications
from tests.conftest import add_classic_job, find_job
from tests.ui.helpers import jobs_table, make_app, org, wait_for


def commands(app: SfMonitorApp) -> set[str]:
    return {command.title for command in app.get_system_commands(app.screen)}


def keys_here(app: SfMonitorApp) -> dict[str, str]:
    """The project's bindings a key reaches on this screen (by id): the palette title each must have."""
    out = {}
    for active in app.screen.active_bindings.values():
        binding = active.binding
        if binding.id and binding.description:
            out.setdefault(binding.id, f"{binding.description} ")
    return out


def missing(app: SfMonitorApp) -> list[str]:
    """The bindings in force here that the palette does not offer (by id)."""
    titles = commands(app)
    return [binding_id for binding_id, title in keys_here(app).items() if not any(t.startswith(title) for t in titles)]


async def assert_every_key_in_the_palette(pilot: Pilot[None], app: SfMonitorApp) -> set[str]:
    """Once the screen has settled (a loaded machine is slow to apply a selection), every key in force
    has its palette command; the ids seen."""
    try:
        await wait_for(pilot, lambda: not missing(app), timeout=10)
    except AssertionError:
        raise AssertionError((type(app.screen).__name__, missing(app), sorted(commands(app)))) from None
    return set(keys_here(app))


async def test_every_binding_with_a_description_has_a_palette_command(
    sim: Simulator, quiet_sim: Simulator, tmp_path: Path
) -> None:
    classic = add_classic_job(sim, [200, 200, 200])
    path = tmp_path / "history.sqlite3"
    with sim.world.lock:
        seeded = sim.world.jobs[classic]
        what = {"object": seeded.object, "operation": seeded.operation}
    fields = {"id": "750300000000PASTAA", "jobType": "Classic", "state": "Closed", **what,
              "createdDate": "2026-01-01T00:00:00.000+0000", "systemModstamp": "2026-01-01T00:10:00.000+0000",
              "numberBatchesTotal": 1, "numberBatchesCompleted": 1, "numberBatchesQueued": 0,
              "numberBatchesInProgress": 0, "numberBatchesFailed": 0, "numberRecordsProcessed": 10}  # fmt: skip
    past = Job.from_fields(fields)  # a past run of the same object and operation, ended
    Writer(connect(path, write=True)).poll("prod", [past], 1_767_226_200.0)
    app = SfMonitorApp([org("prod", sim), org("uat", quiet_sim)], Settings(interval=0.5), schedule=Schedule(0.5),
                       history=HistoryOptions(path))  # fmt: skip
    async with app.run_test(size=(160, 45)) as pilot:
        await wait_for(pilot, lambda: all(o.state.polls_done for o in app.fleet))
        await wait_for(pilot, lambda: f"prod/{classic}" in [r.key.value for r in jobs_table(app).ordered_rows])
        jobs_table(app).select(f"prod/{classic}")
        await pilot.pause(0.1)
        seen = await assert_every_key_in_the_palette(pilot, app)
        titles = commands(app)
        for wanted in ("Copy id (y)", "Setup page (O)", "Filter (/)", "Detail (⏎)", "Org (o)"):
            assert wanted in titles, sorted(titles)
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, JobDetailScreen) and app.screen.view is not None)
        await pilot.pause(0.1)
        seen |= await assert_every_key_in_the_palette(pilot, app)
        assert "Sort batches (s)" in commands(app)
        await pilot.press("f")
        await wait_for(pilot, lambda: isinstance(app.screen, FailuresScreen))
        seen |= await assert_every_key_in_the_palette(pilot, app)
        await pilot.press("!")
        await wait_for(pilot, lambda: isinstance(app.screen, AlertsScreen))
        await pilot.pause(0.1)
        seen |= await assert_every_key_in_the_palette(pilot, app)
        assert "Test notification (n)" in commands(app)
        await pilot.press("escape")
        await wait_for(pilot, lambda: not isinstance(app.screen, AlertsScreen))
        while isinstance(app.screen, (FailuresScreen, JobDetailScreen)):
            await pilot.press("escape")
            await pilot.pause(0.05)
        jobs_table(app).select(f"prod/{classic}")
        await pilot.press("h")
        await wait_for(pilot, lambda: isinstance(app.screen, HistoryScreen) and bool(app.screen.runs))
        seen |= await assert_every_key_in_the_palette(pilot, app)
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, PastJobScreen) and app.screen.timeline is not None)
        seen |= await assert_every_key_in_the_palette(pilot, app)
    # every binding of a screen the palette opens on (not the modal help and confirmation) was offered
    described = {b.id for _, owner in PLACES if owner.__name__ not in ("HelpScreen", "ConfirmScreen")
                 for b in owner.BINDINGS if getattr(b, "id", None) and getattr(b, "description", "")}  # fmt: skip
    assert described - seen == set()


async def test_a_palette_command_does_what_its_key_does(sim: Simulator) -> None:
    job_id = find_job(sim, "ingest", "InProgress")
    app = make_app(sim)
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        await wait_for(pilot, lambda: app.org.state.polls_done and job_id in app.org.state.jobs)
        jobs_table(app).select(job_id)
        await pilot.press("ctrl+p")
        await pilot.press(*"Copy id", "enter")
        await wait_for(pilot, lambda: any(n.message.startswith(f"{job_id} copied") for n in notifications(app)))
        await pilot.press("ctrl+p")
        await pilot.press(*"Detail", "enter")
        await wait_for(pilot, lambda: isinstance(app.screen, JobDetailScreen) and app.screen.job_id == job_id)
        assert "Detail (⏎)" not in commands(app) and "Back (esc)" in commands(app)  # the detail's own keys
