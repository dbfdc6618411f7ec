"""What ``sfmonitor history`` prints: the remembered jobs' table (``status``'s cells and words), one
job's record with its timeline, batches and failure groups, and their JSON. Server text is inert in
text, exact in JSON."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from datetime import UTC, datetime
from itertools import pairwise
from typing import Any

from ..monitor.history import per_second
from ..numbers import ago, clock, compact, count, duration, local, plural
from ..store.reader import BatchRow, Point, Timeline
from ..store.rows import Remembered, sf_date
from ..text import clip, inert, pad
from .status import columns_line, note_line

COLUMNS: tuple[tuple[str, int, str], ...] = (
    # header, width, alignment: 120 columns in all, as status's table
    ("ORG", 10, "<"),
    ("JOB ID", 18, "<"),
    ("API", 10, "<"),
    ("OBJECT", 14, "<"),
    ("OPERATION", 9, "<"),
    ("STATE", 14, "<"),
    ("CREATED", 12, ">"),  # numbers.clock(): local time
    ("TOOK", 7, ">"),
    ("PROCESSED", 10, ">"),
    ("FAILED", 7, ">"),
)
SLOWEST = 5  # a Bulk 1.0 job's batches shown without --all: the failed, then this many of the slowest


def _moment(seconds: float | None) -> datetime | None:
    return None if seconds is None else datetime.fromtimestamp(seconds, UTC)


def zone() -> str:
    """The local clock's zone, as the times printed are in it."""
    return datetime.now().astimezone().tzname() or "local"


def state_word(r: Remembered) -> str:
    """Salesforce's state; for an ended job whose outcome it does not say (records failed, a Bulk 1.0
    batch failed), the outcome word."""
    if r.outcome in (None, "ok") or r.outcome == r.job.state.lower():
        return r.job.state
    return r.outcome


def took(r: Remembered) -> str:
    """From created to ended; ``-`` while it had not ended."""
    seconds = r.duration_s
    return "-" if seconds is None else duration(round(seconds * 1000))


def row(r: Remembered, now: datetime) -> list[str]:
    job = r.job
    return [
        inert(r.org) or "-",
        inert(job.id),
        job.kind.label,
        inert(job.object),
        inert(job.operation),
        inert(state_word(r)),
        clock(job.created_date, now),
        took(r),
        compact(job.number_records_processed, 10),
        compact(job.number_records_failed, 7),
    ]


def unended_note(r: Remembered, now: float, polled: float | None) -> str:
    """A job not ended when last recorded: what it was then, and when its org was last polled (its
    values are that old; the org may have moved it since, or dropped it)."""
    said = f"{r.phase} as last recorded, {ago(now - r.seen_last)}"
    return f"{said}; " + (
        "its org was never polled" if polled is None else f"the org was last polled {ago(now - polled)}"
    )


def table(found: list[Remembered], now: float, polled: Mapping[str, float | None]) -> str:
    """The remembered jobs (newest first), one row each; an error and an unended job's note under it."""
    at = datetime.fromtimestamp(now, UTC)
    lines = [f"{plural(len(found), 'remembered job')}, newest first; times are local ({zone()})"]
    lines.append(columns_line([h for h, _, _ in COLUMNS], COLUMNS))
    for r in found:
        lines.append(columns_line(row(r, at), COLUMNS))
        if r.job.error_message:
            lines.append(note_line("error: " + inert(r.job.error_message)))
        if r.ended is None:
            lines.append(note_line(unended_note(r, now, polled.get(r.org))))
    return "\n".join(lines)


def when(seconds: float | None) -> str:
    """A moment in full, on the local clock (the zone is said once, in the heading)."""
    moment = _moment(seconds)
    return "-" if moment is None else f"{local(moment):%Y-%m-%d %H:%M:%S}"


def rate(before: Point, after: Point) -> float | None:
    """Records a second between two points, when both counts are known and time passed: the one rule
    (monitor.history.per_second), never negative (a count the org lowered is no backward pace)."""
    if before.processed is None or after.processed is None or after.at <= before.at:
        return None
    return per_second(after.processed - before.processed, after.at - before.at)


def rates(points: list[Point]) -> list[float | None]:
    return [None, *(rate(a, b) for a, b in pairwise(points))][: len(points)]


def _rate_text(value: float | None) -> str:
    return "-" if value is None else f"{value:,.0f}"


def job_text(story: Timeline, now: float, polled: float | None, *, every_batch: bool = False) -> str:
    """One job's record: its fields, its timeline, its batches, its failure groups."""
    r, job = story.job, story.job.job
    fields = [
        ("state", f"{inert(job.state)} ({r.phase}{', ' + r.outcome if r.outcome else ''})"),
        ("created", when(None if job.created_date is None else job.created_date.timestamp())),
        ("ended", "not when last recorded" if r.ended is None else f"{when(r.ended)} (took {took(r)})"),
        ("processed", f"{count(job.number_records_processed)} records, {count(job.number_records_failed)} failed"),
        ("processing", f"{duration(job.total_processing_time)} in all (API {duration(job.api_active_processing_time)}, "
                       f"Apex {duration(job.apex_processing_time)}); retries {count(job.retries)}"),
        ("version", f"API {inert(job.api_version or '-')} · {inert(job.content_type or '-')} · created by "
                    f"{inert(job.created_by_id or '-')}"),
        ("recorded", f"first seen {when(r.seen_first)}, last change {when(r.seen_last)}; the org was last polled "
                     f"{when(polled)}"),
    ]  # fmt: skip
    if job.error_message:
        fields.insert(1, ("error", inert(job.error_message)))
    head = f"job {inert(job.id)} · org {inert(r.org) or '-'} · {job.kind.label} · {inert(job.object)} · "
    lines = [head + f"{inert(job.operation)}; times are local ({zone()})"]
    lines += [f"  {name:<11}{value}" for name, value in fields]
    lines += ["", *timeline_text(story.points)]
    if story.batches or job.number_batches_total:
        lines += ["", *batches_text(story.batches, job.number_batches_total, every_batch)]
    lines += ["", *failures_text(story, job.number_records_failed)]
    return "\n".join(lines)


def timeline_text(points: list[Point]) -> list[str]:
    if not points:
        return ["timeline: no point recorded"]
    lines = [f"timeline ({plural(len(points), 'point')}; thinned as the job aged, every state change kept)"]
    lines.append(f"  {'TIME':<19}  {'STATE':<14} {'PROCESSED':>11} {'FAILED':>9} {'REC/S':>9}")
    for point, speed in zip(points, rates(points), strict=True):
        state = pad(clip(inert(point.state or "-"), 14), 14)
        lines.append(f"  {when(point.at):<19}  {state} {compact(point.processed, 11):>11} "
                     f"{compact(point.failed, 9):>9} {_rate_text(speed):>9}")  # fmt: skip
    return lines


def _took_s(batch: BatchRow) -> float:
    if batch.created is not None and batch.ended is not None:
        return batch.ended - batch.created
    return (batch.total_ms or 0) / 1000


def batches_text(batches: list[BatchRow], total: int | None, every_batch: bool) -> list[str]:
    """Bulk 1.0: the batches by final state, the failed and the slowest few (``every_batch``: all)."""
    states = Counter(b.state for b in batches)
    of = f" of {total:,}" if total is not None and total != len(batches) else ""
    by_state = ", ".join(f"{n:,} {inert(state)}" for state, n in states.most_common())
    lines = [f"batches: {len(batches):,}{of} recorded at their final state" + (f" ({by_state})" if by_state else "")]
    if every_batch:
        shown, title = batches, "every batch"
    else:
        failed = [b for b in batches if b.state == "Failed"][:SLOWEST]
        slowest = sorted((b for b in batches if b not in failed), key=_took_s, reverse=True)[:SLOWEST]
        shown = failed + slowest
        title = f"the failed and the {SLOWEST} slowest" + ("; --all: every batch" if len(shown) < len(batches) else "")
    if not shown:
        return lines
    lines.append(f"  {title}:")
    lines.append(f"  {'BATCH ID':<18} {'STATE':<12} {'PROCESSED':>10} {'FAILED':>8} {'TOOK':>8}  MESSAGE")
    for b in shown:
        took_ms = round(_took_s(b) * 1000) if b.ended is not None or b.total_ms is not None else None
        lines.append(f"  {pad(clip(inert(b.id), 18), 18)} {pad(clip(inert(b.state), 12), 12)} "
                     f"{compact(b.processed, 10):>10} {compact(b.failed, 8):>8} {duration(took_ms):>8}  "
                     f"{clip(inert(b.message), 50)}".rstrip())  # fmt: skip
    return lines


def failures_text(story: Timeline, failed: int | None) -> list[str]:
    groups = story.failure_groups
    if story.failures_read_at is None:
        if failed:
            return ["failures: not read while it was recorded (sfmonitor failures reads them while the org keeps "
                    "the job)"]  # fmt: skip
        return ["failures: none recorded"]
    rows = sum(n for _, _, n in groups)
    lines = [f"failures, as read {when(story.failures_read_at)}: {plural(rows, 'row')} in "
             f"{plural(len(groups), 'group')}"]  # fmt: skip
    if groups:
        lines.append(f"  {'ROWS':>9}  {'CODE':<34}  MESSAGE")
    for code, message, n in groups:
        lines.append(f"  {compact(n, 9):>9}  {pad(clip(inert(code) or '(no code)', 34), 34)}  "
                     f"{clip(inert(message), 70)}")  # fmt: skip
    return lines


def timeline_rows(story: Timeline) -> list[dict[str, Any]]:
    """The timeline with Salesforce's names: one entry a point, with the records a second since the last."""
    r = story.job
    return [
        {
            "org": r.org,
            "id": r.job.id,
            "date": sf_date(point.at),
            "state": point.state,
            "numberRecordsProcessed": point.processed,
            "numberRecordsFailed": point.failed,
            "recordsPerSecond": None if speed is None else round(speed, 3),
        }
        for point, speed in zip(story.points, rates(story.points), strict=True)
    ]


def job_json(story: Timeline) -> dict[str, Any]:
    """``{"job", "timeline", "batches", "failureGroups", "failuresReadDate"}``."""
    return {
        "job": story.job.to_json(),
        "timeline": [{k: v for k, v in point.items() if k not in ("org", "id")} for point in timeline_rows(story)],
        "batches": [
            {
                "id": b.id,
                "state": b.state,
                "stateMessage": b.message,
                "createdDate": sf_date(b.created),
                "endedDate": sf_date(b.ended),
                "numberRecordsProcessed": b.processed,
                "numberRecordsFailed": b.failed,
                "totalProcessingTime": b.total_ms,
            }
            for b in story.batches
        ],
        "failureGroups": [{"code": code, "message": message, "rows": n} for code, message, n in story.failure_groups],
        "failuresReadDate": sf_date(story.failures_read_at),
    }
