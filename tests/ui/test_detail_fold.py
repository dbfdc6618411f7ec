"""The job detail opens on what an operator asks first: state, progress, records processed and failed,
rate, ETA where honest, elapsed and the throughput sparkline, above the fold at 80x24 and 120x40,
with Salesforce's own fields below them. Checked on the screen text, as the terminal gets it."""

from __future__ import annotations

import pytest

from sfmonitor.numbers import count
from sfmonitor.simulator.server import Simulator
from sfmonitor.ui.app import SfMonitorApp
from sfmonitor.ui.screens.detail import JobDetailScreen
from sfmonitor.ui.screenshots import SCENES, scene_app
from tests.conftest import find_job
from tests.ui.helpers import jobs_table, make_app, wait_for
from tests.ui.test_glance import screen_lines


def at(lines: list[str], text: str) -> int:
    """The screen line ``text`` is on (-1: not on screen)."""
    return next((i for i, line in enumerate(lines) if text in line), -1)


def assert_first_things_first(app: SfMonitorApp, *figures: str) -> list[str]:
    lines = screen_lines(app)
    shown = "\n".join(lines)
    for figure in figures:
        assert at(lines, figure) > 0, (figure, shown)
    raw = at(lines, "numberRecordsProcessed")
    if raw >= 0:  # the raw fields, where they show, come after every figure
        assert all(at(lines, figure) < raw for figure in figures), shown
    return lines


@pytest.mark.parametrize("size", [(80, 24), (120, 40)], ids=["80x24", "120x40"])
async def test_a_bulk_1_job_opens_on_its_figures(size: tuple[int, int]) -> None:
    scene = next(s for s in SCENES if s.name == "batches-120x40")
    sims, app = scene_app(scene)
    try:
        async with app.run_test(size=size) as pilot:
            await scene.prepare(pilot)
            screen = app.screen
            assert isinstance(screen, JobDetailScreen)
            job = app.org.state.jobs[screen.job_id]
            assert job.batch_progress is not None
            done, total = job.batch_progress
            assert_first_things_first(
                app,
                f"State {job.state}",
                f"{done}/{total} batches",
                f"Processed {count(job.number_records_processed)}",
                f"Failed {count(job.number_records_failed)}",
                "Rate ",
                "Elapsed 3m00s",
                "throughput",  # the sparkline's line (waiting for two polls, in a frozen org)
            )
            assert at(screen_lines(app), "Batch ID") > 0  # and the batch table's head, under them
    finally:
        for sim in sims:
            sim.stop()


@pytest.mark.parametrize("size", [(80, 24), (120, 40)], ids=["80x24", "120x40"])
async def test_a_running_bulk_2_job_opens_on_its_figures_and_sparkline(sim: Simulator, size: tuple[int, int]) -> None:
    job_id = find_job(sim, "ingest", "InProgress")
    app = make_app(sim)
    async with app.run_test(size=size) as pilot:
        await wait_for(pilot, lambda: app.org.state.polls_done and job_id in app.org.state.jobs)
        jobs_table(app).select(job_id)
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, JobDetailScreen) and app.screen.view is not None)
        polls = app.org.state.polls_done
        await wait_for(pilot, lambda: app.org.state.polls_done >= polls + 2)  # two polls: a rate, a sparkline
        await pilot.pause(0.2)

        def figures_shown() -> bool:
            job = app.org.state.jobs[job_id]
            lines = screen_lines(app)
            return at(lines, f"Processed {count(job.number_records_processed)}") > 0 and at(lines, "rec/s") > 0

        await wait_for(pilot, figures_shown)
        job = app.org.state.jobs[job_id]
        lines = assert_first_things_first(
            app,
            f"State {job.state}",
            f"Processed {count(job.number_records_processed)}",
            f"Failed {count(job.number_records_failed)}",
            " rec/s",
            "Elapsed ",
            "throughput, records/s per poll",
        )
        spark = at(lines, "throughput, records/s per poll") + 1
        assert set(lines[spark].strip()) <= set(" ▁▂▃▄▅▆▇█") and lines[spark].strip()  # the sparkline itself
        assert "ETA" not in "\n".join(lines[: at(lines, "as Salesforce reports it")])  # no total: no ETA


async def test_the_raw_fields_scroll_with_tab_then_arrows(sim: Simulator) -> None:
    from textual.containers import VerticalScroll

    from sfmonitor.ui.widgets.job_fields import JobFields

    job_id = find_job(sim, "ingest", "InProgress")
    app = make_app(sim)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_for(pilot, lambda: app.org.state.polls_done and job_id in app.org.state.jobs)
        jobs_table(app).select(job_id)
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, JobDetailScreen) and app.screen.view is not None)
        polls = app.org.state.polls_done
        await wait_for(pilot, lambda: app.org.state.polls_done > polls, timeout=30)  # read in full: every field
        await pilot.pause(0.2)
        last = app.screen.query_one(JobFields).pairs[-1][0]
        assert at(screen_lines(app), last) < 0  # below the fold at 80x24
        body = app.screen.query_one("#body", VerticalScroll)
        await pilot.press("tab")
        assert app.focused is body

        def last_field_shown() -> bool:
            return at(screen_lines(app), app.screen.query_one(JobFields).pairs[-1][0]) > 0

        for _ in range(50):  # a poll may redraw the fields meanwhile: end again until the last shows
            await pilot.press("end")
            await pilot.pause(0.1)
            if last_field_shown():
                break
        assert last_field_shown() and body.scroll_y > 0
        assert at(screen_lines(app), "State InProgress") > 0  # the figures stay put
