"""Reading a job's failed rows from the org, into a :class:`~.failures.FailureReport`.

- Bulk 2.0 ingest: ``failedResults/`` streamed (``sf__Id``, ``sf__Error``, then the input columns),
  and ``unprocessedrecords/`` counted, once the job is in a state that has results (JobComplete,
  Failed, Aborted; reference §1.6); before that, or on a 4xx saying so: "results when the job ends".
- Bulk 1.0: per finished batch, its result joined row by row to its request, so each failed row
  has its input. Works while the job runs: a re-read fetches only batches finished since. A batch
  whose counts say it has no failed rows costs no call; NotProcessed and Failed batches count
  their records that never ran as unprocessed.

Right or marked (:meth:`FailureReport.mark`; a marked report is never ``complete``): a Bulk 1.0
batch whose request and result differ in rows is not joined (its failed rows show no input, and say
why); a Bulk 2.0 file is read at most to the job's ``numberRecordsFailed`` rows (more is not the
job's file, or a bomb of tiny rows), a report without an export at most ``MAX_ROWS_READ``, and an
HTML page served as the file is not read as rows.

Parsing runs off the event loop, ``CHUNK`` bytes at a time however large the inflated chunk; the
report is changed on the loop only, between chunks, so a screen may draw it at any time. Never
called by the poll loop: results are read on demand.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from ..numbers import plural
from . import v1, v2
from .errors import ApiError, BulkError, ProtocolError
from .failures import (
    MAX_ROWS_READ,
    BatchOutcome,
    FailedRow,
    FailureReport,
    input_columns,
    split_error,
    unique_columns,
)
from .models import ENDED_BADLY, V2_TERMINAL, Batch, Job, JobKind, in_path
from .result_files import SLICE, CsvStream, RowOutcome, parse_batch_request, parse_batch_result, slices
from .service import BulkService

log = logging.getLogger(__name__)

RESULT_STATES = V2_TERMINAL  # a Bulk 2.0 job's result files are there once it has ended
UNPROCESSED_STATES = ENDED_BADLY
CHUNK = SLICE  # bytes parsed per step off the loop (the rows of one step are all that exist at once)
QUERY_OPERATIONS = frozenset({"query", "queryall"})

Sink = Callable[[FailedRow], None]
Progress = Callable[[FailureReport], None]


def has_no_row_failures(job: Job) -> bool:
    """Query jobs (of either API) have no failed rows to read."""
    return job.kind is JobKind.QUERY or job.operation.lower() in QUERY_OPERATIONS


async def read_failures(
    service: BulkService,
    job: Job,
    report: FailureReport | None = None,
    *,
    sink: Sink | None = None,
    progress: Progress | None = None,
) -> FailureReport:
    """``report`` brought up to date (a new one if None). A finished job's complete report is
    returned as it is: results do not change once the job ends."""
    report = report or FailureReport.for_job(job)
    if report.complete and sink is None:
        return report
    report.error = ""
    report.reading = True
    try:
        if has_no_row_failures(job):
            report.note, report.complete = "query jobs have no failed rows", True
        elif job.kind is JobKind.CLASSIC:
            await _read_v1(service, job, report, sink, progress)
        else:
            await _read_v2(service, job, report, sink, progress)
    except BulkError as exc:
        report.error = str(exc)
        raise
    finally:
        report.reading = False
        if progress:
            progress(report)
    return report


# --- Bulk 2.0 ------------------------------------------------------------------------------------


async def _read_v2(service: BulkService, job: Job, report: FailureReport, sink: Sink | None,
                   progress: Progress | None) -> None:  # fmt: skip
    if job.state not in RESULT_STATES:
        report.note = f"results when the job ends (it is {job.state or 'in an unknown state'})"
        return
    base = f"{v2.jobs_path(service.api_version, JobKind.INGEST)}/{in_path(job.id)}"
    report.clear()  # a re-read (an export) starts from nothing; the view sees the groups as they come
    expected = job.number_records_failed if isinstance(job.number_records_failed, int) else None
    try:
        whole = await _stream_failed(service, f"{base}/failedResults/", report, sink, progress,
                                     _row_limit(expected, sink))  # fmt: skip
        if whole and job.state in UNPROCESSED_STATES:
            report.unprocessed = await _count_rows(service, f"{base}/unprocessedrecords/", report)
    except ApiError as exc:
        if 400 <= exc.status < 500 and exc.status not in (401, 403):
            report.note = f"results when the job ends (the org says: {exc.code or exc.status}: {exc.message})"
            return
        raise
    if not whole:
        return
    if expected is not None and report.failed < expected:
        # a body cut short is still valid CSV; Salesforce also records no results beyond the daily
        # batch allocation: either way, not all there, and said so
        rows = plural(report.failed, "row")
        report.note = f"the failure file has {rows}, the job says {expected:,} failed (cut short?)"
        return
    report.complete = not report.marks


def _row_limit(expected: int | None, sink: Sink | None) -> tuple[int, str] | None:
    """The most rows to read of a failure file, and what is said on reaching it: never more than the
    job says failed (a file with more is not the job's, and may be a bomb of tiny rows); a report
    without an export reads at most MAX_ROWS_READ (its counts then say so)."""
    if sink is None and (expected is None or expected > MAX_ROWS_READ):
        of = f" of {expected:,}" if expected is not None else ""
        return MAX_ROWS_READ, f"first {MAX_ROWS_READ:,}{of} rows read, the rest not (an export reads them all)"
    if expected is None:
        return None
    return expected, (f"the failure file has more rows than the job's {expected:,} failed: the first {expected:,} "
                      "read, the rest not (not this job's file?)")  # fmt: skip


def not_csv(content_type: str, head: bytes) -> str:
    """Why a result file is not CSV ("" if it may be): a proxy's or login page's HTML served in its place."""
    if "html" in content_type.lower():
        return f"the failure file is not CSV: the org answered a {content_type.split(';')[0].strip()} page"
    if head.lstrip(b"\xef\xbb\xbf \t\r\n")[:1] == b"<":
        return "the failure file is not CSV: it is markup (an HTML page?)"
    return ""


async def _stream_failed(service: BulkService, path: str, report: FailureReport, sink: Sink | None,
                         progress: Progress | None, limit: tuple[int, str] | None) -> bool:  # fmt: skip
    """Read the failure file into the report; False if it was not read whole (it is marked why)."""
    stream = CsvStream()
    header: list[str] = []

    def rows_of(data: bytes, final: bool, room: int | None) -> tuple[list[FailedRow], bool]:
        rows = stream.feed(data) + (stream.finish() if final else [])
        if not header and rows:
            header.extend(unique_columns(rows.pop(0)))
        over = room is not None and len(rows) > room
        return _v2_rows(header, rows[:room] if over else rows), over

    async def parse(data: bytes, final: bool) -> bool:
        room = None if limit is None else limit[0] - report.rows_read
        rows, over = await asyncio.to_thread(rows_of, data, final, room)
        _add(report, rows, sink)
        if not report.columns and header:
            report.add_columns(input_columns(header))
        if over:
            assert limit is not None
            report.mark(limit[1])
        return not over

    async with service.transport.stream(path, accept="text/csv") as body:
        pending = bytearray()
        head = b""
        async for chunk in body:
            report.bytes_read += len(chunk)
            if len(head) < 64:
                head += chunk[:64]
                why = not_csv(body.content_type, head) if head.strip() else ""
                if why:
                    report.mark(why)
                    return False
            for piece in slices(chunk, CHUNK):  # an inflated chunk may be megabytes: parsed a slice at a time
                pending += piece
                if len(pending) >= CHUNK:
                    data, pending = bytes(pending), bytearray()
                    if not await parse(data, False):
                        return False
                    if progress:
                        progress(report)
        return await parse(bytes(pending), True)


def _v2_rows(header: list[str], rows: list[list[str]]) -> list[FailedRow]:
    if not header:
        return []
    lowered = [h.lower() for h in header]
    error_at = lowered.index("sf__error") if "sf__error" in lowered else None
    id_at = lowered.index("sf__id") if "sf__id" in lowered else None
    inputs = [(i, h) for i, h in enumerate(header) if not h.lower().startswith("sf__")]
    out = []
    for row in rows:
        error = row[error_at] if error_at is not None and error_at < len(row) else ""
        code, message = split_error(error)
        fields = {h: row[i] if i < len(row) else "" for i, h in inputs}
        record_id = row[id_at] if id_at is not None and id_at < len(row) else ""
        out.append(FailedRow(code, message, error, fields, record_id))
    return out


def _add(report: FailureReport, rows: list[FailedRow], sink: Sink | None) -> None:
    report.rows_read += len(rows)
    for row in rows:
        report.add(row)
        if sink is not None:
            sink(row)


async def _count_rows(service: BulkService, path: str, report: FailureReport) -> int:
    stream = CsvStream()
    count = 0
    async with service.transport.stream(path, accept="text/csv") as body:
        async for chunk in body:
            report.bytes_read += len(chunk)
            for piece in slices(chunk, CHUNK):
                count += len(await asyncio.to_thread(stream.feed, piece) if len(piece) >= CHUNK else stream.feed(piece))
        count += len(stream.finish())
    return max(0, count - 1)  # the header


# --- Bulk 1.0 ------------------------------------------------------------------------------------


async def _read_v1(service: BulkService, job: Job, report: FailureReport, sink: Sink | None,
                   progress: Progress | None) -> None:  # fmt: skip
    version = job.api_version or service.api_version
    batches = await v1.batch_list(service.transport, version, job.id)
    if sink is not None:  # an export writes every row: read every batch again
        report.clear()
    report.batches_total = len(batches)
    for batch in batches:
        if batch.id in report.batches or not (batch.terminal or batch.state == "NotProcessed"):
            continue
        await _read_batch(service, version, job, batch, report, sink)
        if progress:
            progress(report)
    report.complete = job.finished and len(report.batches) == len(batches) and not report.marks
    report.note = "no batches yet" if not batches else "" if report.batches else "results as batches finish"


async def _read_batch(service: BulkService, version: str, job: Job, batch: Batch, report: FailureReport,
                      sink: Sink | None) -> None:  # fmt: skip
    path = f"{v1.job_path(version, job.id)}/batch/{in_path(batch.id, 'batch id')}"
    if batch.state == "Completed" and batch.number_records_failed == 0:
        report.batches[batch.id] = BatchOutcome(batch.id, 0, 0)  # its counts say: nothing failed, no call
        return
    if batch.state == "NotProcessed":  # Batch.from_fields spells it one way (models.normalise_state)
        columns, records = await _request(service, path)
        report.unprocessed += len(records)
        report.batches[batch.id] = BatchOutcome(batch.id, 0, len(records), batch.state_message)
        return
    try:
        result = await service.transport.request("GET", f"{path}/result")
    except ApiError as exc:
        if batch.state != "Failed" or not 400 <= exc.status < 500:
            raise
        # a batch that failed as a whole may have no results: its records never ran
        columns, records = await _request(service, path)
        unprocessed = max(0, len(records) - (batch.number_records_processed or 0))
        report.unprocessed += unprocessed
        report.batches[batch.id] = BatchOutcome(batch.id, 0, unprocessed, batch.state_message)
        return
    outcomes = await _checked_result(service, path, batch, result.content, result.headers.get("Content-Type", ""))
    report.bytes_read += len(result.content)
    failed_at = [i for i, o in enumerate(outcomes) if not o.success]
    columns, records = await _request(service, path) if failed_at or batch.state == "Failed" else ([], [])
    mismatch = _mismatch(batch, len(records), len(outcomes)) if failed_at else ""
    if mismatch:
        report.mark(f"batch {batch.id}: {mismatch}")
    else:
        report.add_columns(columns)
    rows = []
    for i in failed_at:
        outcome = outcomes[i]
        fields = {} if mismatch else records[i] if i < len(records) else {}
        rows.append(FailedRow(outcome.code, outcome.message, outcome.error, fields, outcome.record_id, batch.id,
                              i + 1, mismatch))  # fmt: skip
    _add(report, rows, sink)
    unprocessed = 0
    if batch.state == "Failed" and len(records) > len(outcomes):
        unprocessed = len(records) - len(outcomes)
        report.unprocessed += unprocessed
    report.batches[batch.id] = BatchOutcome(batch.id, len(rows), unprocessed,
                                            batch.state_message if batch.state == "Failed" else mismatch)  # fmt: skip


def _mismatch(batch: Batch, requested: int, results: int) -> str:
    """Why a batch's result cannot be joined row by row to its request ("" when it can): the two
    must have one row each per record, else every row after a gap would show another row's input.
    A batch that failed part way has results for the records it ran, the first ones."""
    if requested == results or (batch.state == "Failed" and results < requested):
        return ""
    return f"input not matched: request has {plural(requested, 'row')}, result {results:,}"


async def _checked_result(service: BulkService, path: str, batch: Batch, body: bytes, content_type: str
                          ) -> list[RowOutcome]:  # fmt: skip
    """The batch's row results, agreeing with its own failed count: a body cut short is still valid CSV,
    so a disagreement is read once more, then refused (the batch stays unread, the report says why)."""
    for attempt in range(2):
        outcomes = await asyncio.to_thread(parse_batch_result, content_type, body)
        failed = sum(not o.success for o in outcomes)
        if batch.number_records_failed is None or failed == batch.number_records_failed:
            return outcomes
        if attempt == 0:
            again = await service.transport.request("GET", f"{path}/result")
            body, content_type = again.content, again.headers.get("Content-Type", "")
    raise ProtocolError(
        f"batch {batch.id}: its result file has {plural(failed, 'failed row')}, the batch says "
        f"{batch.number_records_failed:,} (cut short?); read again with r"
    )


async def _request(service: BulkService, path: str) -> tuple[list[str], list[dict[str, str]]]:
    response = await service.transport.request("GET", f"{path}/request")
    return await asyncio.to_thread(parse_batch_request, response.headers.get("Content-Type", ""), response.content)
