"""Failure reports that are right or marked, from the simulator over real sockets: a Bulk 1.0 request
that does not line up with its result, a Bulk 2.0 file with more rows than the job failed, an HTML
page served as the file, repeated column names, and a file of millions of tiny rows (bounded)."""

from __future__ import annotations

import io
import json
import subprocess
import sys

import pytest

from sfmonitor.bulk.failure_export import CsvExport
from sfmonitor.bulk.failure_reader import read_failures
from sfmonitor.bulk.failures import MAX_ROWS_READ, FailureReport
from sfmonitor.bulk.service import BulkService
from sfmonitor.cli.failures import as_json, table
from sfmonitor.simulator.api import CSV, Reply
from sfmonitor.simulator.bulk import add_failure_file_job, tiny_rows_failure_file
from sfmonitor.simulator.server import Simulator
from tests.conftest import add_classic_job, add_failed_rows_job

MISSING = "REQUIRED_FIELD_MISSING:Required fields are missing: [LastName]:LastName --"


def _rewrite(sim: Simulator, path_end: str, change: object) -> None:
    def rewrite(method: str, path: str, query: str, reply: Reply) -> Reply:
        if path.rstrip("/").endswith(path_end) and reply.status == 200:
            return change(reply)  # type: ignore[operator,no-any-return]
        return reply

    sim.api.rewrite = rewrite  # type: ignore[assignment]


async def test_v1_request_with_a_row_more_than_its_result_is_not_joined_row_by_row(
    service: BulkService, sim: Simulator
) -> None:
    job = await service.find_job(add_classic_job(sim, [50], fail_permille=200))

    def one_row_more(reply: Reply) -> Reply:  # a row before the others: each later row one place off
        header, _, rest = reply.body.partition(b"\n")
        return Reply(200, header + b"\n" + b'"Intruder","EXT-X","005","x@example.com","shifted"\n' + rest, CSV)

    _rewrite(sim, "/request", one_row_more)
    report = await read_failures(service, job)
    assert report.failed == job.number_records_failed == 10  # the failures themselves are right
    marked = "input not matched: request has 51 rows, result 50"
    rows = [row for group in report.groups.values() for row in group.rows]
    assert rows and all(row.fields == {} and row.note == marked for row in rows)  # no other row's input
    assert not report.complete and any(marked in mark for mark in report.marks)
    assert marked in report.summary() and "Intruder" not in table(report, samples=5)
    samples = [s for g in json.loads(as_json(report))["groups"] for s in g["samples"]]
    assert samples and all(s == {"(input)": marked} for s in samples)
    assert "EXT-" not in as_json(report)  # no input value shown beside another row's error

    sim.api.rewrite = None
    whole = await read_failures(service, job)  # the same batch, lined up: joined, complete
    assert whole.complete and not whole.marks
    assert all(row.fields and not row.note for g in whole.groups.values() for row in g.rows)


async def test_a_v2_failure_file_with_more_rows_than_the_job_failed_is_marked(
    service: BulkService, sim: Simulator
) -> None:
    job = await service.find_job(add_failed_rows_job(sim, [({"LastName": ""}, MISSING)] * 5))
    _rewrite(sim, "/failedResults", lambda r: Reply(200, r.body + r.body.partition(b"\n")[2] * 3, CSV))
    report = await read_failures(service, job)
    assert report.failed == 5 and not report.complete
    assert "more rows than the job's 5 failed" in report.summary()
    assert json.loads(as_json(report))["complete"] is False


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        ("text/html; charset=UTF-8", b"Service unavailable, try later"),
        ("text/csv", b"\n  <!DOCTYPE html><html><body><h1>Sign in</h1></body></html>"),
    ],
)
async def test_an_html_page_served_as_the_failure_file_is_marked_not_read_as_rows(
    service: BulkService, sim: Simulator, content_type: str, body: bytes
) -> None:
    job = await service.find_job(add_failed_rows_job(sim, [({"LastName": ""}, MISSING)] * 3))
    _rewrite(sim, "/failedResults", lambda r: Reply(200, body, content_type))
    report = await read_failures(service, job)
    assert not report.complete and not report.groups and report.failed == 0
    assert "the failure file is not CSV" in report.summary()


async def test_repeated_column_names_keep_both_columns_on_screen_and_in_the_csv(
    service: BulkService, sim: Simulator
) -> None:
    job = await service.find_job(add_failed_rows_job(sim, [({"LastName": ""}, MISSING)]))
    body = b'"sf__Id","sf__Error","Name","Name","Name (2)"\n"","REQUIRED_FIELD_MISSING:x","Acme","Acme Corp","third"\n'
    _rewrite(sim, "/failedResults", lambda r: Reply(200, body, CSV))
    out = io.StringIO()
    export = CsvExport(out)
    report = await read_failures(service, job, sink=export)
    export.finish(report)
    assert report.columns == ["Name", "Name (2)", "Name (2) (2)"] and report.complete
    (row,) = [r for g in report.groups.values() for r in g.rows]
    assert row.fields == {"Name": "Acme", "Name (2)": "Acme Corp", "Name (2) (2)": "third"}
    header, line = out.getvalue().splitlines()[:2]
    assert header.endswith("Name,Name (2),Name (2) (2)") and line.endswith("Acme,Acme Corp,third")


async def test_a_v1_request_with_repeated_column_names_keeps_both(service: BulkService, sim: Simulator) -> None:
    job = await service.find_job(add_classic_job(sim, [20], fail_permille=200))

    def same_name_twice(reply: Reply) -> Reply:  # the second column renamed as the first
        first = reply.body.split(b",", 1)[0].strip(b'"')
        return Reply(200, reply.body.replace(b"External_Id__c", first, 1), CSV)

    _rewrite(sim, "/request", same_name_twice)
    report = await read_failures(service, job)
    name = report.columns[0]
    assert report.columns[:2] == [name, f"{name} (2)"] and report.complete
    row = next(r for g in report.groups.values() for r in g.rows)
    assert row.fields[name].endswith(f" {row.row}") and row.fields[f"{name} (2)"].startswith("EXT-")


async def test_a_file_of_millions_of_tiny_rows_stops_at_what_the_job_failed(
    service: BulkService, sim: Simulator
) -> None:
    job = await service.find_job(add_failed_rows_job(sim, [({"LastName": ""}, MISSING)] * 5))
    sim.api.rewrite = tiny_rows_failure_file(job.id, 5_000_000)
    report = await read_failures(service, job)
    assert report.failed == 5 and not report.complete
    assert "more rows than the job's 5 failed: the first 5 read, the rest not" in report.summary()
    assert report.bytes_read < 20 * 1024 * 1024  # of 110 MB: the rest was never fetched, let alone parsed


async def test_a_report_reads_at_most_its_cap_and_says_first_n_of_m(
    service: BulkService, sim: Simulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    from sfmonitor.bulk import failure_reader

    monkeypatch.setattr(failure_reader, "MAX_ROWS_READ", 30_000)  # the same rule as at a million, quicker
    job = await service.find_job(add_failure_file_job(sim.world, 50_000))
    sim.api.rewrite = tiny_rows_failure_file(job.id, 50_000)
    report = await read_failures(service, job)
    assert report.failed == 30_000 and not report.complete
    assert "first 30,000 of 50,000 rows read, the rest not (an export reads them all)" in report.summary()
    assert report.rows_kept < 30_000 and json.loads(as_json(report))["rowsKept"] == report.rows_kept
    exported = FailureReport.for_job(job)
    await read_failures(service, job, exported, sink=lambda row: None)  # an export: every row
    assert exported.failed == 50_000 and exported.complete
    assert MAX_ROWS_READ == 1_000_000


CHILD = """
import asyncio, json, resource, sys
from sfmonitor.bulk.auth import StaticToken
from sfmonitor.bulk.failure_reader import read_failures
from sfmonitor.bulk.service import BulkService
from sfmonitor.bulk.transport import Transport

async def main(url, token, job_id):
    link = Transport(StaticToken(url, token))
    service = BulkService(link)
    await service.connect()
    job = await service.find_job(job_id)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    report = await read_failures(service, job)
    after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    await link.aclose()
    print(json.dumps({"before_kb": before, "after_kb": after, "failed": report.failed,
                      "complete": report.complete, "kept": report.rows_kept, "bytes": report.bytes_read}))

asyncio.run(main(*sys.argv[1:]))
"""


def test_reading_a_gzip_bomb_of_tiny_rows_keeps_peak_memory_bounded(sim: Simulator) -> None:
    """300,000 rows of seven bytes (a few KB gzipped) arrive in one read that inflates to megabytes:
    parsed whole they were ~300 MB of row objects; in slices the child's peak RSS barely moves."""
    rows = 300_000
    job_id = add_failure_file_job(sim.world, rows)
    sim.api.rewrite = tiny_rows_failure_file(job_id, rows)
    done = subprocess.run([sys.executable, "-c", CHILD, sim.base_url, sim.token, job_id],
                          capture_output=True, text=True, timeout=120, check=True)  # fmt: skip
    seen = json.loads(done.stdout)
    assert seen["failed"] == rows and seen["complete"] and seen["kept"] <= 10_000
    grew_mb = (seen["after_kb"] - seen["before_kb"]) / 1024
    assert grew_mb < 40, seen


async def test_a_v1_request_of_more_rows_than_a_batch_holds_is_refused_not_parsed(
    service: BulkService, sim: Simulator
) -> None:
    from sfmonitor.bulk.errors import HostileBody

    job = await service.find_job(add_classic_job(sim, [20], fail_permille=200))
    _rewrite(sim, "/request", lambda r: Reply(200, r.body + b"a,b,c,d,e\n" * 2_000_000, CSV))
    report = FailureReport.for_job(job)
    with pytest.raises(HostileBody, match="more than 10,000 rows"):
        await read_failures(service, job, report)
    assert report.error and not report.complete
