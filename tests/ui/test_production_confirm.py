"""In a production org the confirmation wants the job id's last 4 characters, not a y by habit."""

from __future__ import annotations

from sfmonitor.ui.screens.confirm import ConfirmScreen
from tests.conftest import find_job, make_sim

from .helpers import ask, make_app, wait_for, writes


async def test_production_abort_is_confirmed_by_typing_the_ids_end() -> None:
    sim = make_sim(speed=60)
    sim.world.production = True
    try:
        job_id = find_job(sim, "ingest", "InProgress")
        app = make_app(sim)
        async with app.run_test(size=(120, 40)) as pilot:
            await ask(pilot, app, job_id, "a")
            assert app.org.production is True  # read from Organization.IsSandbox
            screen = app.screen
            assert isinstance(screen, ConfirmScreen) and screen.typed == job_id[-4:]
            await pilot.press("y")  # y alone: nothing
            await pilot.pause()
            assert isinstance(app.screen, ConfirmScreen) and writes(sim, job_id) == []
            await pilot.press(*"0000"[: 4 if job_id[-4:] != "0000" else 3], "enter")  # a wrong answer
            await pilot.pause()
            assert isinstance(app.screen, ConfirmScreen) and writes(sim, job_id) == []
            assert "That is not" in str(app.screen.query_one("#production").render())
            await pilot.press(*job_id[-4:], "enter")
            await wait_for(pilot, lambda: len(writes(sim, job_id)) == 1)
            assert not isinstance(app.screen, ConfirmScreen)
            await pilot.pause(0.5)
            assert len(writes(sim, job_id)) == 1
    finally:
        sim.stop()


async def test_a_sandbox_keeps_the_plain_y(sim: object) -> None:
    from sfmonitor.simulator.server import Simulator

    assert isinstance(sim, Simulator)
    job_id = find_job(sim, "ingest", "InProgress")
    app = make_app(sim)
    async with app.run_test(size=(120, 40)) as pilot:
        await ask(pilot, app, job_id, "a")
        assert app.org.production is False and isinstance(app.screen, ConfirmScreen) and not app.screen.typed
        await pilot.press("y")
        await wait_for(pilot, lambda: len(writes(sim, job_id)) == 1)
