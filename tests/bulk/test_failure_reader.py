"""Reading why rows failed, from the simulator over real sockets: both APIs, every Bulk 1.0 format,
a job still running, a huge file, hostile text."""

from __future__ import annotations

import asyncio
import json
import tracemalloc

import pytest

from sfmonitor.bulk.auth import StaticToken
from sfmonitor.bulk.failure_reader import read_failures
from sfmonitor.bulk.failures import FailureReport
from sfmonitor.bulk.models import Action, Job, JobKind
from sfmonitor.bulk.service import BulkService
from sfmonitor.bulk.transport import Transport
from sfmonitor.cli.failures import as_json, table
from sfmonitor.simulator.bulk import add_failure_file_job
from sfmonitor.simulator.server import Simulator
from sfmonitor.simulator.world import Clock
from tests.conftest import add_classic_job, add_failed_rows_job, add_running_ingest_job, find_job

HOSTILE = "FIELD_CUSTOM_VALIDATION_EXCEPTION:[bold]Amount[/bold] \x1b[31mmust\x1b[0m be \u202epositive:Amount --"


async def test_v2_failed_rows_grouped_with_their_input_and_text_kept_exact(
    service: BulkService, sim: Simulator
) -> None:
    rows = [
        (
            {"LastName": "", "Notes": f'multi\nline, "quoted" {i}'},
            "REQUIRED_FIELD_MISSING:Required fields are missing: [LastName]:LastName --",
        )
        for i in range(3)
    ]
    rows += [({"LastName": "Ok", "Notes": ""}, "")] * 5
    rows += [({"LastName": "[red]x[/red]", "Notes": "é"}, HOSTILE)]
    job_id = add_failed_rows_job(sim, rows)  # fmt: skip
    job = await service.find_job(job_id)
    report = await read_failures(service, job)
    assert report.complete and report.failed == 4 and report.unprocessed == 0
    first, second = report.ordered()
    assert (first.code, first.message, first.count) == (
        "REQUIRED_FIELD_MISSING",
        "Required fields are missing: [LastName]",
        3,
    )
    assert first.rows[0].fields == {"LastName": "", "Notes": 'multi\nline, "quoted" 0'}  # fmt: skip
    assert second.message == "[bold]Amount[/bold] \x1b[31mmust\x1b[0m be \u202epositive"  # exact, in the model
    doc = json.loads(as_json(report))  # exact in JSON (escaped by JSON, not altered)
    assert (
        doc["groups"][1]["message"] == second.message and doc["groups"][1]["samples"][0]["LastName"] == "[red]x[/red]"
    )
    shown = table(report)
    assert "\x1b" not in shown and "\u202e" not in shown and "\\x1b[31mmust" in shown  # inert on a terminal
    assert report.columns == ["LastName", "Notes"]


async def test_v2_job_still_running_has_no_results_yet_and_costs_no_call(service: BulkService, sim: Simulator) -> None:
    job = await service.find_job(find_job(sim, "ingest", "InProgress"))
    before = service.transport.requests_made
    report = await read_failures(service, job)
    assert service.transport.requests_made == before
    assert not report.complete and report.failed == 0 and report.note.startswith("results when the job ends")


async def test_v2_a_4xx_for_a_state_without_results_reads_as_not_yet(service: BulkService, sim: Simulator) -> None:
    job = await service.find_job(find_job(sim, "ingest", "InProgress"))
    as_if_ended = Job.from_fields({**job.fields, "state": "JobComplete"}, listed_as=JobKind.INGEST)
    report = await read_failures(service, as_if_ended)  # the org still says InProgress: a 400
    assert not report.complete and "results when the job ends" in report.note and "INVALIDJOBSTATE" in report.note


async def test_v2_aborted_job_counts_unprocessed_rows_apart(service: BulkService, sim: Simulator) -> None:
    job = await service.find_job(add_running_ingest_job(sim, 3000, 10, running_for=60))  # 600 of 3,000 done
    aborted = await service.act(job, Action.ABORT)
    assert aborted.state == "Aborted"
    report = await read_failures(service, await service.find_job(job.id))
    with sim.world.lock:
        plan = sim.world.jobs[job.id].plan
        assert plan is not None
        expected_unprocessed = plan.total - plan.processed_at(sim.world.jobs[job.id].finished_at or 0)
    assert report.complete and report.unprocessed == expected_unprocessed > 0
    assert report.failed == (await service.find_job(job.id)).number_records_failed


async def test_query_jobs_have_no_failed_rows(service: BulkService, sim: Simulator) -> None:
    job = await service.find_job(find_job(sim, "query", "JobComplete", running=False))
    before = service.transport.requests_made
    report = await read_failures(service, job)
    assert (
        report.complete
        and report.note == "query jobs have no failed rows"
        and service.transport.requests_made == before
    )


def _classic_with_failures(sim: Simulator, content_type: str) -> str:
    with sim.world.lock:
        t = sim.world.clock.now()
        for job in sim.world.jobs.values():
            if (
                job.api == "classic"
                and job.content_type == content_type
                and job.operation != "query"
                and job.done_at(t)
            ) and any(b.plan.fail_permille and b.plan.fail_at is None for b in job.batches):
                return job.id
    raise LookupError(content_type)


@pytest.mark.parametrize("content_type", ["CSV", "XML", "JSON"])
async def test_v1_results_joined_to_requests_row_by_row(
    service: BulkService, sim: Simulator, content_type: str
) -> None:
    job = await service.find_job(_classic_with_failures(sim, content_type))
    report = await read_failures(service, job)
    assert report.complete and report.failed == job.number_records_failed > 0
    assert report.coverage() == f"{job.number_batches_total} of {job.number_batches_total} batches"
    required = report.columns[0]
    for group in report.groups.values():
        for row in group.rows:  # the simulator names row i "<Object> <i+1>": the join is by position
            assert row.fields[required] == f"{job.object} {row.row}", (row.batch_id, row.row)
            assert row.code == group.code
    reads = [p for m, p, _ in sim.log if p.endswith(("/result", "/request"))]
    assert len(reads) == len(set(reads))  # each batch's files read once


async def test_v1_batch_that_failed_as_a_whole_counts_its_unrun_records_as_unprocessed(
    service: BulkService, sim: Simulator
) -> None:
    job = await service.find_job(add_classic_job(sim, [300, 300, 300], content_type="XML", whole_failure=1))
    report = await read_failures(service, job)
    failed_batch = next(b for b in job.batches or () if b.state == "Failed")
    outcome = report.batches[failed_batch.id]
    assert outcome.unprocessed == 210 and outcome.note == failed_batch.state_message  # 90 of its 300 ran
    assert report.unprocessed == 210 and report.complete
    assert report.failed == job.number_records_failed


async def test_v1_running_job_shows_finished_batches_and_reads_only_new_ones_later() -> None:
    clock = Clock(frozen=True)
    with Simulator(clock=clock, spawn_every=0, seeded=False) as sim:
        transport = Transport(StaticToken(sim.base_url, sim.token))
        service = BulkService(transport)
        await service.connect()
        try:  # ten batches of 200 rows, one after another, 20 s each: 60 s in, two have finished
            job = await service.find_job(add_classic_job(sim, [200] * 10, rate=10, state="Open", started_ago=60))
            report = FailureReport.for_job(job)
            await read_failures(service, job, report)
            covered = len(report.batches)
            assert report.batches_total == 10 and 0 < covered < 10 and not report.complete and report.failed > 0
            assert report.coverage() == f"{covered} of 10 batches"
            first_failed = report.failed
            mark = len(sim.log)
            clock.start += 100  # more batches finished
            job = await service.find_job(job.id)
            await read_failures(service, job, report)
            assert len(report.batches) > covered and report.failed > first_failed
            again = [p for _, p, _ in list(sim.log)[mark:] if p.endswith(("/result", "/request"))]
            earlier = {p for _, p, _ in list(sim.log)[:mark] if p.endswith(("/result", "/request"))}
            assert again and not (set(again) & earlier)  # batches read before were not read again
        finally:
            await transport.aclose()


async def test_a_huge_failure_file_is_streamed_with_bounded_memory(service: BulkService, sim: Simulator) -> None:
    job = await service.find_job(add_failure_file_job(sim.world, 20_000))
    seen: list[int] = []
    tracemalloc.start()
    try:
        report = await read_failures(service, job, progress=lambda r: seen.append(r.rows_read))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert report.failed == 20_000 == report.rows_read and report.complete
    assert seen and seen[0] < 20_000  # groups were there before the whole file was read
    assert peak < 16 * 1024 * 1024, peak  # its rows as objects would be ~20 MB (and 60,000 rows peak lower still)
    assert sum(g.count for g in report.groups.values()) == 20_000


async def test_uploaded_rows_fail_the_way_the_org_says(service: BulkService, sim: Simulator) -> None:
    base = f"/services/data/v{service.api_version}/jobs/ingest"
    body = json.dumps({"object": "Contact", "operation": "insert", "contentType": "CSV"}).encode()
    created = json.loads(
        (await service.transport.request("POST", base, content=body, content_type="application/json")).content
    )
    rows = (
        "LastName,Email,External_Id__c,Description,CreatedDate\n"
        "Ok,ok@x.org,E1,,\n"
        ",a@x.org,E2,,\n"
        "Mail,not-an-email,E3,,\n"
        f"Long,l@x.org,E4,{'d' * 300},\n"
        "Dated,d@x.org,E5,,2020-01-01T00:00:00Z\n"
        "Again,o@x.org,E1,,\n"
    )  # fmt: skip
    await service.transport.request(
        "PUT", f"{base}/{created['id']}/batches", content=rows.encode(), content_type="text/csv"
    )
    await service.transport.request("PATCH", f"{base}/{created['id']}", content=b'{"state":"UploadComplete"}',
                                    content_type="application/json")  # fmt: skip
    for _ in range(200):
        job = await service.find_job(created["id"])
        if job.state == "JobComplete":
            break
        await asyncio.sleep(0.05)
    report = await read_failures(service, job)
    codes = {g.code: [r.fields["LastName"] for r in g.rows] for g in report.groups.values()}
    assert codes == {
        "REQUIRED_FIELD_MISSING": [""], "INVALID_EMAIL_ADDRESS": ["Mail"], "STRING_TOO_LONG": ["Long"],
        "INVALID_FIELD_FOR_INSERT_UPDATE": ["Dated"],
        "DUPLICATE_VALUE": ["Again"],
    }  # fmt: skip


def _cut(path_end: str, times: int | None = None) -> object:
    """A rewrite that cuts matching answers short at a line end: still valid CSV, fewer rows."""
    from sfmonitor.simulator.api import Reply

    left = [times]

    def rewrite(method: str, path: str, query: str, reply: Reply) -> Reply:
        if path.rstrip("/").endswith(path_end) and reply.body and left[0] != 0:
            left[0] = None if left[0] is None else left[0] - 1
            lines = reply.body.split(b"\n")
            return Reply(reply.status, b"\n".join(lines[: len(lines) // 2]) + b"\n", reply.content_type, reply.headers)
        return reply

    return rewrite


async def test_a_v2_failure_file_cut_short_is_said_so_not_passed_off_as_whole(
    service: BulkService, sim: Simulator
) -> None:
    job_id = add_failed_rows_job(
        sim, [({"LastName": ""}, "REQUIRED_FIELD_MISSING:Required fields are missing: [LastName]:LastName --")] * 40
    )
    sim.api.rewrite = _cut("/failedResults")  # type: ignore[assignment]
    report = await read_failures(service, await service.find_job(job_id))
    assert not report.complete and report.failed < 40
    assert "the job says 40 failed (cut short?)" in report.note


async def test_a_v1_batch_result_cut_short_is_read_again_then_refused(service: BulkService, sim: Simulator) -> None:
    from sfmonitor.bulk.errors import ProtocolError

    job = await service.find_job(add_classic_job(sim, [300], fail_permille=200))
    sim.api.rewrite = _cut("/result", times=1)  # type: ignore[assignment]
    report = await read_failures(service, job)  # cut once: the second read is whole
    assert report.complete and report.failed == job.number_records_failed == 60
    sim.api.rewrite = _cut("/result")  # type: ignore[assignment]
    again = FailureReport.for_job(job)
    with pytest.raises(ProtocolError, match="the batch says 60"):
        await read_failures(service, job, again)
    assert not again.batches and again.error  # the batch stays unread, and the report says why
