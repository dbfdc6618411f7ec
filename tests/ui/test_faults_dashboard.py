"""Every fault a long load throws at the dashboard, over real sockets: it keeps running, keeps the
last known values marked stale, says what is wrong in words, backs off, and recovers by itself."""

from __future__ import annotations

import os
import re
import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from sfmonitor.config import paths
from sfmonitor.config.connection import ConnectionOptions
from sfmonitor.monitor.schedule import LIMIT_WAIT_S, Schedule
from sfmonitor.simulator.faults import FaultSpec
from sfmonitor.simulator.server import Simulator
from sfmonitor.ui.screens.detail import JobDetailScreen
from sfmonitor.ui.textual_private import notifications
from sfmonitor.ui.widgets.status_bar import StatusBar
from tests.conftest import find_job, make_sim
from tests.fakes import fake_sf

from .helpers import ask, jobs_table, make_app, wait_for, writes

FAST = dict(interval=0.2, cap=0.4)  # the schedule's pace in these tests (the 2 s floor is the operator's)


def header(app: object) -> str:
    return str(app.screen.query_one("#header", StatusBar).content)  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("spec", "words"),
    [
        (FaultSpec(slow=5.0), "no answer within 1 s"),
        (FaultSpec(error=500), "HTTP 500"),
        (FaultSpec(error=502), "HTML page"),
        (FaultSpec(error=503), "Service Unavailable"),
        (FaultSpec(drop=1.0), "Server disconnected"),
        (FaultSpec(garble=1.0), "not valid (JSON|XML)"),  # whichever read meets it first: a listing or 1.0 job info
        (FaultSpec(badgzip=1.0), "GET /services"),
    ],
    ids=["slow", "500", "502", "503", "dropped", "garbled", "broken-gzip"],
)
async def test_fault_then_recovery(spec: FaultSpec, words: str) -> None:
    sim = make_sim(speed=60, faults=spec, held=False)
    try:
        app = make_app(sim, timeout=1.0, schedule=Schedule(**FAST))
        async with app.run_test(size=(120, 40)) as pilot:
            await wait_for(pilot, lambda: app.org.state.polls_done)
            rows = jobs_table(app).row_count
            sim.faults.hold(True)
            await wait_for(pilot, lambda: "OFFLINE" in header(app), timeout=10)
            text = header(app)
            assert re.search(words, text), text
            assert "Traceback" not in text and 'File "' not in text
            assert jobs_table(app).row_count == rows  # the last known values stay
            assert jobs_table(app).has_class("-stale")
            assert "last good" in text  # with their age
            sim.faults.hold(False)
            await wait_for(pilot, lambda: "OFFLINE" not in header(app), timeout=15)  # back by itself
            assert not jobs_table(app).has_class("-stale")
    finally:
        sim.stop()


async def test_server_gone_then_back() -> None:
    sim = make_sim(speed=60, faults=FaultSpec(down=(0.0, 3600.0)), held=False)
    try:
        app = make_app(sim, timeout=1.0, schedule=Schedule(**FAST))
        async with app.run_test(size=(120, 40)) as pilot:
            await wait_for(pilot, lambda: app.org.state.polls_done)
            sim.faults.hold(True)
            await wait_for(pilot, lambda: "OFFLINE" in header(app), timeout=10)
            failures = app.org.schedule.failures
            delays = []
            while app.org.schedule.failures < failures + 3:
                delays.append(app.org.next_poll_delay)
                await pilot.pause(0.05)
            sim.faults.hold(False)
            await wait_for(pilot, lambda: "OFFLINE" not in header(app))
            assert app.org.connection.last_good is not None
            assert all(d is not None and d <= 0.4 * 1.2 for d in delays)  # backing off, capped
    finally:
        sim.stop()


async def test_the_age_of_the_data_keeps_counting_between_failed_polls() -> None:
    """Backed off, the next poll can be a minute away: the header's "last good" must not freeze."""
    sim = make_sim(speed=60, faults=FaultSpec(error=503), held=False)
    now = [datetime.now(UTC)]
    try:
        app = make_app(sim, timeout=1.0, clock=lambda: now[0], schedule=Schedule(0.2, cap=60.0), staleness_every=0.1)
        async with app.run_test(size=(80, 24)) as pilot:
            await wait_for(pilot, lambda: app.org.state.polls_done)
            sim.faults.hold(True)
            # a poll already under way may still succeed: the clock moves only once one has failed
            await wait_for(pilot, lambda: app.org.schedule.failures > 0)
            now[0] += timedelta(seconds=2)
            await wait_for(pilot, lambda: "OFFLINE (last good 2s ago)" in header(app), timeout=10)
            failures = app.org.schedule.failures
            now[0] += timedelta(minutes=3)  # backed off: no poll ends meanwhile, the header counts on
            await wait_for(pilot, lambda: "OFFLINE (last good 3m ago): HTTP 503" in header(app))
            assert app.org.schedule.failures == failures
    finally:
        sim.stop()


async def test_backoff_grows_with_jitter_while_failing() -> None:
    sim = make_sim(speed=60, faults=FaultSpec(error=503), held=False)
    try:
        app = make_app(sim, timeout=1.0, schedule=Schedule(0.1, cap=0.8))
        async with app.run_test(size=(120, 40)) as pilot:
            await wait_for(pilot, lambda: app.org.state.polls_done)
            sim.faults.hold(True)
            seen: list[float] = []
            while len(seen) < 3:
                failures = app.org.schedule.failures
                await wait_for(pilot, lambda before=failures: app.org.schedule.failures > before)
                seen.append(app.org.next_poll_delay or 0.0)
            assert seen[0] < seen[1] < seen[2] <= 0.8 * 1.2  # doubling (jitter ±20 %), capped
    finally:
        sim.stop()


async def test_expired_token_mid_run_is_renewed_through_sf(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    sim = make_sim(speed=60, faults=FaultSpec(expire_after=12))
    try:
        monkeypatch.setenv("PATH", f"{fake_sf(tmp_path, sim)}:{os.environ['PATH']}")
        app = make_app(sim, options=ConnectionOptions(target_org="ops"), schedule=Schedule(**FAST))
        async with app.run_test(size=(120, 40)) as pilot:
            await wait_for(pilot, lambda: app.org.state.polls_done)
            start = app.org.connection.last_good
            await wait_for(pilot, lambda: app.org.connection.last_good != start, timeout=10)
            statuses = [status for _, _, status in sim.log]
            assert 401 in statuses and 400 in statuses  # Bulk 2.0 and Bulk 1.0 both met an expired token
            assert "OFFLINE" not in header(app)
            assert not app.org.state.errors
    finally:
        sim.stop()


async def test_expired_static_token_says_so() -> None:
    sim = make_sim(speed=60, faults=FaultSpec(expire_after=40))
    try:
        app = make_app(sim, schedule=Schedule(**FAST))
        async with app.run_test(size=(120, 40)) as pilot:
            await wait_for(pilot, lambda: app.org.state.polls_done)
            await wait_for(pilot, lambda: "OFFLINE" in header(app), timeout=15)
            assert "access token has expired" in header(app)
    finally:
        sim.stop()


async def test_daily_limit_slows_polling_right_down_and_says_so() -> None:
    sim = make_sim(speed=60, faults=FaultSpec(limit_after=80))
    try:
        app = make_app(sim, schedule=Schedule(**FAST))
        async with app.run_test(size=(120, 40)) as pilot:
            await wait_for(pilot, lambda: app.org.state.polls_done)
            await wait_for(pilot, lambda: "daily API limit" in header(app), timeout=15)
            assert app.org.next_poll_delay == LIMIT_WAIT_S
    finally:
        sim.stop()


async def test_job_deleted_while_watched(sim: Simulator) -> None:
    app = make_app(sim)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: app.org.state.polls_done)
        done = next(j for j in app.org.state.jobs.values() if j.kind.label == "2.0 ingest" and j.state == "JobComplete")
        jobs_table(app).select(done.id)
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, JobDetailScreen))
        with sim.world.lock:
            sim.world.remove(done.id)
        await wait_for(pilot, lambda: done.id not in app.org.state.jobs, timeout=10)
        await wait_for(pilot, lambda: "no longer listed" in header(app))
        await pilot.press("escape")
        await wait_for(pilot, lambda: done.id not in {r.key.value for r in jobs_table(app).ordered_rows})


@pytest.mark.parametrize(
    ("spec", "org_state"),
    [
        (FaultSpec(drop=1.0, methods=frozenset({"PATCH"})), "InProgress"),  # never reached the org
        (FaultSpec(garble=1.0, methods=frozenset({"PATCH"})), "Aborted"),  # done, answer lost
    ],
    ids=["lost-request", "lost-answer"],
)
async def test_action_meeting_a_fault_is_unknown_checked_and_never_resent(spec: FaultSpec, org_state: str) -> None:
    sim = make_sim(speed=60, faults=spec)
    try:
        job_id = find_job(sim, "ingest", "InProgress", running=False)
        app = make_app(sim)
        async with app.run_test(size=(120, 40)) as pilot:
            await ask(pilot, app, job_id, "a")
            await pilot.press("y")
            await wait_for(pilot, lambda: any(n.title == "Outcome unknown" for n in notifications(app)), timeout=15)
            note = next(n for n in notifications(app) if n.title == "Outcome unknown")
            assert f"the org now reports it {org_state}" in note.message and "not sent again" in note.message
            cycles = app.org.state.cycles_started
            await wait_for(pilot, lambda: app.org.state.cycles_started >= cycles + 2)  # polls later: still one attempt
            patches = [w for w in writes(sim, job_id) if w[0] == "PATCH"]
            assert len(patches) == 1
            assert not app.org.state.pending
    finally:
        sim.stop()


async def test_log_file_holds_the_details_without_the_token() -> None:
    from sfmonitor.cli.main import _logger_kept, _logging

    sim = make_sim(speed=60, faults=FaultSpec(error=503), held=False)
    try:
        with _logger_kept():  # the next test in this process logs as before (propagating to pytest's capture)
            _logging(False, to_file=True)
            app = make_app(sim, schedule=Schedule(**FAST))
            async with app.run_test(size=(120, 40)) as pilot:
                await wait_for(pilot, lambda: app.org.state.polls_done)
                sim.faults.hold(True)
                await wait_for(pilot, lambda: "OFFLINE" in header(app), timeout=10)
        log = paths.log_file()
        text = log.read_text()
        assert "poll failed" in text and "503" in text
        assert sim.token not in text
        assert stat.S_IMODE(log.stat().st_mode) == 0o600
    finally:
        sim.stop()


async def test_demo_token_is_renewed_through_the_token_endpoint() -> None:
    sim = make_sim(speed=60, faults=FaultSpec(expire_after=12))
    try:
        options = ConnectionOptions(instance_url=sim.base_url, client_id="sfmonitor-demo", client_secret="demo")
        app = make_app(sim, options=options, schedule=Schedule(**FAST))
        async with app.run_test(size=(120, 40)) as pilot:
            await wait_for(pilot, lambda: app.org.state.polls_done)
            start = app.org.connection.last_good
            await wait_for(pilot, lambda: app.org.connection.last_good != start, timeout=10)
            assert 401 in [status for _, _, status in sim.log]
            assert "OFFLINE" not in header(app) and not app.org.state.errors
    finally:
        sim.stop()
