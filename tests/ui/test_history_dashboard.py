"""The dashboard and its history file, over real sockets: recording on, the instant start (the org's last
remembered jobs at once, faded and marked, replaced by the org's own values), the jobs that left the
org (H, read-only), and a history file that cannot be used (said once; polling goes on)."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from textual.widgets import Static

from sfmonitor.bulk.models import Job
from sfmonitor.bulk.transport import Transport
from sfmonitor.monitor.snapshot import read_snapshot
from sfmonitor.simulator.server import Simulator
from sfmonitor.store import reader
from sfmonitor.store.recording import Recording
from sfmonitor.store.schema import connect
from sfmonitor.ui.app import SfMonitorApp
from sfmonitor.ui.remembering import HistoryOptions
from sfmonitor.ui.screens.past_job import PastJobScreen
from sfmonitor.ui.textual_private import notifications
from sfmonitor.ui.widgets.key_bar import KeyBar
from sfmonitor.ui.widgets.status_bar import StatusBar
from tests.conftest import connected

from .helpers import cell, jobs_table, make_app, wait_for, writes

GONE = "750000000000099AAA"  # a job the history file remembers and the org no longer has
HOURS_AGO = 3


def gone_job(state: str = "InProgress") -> Job:
    created = (datetime.now(UTC) - timedelta(days=9)).isoformat()
    return Job.from_fields({"id": GONE, "jobType": "V2Ingest", "state": state, "object": "Account",
                            "operation": "upsert", "createdDate": created, "numberRecordsProcessed": 1200})  # fmt: skip


async def recorded(sim: Simulator, path: Path, org: str, *extra: Job) -> dict[str, Job]:
    """The org's jobs as read now, recorded into ``path`` as a poll made HOURS_AGO (with ``extra``)."""
    async with connected(sim) as service:
        jobs = dict((await read_snapshot(service)).jobs)
    recording = Recording(path)
    recording.poll(org, [*jobs.values(), *extra], time.time() - HOURS_AGO * 3600)
    assert recording.flush(10) and recording.fault is None
    recording.close()
    return jobs


def hold_the_org(monkeypatch: pytest.MonkeyPatch, release: asyncio.Event) -> None:
    """The org answers nothing (not even its sign-in check) until the test sets ``release``."""
    real = Transport.request

    async def request(self: Transport, method: str, path: str, **kwargs: Any) -> Any:
        await release.wait()
        return await real(self, method, path, **kwargs)

    monkeypatch.setattr(Transport, "request", request)


def header(app: SfMonitorApp) -> str:
    return app.screen.query_one("#header", StatusBar).content.plain


def history_app(sim: Simulator, path: Path) -> SfMonitorApp:
    return make_app(sim, interval=1.0, history=HistoryOptions(path))


async def test_remembered_jobs_show_at_once_faded_and_marked_until_the_org_answers(
    sim: Simulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "history.sqlite3"
    app = history_app(sim, path)
    jobs = await recorded(sim, path, app.org.remembered_as)
    running = next(job for job in jobs.values() if not job.finished)
    release = asyncio.Event()
    hold_the_org(monkeypatch, release)
    try:
        async with app.run_test(size=(250, 40)) as pilot:
            table = jobs_table(app)
            await wait_for(pilot, lambda: table.row_count == len(jobs))
            assert not app.org.state.polls_done and not app.org.state.jobs  # the org has not answered
            state = table.get_row(running.id)[[c.key for c in table.columns_shown].index("state")]
            assert state.plain == f"~ {running.state}" and "italic" in str(state.style) and "dim" in str(state.style)
            assert cell(table, running.id, "message").startswith(f"remembered {HOURS_AGO}h")
            words = header(app)
            assert f"{len(jobs)} remembered jobs as of {HOURS_AGO}h" in words and "(history), not read yet" in words
            assert "0 jobs, 0 running" in words  # remembered jobs are not claimed to run now
            release.set()
            await wait_for(pilot, lambda: app.org.state.polls_done)
            await wait_for(pilot, lambda: not cell(table, running.id, "state").startswith("~"))
            assert app.fleet.jobs[running.id] is app.org.state.jobs[running.id]  # the org's values
            assert not app.fleet.index.remembered and "remembered" not in header(app)
    finally:
        release.set()


async def test_h_shows_a_job_only_the_history_file_has_and_abort_on_it_is_refused(
    sim: Simulator, tmp_path: Path
) -> None:
    path = tmp_path / "history.sqlite3"
    app = history_app(sim, path)
    await recorded(sim, path, app.org.remembered_as, gone_job())
    async with app.run_test(size=(250, 40), notifications=True) as pilot:
        table = jobs_table(app)
        await wait_for(pilot, lambda: app.org.state.polls_done and table.row_count == len(app.org.state.jobs))
        assert GONE not in app.fleet.jobs  # left the org: hidden
        await pilot.press("H")
        await wait_for(pilot, lambda: GONE in app.fleet.jobs and table.row_count == len(app.org.state.jobs) + 1)
        assert cell(table, GONE, "state") == "~ InProgress"
        assert cell(table, GONE, "message").startswith(f"left the org, last changed {HOURS_AGO}h")
        assert "H: 1 remembered job that left the org" in header(app)
        table.select(GONE)
        await pilot.press("enter")  # the remembered job, read-only from the history file: not the live detail
        await wait_for(pilot, lambda: isinstance(app.screen, PastJobScreen) and app.screen.timeline is not None)
        past = app.screen
        assert isinstance(past, PastJobScreen)
        assert past.run.job.number_records_processed == 1200 and past.run.phase == "running"
        assert past.run.outcome is None and past.run.ended is None
        assert abs(past.run.seen_last - (time.time() - HOURS_AGO * 3600)) < 60  # its last recorded change
        note = str(past.query_one("#note", Static).content)
        assert f"last recorded change in {app.org.remembered_as} {HOURS_AGO}h" in note and "nothing can be sent" in note
        shown = " ".join(str(w.render()) for w in past.query("*") if isinstance(w, Static))
        assert "last read failed" not in shown and "reading the past runs" not in shown
        assert "waiting for two polls" not in shown and "Setup" not in shown
        keys = past.query_one(KeyBar).render().plain
        assert " Close" not in keys and " Abort" not in keys  # nothing can be sent: not offered
        await pilot.press("c")
        await pilot.pause()
        assert not any("Cannot close" in n.message for n in notifications(app))
        await pilot.press("escape")
        await wait_for(pilot, lambda: type(app.screen).__name__ == "DashboardScreen")
        table.select(GONE)
        await pilot.press("a")
        await wait_for(pilot, lambda: any("has left the org" in n.message for n in notifications(app)))
        assert not writes(sim, GONE) and type(app.screen).__name__ == "DashboardScreen"  # no confirmation
        await pilot.press("H")
        await wait_for(pilot, lambda: GONE not in app.fleet.jobs)


async def test_a_damaged_history_file_is_said_once_and_polling_goes_on(sim: Simulator, tmp_path: Path) -> None:
    path = tmp_path / "history.sqlite3"
    path.write_bytes(b"this is not a database, " * 400)
    app = history_app(sim, path)
    async with app.run_test(size=(160, 40), notifications=True) as pilot:
        await wait_for(pilot, lambda: app.org.state.polls_done >= 2 and "history off" in header(app))
        said = [n for n in notifications(app) if n.title == "History off"]
        assert len(said) == 1 and "damaged" in said[0].message
        assert app.org.connection.error is None and app.org.state.jobs
        await pilot.press("question_mark")
        await wait_for(pilot, lambda: type(app.screen).__name__ == "HelpScreen")
        lines = [str(static.content) for static in app.screen.query(Static)]
        assert any(line.startswith("History: off: history file") and "damaged" in line for line in lines)
        assert len([n for n in notifications(app) if n.title == "History off"]) == 1  # still once


async def test_recording_is_on_and_the_file_holds_the_jobs_polled(sim: Simulator, tmp_path: Path) -> None:
    path = tmp_path / "history.sqlite3"
    app = history_app(sim, path)
    async with app.run_test(size=(160, 40)) as pilot:
        await wait_for(pilot, lambda: app.org.state.polls_done >= 4)
        recording = app.recording
        assert recording is not None and recording.flush(10) and recording.fault is None
        polled = dict(app.org.state.jobs)
    assert not recording._thread.is_alive()  # quitting closed it
    conn = connect(path, write=False)
    try:
        remembered = {r.job.id: r for r in reader.last_jobs(conn, app.org.remembered_as)}
        assert remembered.keys() == polled.keys()
        some = next(job_id for job_id, job in polled.items() if job.finished)
        assert remembered[some].job.state == polled[some].state
        assert remembered[some].job.number_records_processed == polled[some].number_records_processed
        assert reader.last_polled(conn, app.org.remembered_as) is not None
        running = [job_id for job_id, job in polled.items() if not job.finished]
        points = [len(reader.timeline(conn, remembered[job_id]).points) for job_id in running]
        assert running and max(points) >= 2  # each later poll's reads recorded too, not the first alone
    finally:
        conn.close()


async def test_several_orgs_each_show_their_own_memory_and_the_header_counts_none_of_it(
    sim: Simulator, quiet_sim: Simulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from sfmonitor.config.settings import Settings
    from sfmonitor.monitor.schedule import Schedule

    from .helpers import org

    path = tmp_path / "history.sqlite3"
    app = SfMonitorApp([org("prod", sim), org("uat", quiet_sim)], Settings(interval=0.5),
                       schedule=Schedule(0.5, cap=1.0), history=HistoryOptions(path))  # fmt: skip
    assert [o.remembered_as for o in app.fleet] == ["prod", "uat"]
    prod = await recorded(sim, path, "prod")
    await recorded(quiet_sim, path, "uat", gone_job())
    release = asyncio.Event()
    hold_the_org(monkeypatch, release)
    try:
        async with app.run_test(size=(250, 40)) as pilot:
            table = jobs_table(app)
            await wait_for(pilot, lambda: table.row_count == len(prod) + 1)
            assert cell(table, f"uat/{GONE}", "state") == "~ InProgress"
            assert f"{len(prod) + 1} remembered jobs (history), not read yet" in header(app)
            assert "0 jobs, 0 running" in header(app)
            release.set()
            await wait_for(pilot, lambda: all(o.state.polls_done for o in app.fleet))
            await wait_for(pilot, lambda: not app.fleet.index.remembered and table.row_count == len(app.fleet.jobs))
            assert f"uat/{GONE}" not in app.fleet.jobs  # the org no longer has it
    finally:
        release.set()


async def test_a_failures_report_read_is_recorded_with_its_groups(sim: Simulator, tmp_path: Path) -> None:
    path = tmp_path / "history.sqlite3"
    app = history_app(sim, path)

    def stored(job_id: str) -> list[tuple[str, str, int]]:
        assert app.recording is not None and app.recording.flush(10)
        conn = connect(path, write=False)
        try:
            found = reader.find(conn, job_id)
            return sorted(reader.timeline(conn, found[0]).failure_groups) if found else []
        finally:
            conn.close()

    async with app.run_test(size=(160, 40)) as pilot:
        await wait_for(pilot, lambda: app.org.state.polls_done)
        failed = [job for job in app.org.state.jobs.values() if job.finished and (job.number_records_failed or 0) > 0]
        job = next(job for job in failed if job.kind.label == "2.0 ingest")
        app.open_failures(job.id, app.org.key)
        await wait_for(pilot, lambda: app.org.failure_report(job).complete)
        groups = sorted((g.code, g.message, g.count) for g in app.org.failure_report(job).ordered())
        assert groups
        await wait_for(pilot, lambda: stored(job.id) == groups)  # the report's groups, in the history file


async def test_h_with_none_left_says_so_of_the_jobs_loaded_only(
    sim: Simulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A big org: only the newest RECALLED remembered jobs are loaded; none of them has left, and H
    says so of those, never of the whole file (older ones may have left)."""
    monkeypatch.setattr("sfmonitor.monitor.memory.RECALLED", 3)  # the org has more jobs than that
    path = tmp_path / "history.sqlite3"
    app = history_app(sim, path)
    jobs = await recorded(sim, path, app.org.remembered_as)
    assert len(jobs) > 3
    async with app.run_test(size=(250, 40), notifications=True) as pilot:
        table = jobs_table(app)
        await wait_for(pilot, lambda: app.org.state.polls_done and table.row_count == len(app.org.state.jobs))
        assert len(app.org.state.memory.jobs) == 3
        await pilot.press("H")
        await wait_for(pilot, lambda: any("has left the org" in n.message for n in notifications(app)))
        said = [n.message for n in notifications(app) if "left the org" in n.message]
        assert said == ["none of the 3 newest remembered jobs has left the org"]
