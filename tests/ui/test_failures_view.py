"""The Failures view, driven by keys against the simulator over real sockets."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import platformdirs
import pytest

from sfmonitor.simulator.api import JSON_V2, Reply
from sfmonitor.simulator.server import Simulator
from sfmonitor.ui.screens.detail import JobDetailScreen
from sfmonitor.ui.screens.failures import FailuresScreen
from sfmonitor.ui.textual_private import notifications
from sfmonitor.ui.widgets.keyed_table import KeyedTable
from tests.bulk.test_failure_reader import HOSTILE
from tests.conftest import add_failed_rows_job

from .helpers import cell, jobs_table, make_app, row_text, wait_for

MISSING = "REQUIRED_FIELD_MISSING:Required fields are missing: [LastName]:LastName --"


async def test_f_in_the_detail_groups_the_failures_and_shows_a_groups_rows(sim: Simulator) -> None:
    rows = [({"LastName": "", "Email": f"a{i}@x.org"}, MISSING) for i in range(4)] + [
        ({"LastName": "[b]B[/b]", "Email": ""}, HOSTILE)
    ]
    job_id = add_failed_rows_job(sim, rows)  # fmt: skip
    app = make_app(sim)
    async with app.run_test(size=(200, 50)) as pilot:  # room for the Message column, and its top-error hint
        await wait_for(pilot, lambda: job_id in app.org.state.jobs and app.org.state.polls_done)
        jobs_table(app).select(job_id)
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, JobDetailScreen))
        await pilot.press("f")
        await wait_for(pilot, lambda: isinstance(app.screen, FailuresScreen) and app.org.failures[job_id].complete)
        await pilot.pause()
        screen = app.screen
        groups = screen.query_one("#groups", KeyedTable)
        await wait_for(pilot, lambda: groups.row_count == 2)
        first, second = (row_text(groups, row.key.value or "") for row in groups.ordered_rows)
        assert first[:3] == ["4", "80.0%", "REQUIRED_FIELD_MISSING"]
        assert second[2] == "FIELD_CUSTOM_VALIDATION_EXCEPTION"
        assert second[3].startswith("[bold]Amount[/bold] \\x1b[31mmust")  # server text, inert and literal
        summary = str(screen.query_one("#summary").render())
        assert "5 failed · 0 unprocessed" in summary
        rows_table = screen.query_one("#rows")
        assert rows_table.row_count == 4  # the highlighted (largest) group's rows, with their input
        assert [str(c) for c in rows_table.get_row_at(0)][:2] == ["", "a0@x.org"]  # no Id column: none has one
        await pilot.press("down")  # the next group: its rows
        await wait_for(pilot, lambda: rows_table.row_count == 1)
        assert "[b]B[/b]" in [str(c) for c in rows_table.get_row_at(0)]
        await pilot.press("escape", "escape")  # back to the jobs: the top error is a hint in its row
        await wait_for(pilot, lambda: cell(jobs_table(app), job_id, "message").startswith("REQUIRED_FIE"))
        assert cell(jobs_table(app), job_id, "message").endswith(" ×4")  # noqa: RUF001


async def test_e_exports_every_failed_row_to_a_csv_file(
    sim: Simulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(platformdirs, "user_downloads_dir", lambda: str(tmp_path))
    rows = [({"LastName": "", "Notes": f'line\nbreak, "q" {i}'}, MISSING) for i in range(150)] + [
        ({"LastName": "ok", "Notes": ""}, "")
    ]
    job_id = add_failed_rows_job(sim, rows)  # fmt: skip
    app = make_app(sim)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: job_id in app.org.state.jobs and app.org.state.polls_done)
        jobs_table(app).select(job_id)
        await pilot.press("f")  # from the jobs table too
        await wait_for(pilot, lambda: isinstance(app.screen, FailuresScreen) and app.org.failures[job_id].complete)
        title = str(app.screen.query_one("#rows-title").render())
        assert "showing 100 of 150; e exports all" in title
        await pilot.press("e")
        await wait_for(pilot, lambda: any(n.title == "Exported" for n in notifications(app)))
        files = list(tmp_path.glob(f"failures-{job_id}-*.csv"))
        assert len(files) == 1
        note = next(n.message for n in notifications(app) if n.title == "Exported")
        assert "150 failed rows written to" in note and str(files[0]) in note
        with files[0].open(encoding="utf-8-sig", newline="") as handle:
            table = list(csv.DictReader(handle))
        assert len(table) == 150
        assert (table[7]["error_code"], table[7]["error_message"], table[7]["error"]) == (
            "REQUIRED_FIELD_MISSING", "Required fields are missing: [LastName]",
            "REQUIRED_FIELD_MISSING:Required fields are missing: [LastName]",  # sf__Error, as the org wrote it
        )  # fmt: skip
        assert {r["Notes"] for r in table} == {f'line\nbreak, "q" {i}' for i in range(150)}  # exact, quotes and all
        assert files[0].stat().st_mode & 0o777 == 0o600


async def test_a_running_bulk_v1_job_fills_in_as_its_batches_finish(sim: Simulator) -> None:
    from tests.conftest import add_classic_job

    job_id = add_classic_job(sim, [200] * 30, rate=4, state="Open", started_ago=60)  # a batch each 50 s: 25 s real
    app = make_app(sim)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: job_id in app.org.state.jobs and app.org.state.polls_done)
        jobs_table(app).select(job_id)
        await pilot.press("f")
        await wait_for(pilot, lambda: job_id in app.org.failures and app.org.failures[job_id].batches)
        report = app.org.failures[job_id]
        first = len(report.batches)
        assert not report.complete and report.batches_total and first < report.batches_total
        await wait_for(pilot, lambda: not report.reading)
        summary = str(app.screen.query_one("#summary").render())
        assert f"of {report.batches_total} batches" in summary
        # the simulator runs at 60x: polls while the view is open bring the batches finished since
        await wait_for(pilot, lambda: len(report.batches) > first, timeout=20)


async def test_reports_of_jobs_opened_one_after_another_stay_within_the_sessions_bound(sim: Simulator) -> None:
    ids = [add_failed_rows_job(sim, [({"LastName": "", "Email": f"{n}.{i}@x.org"}, MISSING) for i in range(60)])
           for n in range(4)]  # fmt: skip
    app = make_app(sim)
    async with app.run_test(size=(200, 50)) as pilot:
        await wait_for(pilot, lambda: all(i in app.org.state.jobs for i in ids) and app.org.state.polls_done)
        app.org.failures.max_rows = 150  # two reports of 60 rows; a third is over
        for job_id in ids:
            jobs_table(app).select(job_id)
            await pilot.press("f")
            await wait_for(pilot, lambda job_id=job_id: isinstance(app.screen, FailuresScreen)
                           and job_id in app.org.failures and app.org.failures[job_id].complete)  # fmt: skip
            screen = app.screen
            await pilot.press("escape")
            await wait_for(pilot, lambda: not isinstance(app.screen, FailuresScreen))
            assert screen.report.failed == 0  # a closed view holds no report: the store alone decides
        assert list(app.org.failures) == ids[2:] and app.org.failures.rows <= 150
        await wait_for(pilot, lambda: all(cell(jobs_table(app), i, "message").endswith(" ×60") for i in ids))  # noqa: RUF001


def failed_count_said(sim: Simulator, job_id: str, delta: int) -> None:
    """The org says ``delta`` more (or fewer) rows failed than its failure file holds."""

    def said(method: str, path: str, query: str, reply: Reply) -> Reply:
        if method != "GET" or reply.status != 200 or not reply.body.startswith(b"{"):
            return reply
        body = json.loads(reply.body)
        for record in [body, *body.get("records", [])]:
            if record.get("id") == job_id and isinstance(record.get("numberRecordsFailed"), int):
                record["numberRecordsFailed"] += delta
        return Reply(200, json.dumps(body).encode(), JSON_V2)

    sim.api.rewrite = said


@pytest.mark.parametrize("delta", [10, -2], ids=["file-cut-short", "file-longer-than-the-count"])
async def test_an_ended_jobs_short_report_does_not_promise_more(sim: Simulator, delta: int) -> None:
    """An ended Bulk 2.0 job's report that is not whole will never get more: no "more as batches finish"."""
    job_id = add_failed_rows_job(sim, [({"LastName": ""}, MISSING)] * 5)
    failed_count_said(sim, job_id, delta)
    app = make_app(sim)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: job_id in app.org.state.jobs and app.org.state.polls_done)
        jobs_table(app).select(job_id)
        await pilot.press("f")
        await wait_for(pilot, lambda: job_id in app.org.failures and app.org.failures[job_id].groups
                       and not app.org.failures[job_id].reading)  # fmt: skip
        await pilot.pause(0.2)
        report = app.org.failures[job_id]
        assert not report.complete
        summary = str(app.screen.query_one("#summary").render())
        assert "more as batches finish" not in summary
