"""The dashboard is right or visibly unread, over real sockets: rows whose read failed are marked, the
listing's newer state wins, a close/abort is never sent twice or undone by a late poll, and a bad
sign-in or a silent org is said in words at once."""

from __future__ import annotations

import json
import os
import socket
import threading
from pathlib import Path

import httpx
import pytest

from sfmonitor.config.connection import ConnectionOptions
from sfmonitor.monitor.schedule import SIGN_IN_WAIT_S, Schedule
from sfmonitor.simulator.api import JSON_V2, Reply
from sfmonitor.simulator.server import Simulator
from sfmonitor.ui.keys import check_keymap
from sfmonitor.ui.screens.confirm import ConfirmScreen
from sfmonitor.ui.screens.detail import JobDetailScreen
from sfmonitor.ui.screens.help import HelpScreen
from sfmonitor.ui.textual_private import notifications
from sfmonitor.ui.widgets.status_bar import StatusBar
from tests.conftest import find_job
from tests.fakes import fake_sf

from .helpers import ask, cell, jobs_table, make_app, wait_for, writes


def header(app: object) -> str:
    return str(app.screen.query_one("#header", StatusBar).content)  # type: ignore[attr-defined]


def listing_says(job_id: str, **fields: object) -> object:
    """A rewrite that changes one job's record in the listing and fails its own reads (503)."""

    def rewrite(method: str, path: str, query: str, reply: Reply) -> Reply:
        if path.endswith(f"/{job_id}") and method == "GET":
            return Reply(503, b"<html>Service Unavailable</html>", "text/html")
        if path.endswith(("/jobs/ingest", "/jobs/query")) and method == "GET" and reply.status == 200:
            page = json.loads(reply.body)
            for record in page["records"]:
                if record["id"] == job_id:
                    record.update(fields)
            return Reply(200, json.dumps(page).encode(), JSON_V2, reply.headers)
        return reply

    return rewrite


async def test_a_row_whose_read_failed_is_marked_and_shows_the_listings_newer_state(sim: Simulator) -> None:
    job_id = find_job(sim, "ingest", "InProgress")
    app = make_app(sim)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(
            pilot,
            lambda: (
                app.org.state.polls_done
                and job_id in app.org.state.jobs
                and app.org.state.jobs[job_id].number_records_processed is not None
            ),
        )
        sim.api.rewrite = listing_says(job_id, state="Failed")  # type: ignore[assignment]
        table = jobs_table(app)
        await wait_for(pilot, lambda: cell(table, job_id, "state") == "! Failed")
        row = table.get_row(job_id)
        assert [(text.plain, str(text.style)) for text in row if "dim" not in str(text.style)] == []  # faded
        assert "⚠" not in cell(table, job_id, "state")  # a failed read is not "no progress"
        assert "1 job could not be read; its row is marked ! and faded" in header(app)
        sim.api.rewrite = None
        await wait_for(pilot, lambda: not cell(table, job_id, "state").startswith("!"))


async def test_a_job_that_ended_while_the_question_was_open_is_not_sent(sim: Simulator) -> None:
    job_id = find_job(sim, "ingest", "InProgress")
    app = make_app(sim)
    async with app.run_test(size=(120, 40)) as pilot:
        await ask(pilot, app, job_id, "a")
        async with httpx.AsyncClient(base_url=sim.base_url) as other:  # another tool aborts it meanwhile
            answer = await other.patch(f"/services/data/v66.0/jobs/ingest/{job_id}", json={"state": "Aborted"},
                                       headers={"Authorization": f"Bearer {sim.token}"})  # fmt: skip
            assert answer.status_code == 200
        await wait_for(pilot, lambda: app.org.state.jobs[job_id].state == "Aborted")
        await pilot.press("y")
        await wait_for(pilot, lambda: any(n.message.startswith("Not sent") for n in notifications(app)))
        assert len(writes(sim, job_id)) == 1  # the other tool's, none of ours


async def test_a_poll_in_flight_when_the_abort_goes_out_does_not_undo_it(sim: Simulator) -> None:
    job_id = find_job(sim, "query", "InProgress")
    reading, release = threading.Event(), threading.Event()

    def late_read(method: str, path: str, query: str, reply: Reply) -> Reply:
        """The job's read is answered (InProgress) now, but arrives only after the abort's answer."""
        if path.endswith(f"/jobs/query/{job_id}") and method == "GET" and not release.is_set():
            reading.set()
            sim.world.lock.release()  # let the abort through meanwhile
            try:
                release.wait(10)
            finally:
                sim.world.lock.acquire()
        return reply

    app = make_app(sim, interval=0.2)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: app.org.state.polls_done and job_id in app.org.state.jobs)
        table = jobs_table(app)
        table.select(job_id)
        sim.api.rewrite = late_read
        await wait_for(pilot, reading.is_set)  # a cycle has read the job and waits for its answer
        await pilot.press("a")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("y")
        await wait_for(pilot, lambda: len(writes(sim, job_id)) == 1 and app.org.state.jobs[job_id].state == "Aborted")
        release.set()  # the old read lands now, after "sent"
        seen: list[str] = []
        while app.org.state.pending or not seen:
            seen.append(cell(table, job_id, "state"))
            await pilot.pause(0.02)
        assert "InProgress" not in seen  # never the old state after "sent"
        assert cell(table, job_id, "state") == "Aborted"
        await pilot.press("a", "y")
        await pilot.pause(0.3)
        assert len(writes(sim, job_id)) == 1


async def test_connecting_is_said_at_once_and_the_cause_as_soon_as_known() -> None:
    with socket.socket() as listener:  # takes the connection, never answers
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        url = f"http://127.0.0.1:{listener.getsockname()[1]}"
        options = ConnectionOptions(instance_url=url, access_token="t", timeout=0.5)
        app = make_app(None, options=options)  # type: ignore[arg-type]
        async with app.run_test(size=(120, 40)) as pilot:
            await wait_for(pilot, lambda: f"connecting to {url}…" in header(app), timeout=0.4)
            await wait_for(pilot, lambda: "NOT CONNECTED" in header(app))
            assert f"no answer within 0.5 s (GET {url}/services/data/)" in header(app)


async def test_a_rejected_token_is_said_and_not_retried_at_full_rate(sim: Simulator) -> None:
    options = ConnectionOptions(instance_url=sim.base_url, access_token="never-valid", timeout=5)
    app = make_app(sim, options=options, schedule=Schedule(0.2))
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: "NOT CONNECTED" in header(app))
        assert "rejected the access token" in header(app) and "never-valid" not in header(app)
        assert app.org.next_poll_delay == SIGN_IN_WAIT_S


async def test_an_unknown_sf_alias_is_said_and_waits(
    sim: Simulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", f"{fake_sf(tmp_path, sim)}:{os.environ['PATH']}")
    app = make_app(sim, options=ConnectionOptions(target_org="nope"), schedule=Schedule(0.2))
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: "connecting to sf org 'nope'…" in header(app), timeout=1)
        await wait_for(pilot, lambda: "NOT CONNECTED" in header(app))
        assert "does not know org 'nope'" in header(app)
        assert app.org.next_poll_delay == SIGN_IN_WAIT_S


async def test_field_names_are_server_text_too(sim: Simulator) -> None:
    job_id = find_job(sim, "ingest", "InProgress")
    evil = "\x1b]0;pwned\x07\x1b]52;c;ZXZpbA==\x07\x1b]8;;https://evil.test\x07name"

    def rename(method: str, path: str, query: str, reply: Reply) -> Reply:
        if path.endswith(f"/jobs/ingest/{job_id}") and reply.status == 200:
            body = json.loads(reply.body)
            body[evil] = "value"
            return Reply(200, json.dumps(body).encode(), JSON_V2, reply.headers)
        return reply

    sim.api.rewrite = rename
    app = make_app(sim)
    async with app.run_test(size=(160, 50)) as pilot:
        await wait_for(
            pilot,
            lambda: (
                app.org.state.polls_done and job_id in app.org.state.jobs and evil in app.org.state.jobs[job_id].fields
            ),
        )
        jobs_table(app).select(job_id)
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, JobDetailScreen))
        await pilot.pause(0.2)
        shot = app.export_screenshot()
        assert "\\x1b]0;pwned\\x07\\x1b]52;c;ZXZpbA==\\x07" in shot
        assert "\x1b" not in shot and "\x07" not in shot


async def test_confirmation_and_help_keys_can_be_remapped(sim: Simulator) -> None:
    keymap = {"confirm.yes": "j", "help.close": "x"}
    check_keymap(keymap)  # accepted: every documented binding id is remappable
    job_id = find_job(sim, "ingest", "InProgress")
    app = make_app(sim, keymap=keymap)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: app.org.state.polls_done and job_id in app.org.state.jobs)
        await pilot.press("question_mark")
        await wait_for(pilot, lambda: isinstance(app.screen, HelpScreen))
        await pilot.press("x")
        await wait_for(pilot, lambda: not isinstance(app.screen, HelpScreen))
        jobs_table(app).select(job_id)
        await pilot.press("a")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("j")
        await wait_for(pilot, lambda: len(writes(sim, job_id)) == 1)
