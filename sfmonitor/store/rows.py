"""A job as the history file keeps it, and back: one home for the columns and what they mean.

Times are seconds since the epoch (UTC). A remembered job comes back as a
:class:`~sfmonitor.bulk.models.Job` built from Salesforce's own field names, so the dashboard,
``history`` and ``status`` write it the same way.

A timeline point is kept small (a million jobs hold ~10 million points, most of the file): its ``at``
is milliseconds after the job was first seen (its row's ``seen_first``, written once and never
rewritten), 3 or 4 bytes where the moment itself takes 6; its state is a small number when it is one
the APIs define (:data:`POINT_STATES`), else the text."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from ..bulk.models import Batch, Job, JobKind
from ..monitor import phase as phase_rule

# column -> Salesforce's field name (the job info body's spelling)
FIELDS = {
    "id": "id",
    "job_type": "jobType",
    "object": "object",
    "operation": "operation",
    "state": "state",
    "processed": "numberRecordsProcessed",
    "failed": "numberRecordsFailed",
    "retries": "retries",
    "total_ms": "totalProcessingTime",
    "api_ms": "apiActiveProcessingTime",
    "apex_ms": "apexProcessingTime",
    "error": "errorMessage",
    "api_version": "apiVersion",
    "content_type": "contentType",
    "created_by": "createdById",
    "batches_queued": "numberBatchesQueued",
    "batches_in_progress": "numberBatchesInProgress",
    "batches_completed": "numberBatchesCompleted",
    "batches_failed": "numberBatchesFailed",
    "batches_total": "numberBatchesTotal",
}
DATES = {"created": "createdDate", "modstamp": "systemModstamp"}
JOB_COLUMNS = ("org", *FIELDS, *DATES, "api", "phase", "outcome", "ended", "seen_first", "seen_last")


# A timeline point's state in the file: its index here (0 and 1 take no bytes at all in SQLite), any other
# state as its text. A million jobs' timelines hold ~10 million points; the text cost ~10 bytes each.
# Files hold these numbers: append only, never reorder.
POINT_STATES = ("InProgress", "JobComplete", "UploadComplete", "Open", "Closed", "Failed", "Aborted")
_POINT_CODES = {state: code for code, state in enumerate(POINT_STATES)}


def point_state(state: str | None) -> int | str | None:
    """A point's state as the file keeps it."""
    return None if state is None else _POINT_CODES.get(state, state)


def state_of_point(stored: int | str | None) -> str | None:
    """A point's state as the org said it."""
    if isinstance(stored, int):
        return POINT_STATES[stored] if 0 <= stored < len(POINT_STATES) else str(stored)
    return stored


def point_at(at: float, seen_first: float) -> int:
    """A point's ``at`` in the file: milliseconds after the job was first seen."""
    return round(at * 1000) - round(seen_first * 1000)


def moment_of_point(stored: int, seen_first: float) -> float:
    """A point's moment, seconds since the epoch."""
    return (stored + round(seen_first * 1000)) / 1000


def epoch(moment: datetime | None) -> float | None:
    return None if moment is None else moment.timestamp()


def sf_date(seconds: float | None) -> str | None:
    """Salesforce's JSON spelling of a moment (``2026-12-06T10:00:00.000+0000``)."""
    if seconds is None:
        return None
    moment = datetime.fromtimestamp(seconds, UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}+0000"


def ended_at(job: Job, seen: float) -> float | None:
    """When an ended job ended: its ``systemModstamp`` (2.0: "when the job finished"), a Bulk 1.0
    job's latest batch end if later, else when it was first seen ended. None while it runs."""
    if not job.finished:
        return None
    moments = [m for m in (job.system_modstamp, *(b.system_modstamp for b in job.batches or ())) if m is not None]
    return max(m.timestamp() for m in moments) if moments else seen


def job_row(org: str, job: Job, seen: float) -> dict[str, Any]:
    """The jobs table's values for ``job`` as read at ``seen`` (``seen_first`` is the caller's)."""
    ending = phase_rule.outcome(job)
    return {
        "org": org,
        "id": job.id,
        "job_type": job.job_type,
        "object": job.object,
        "operation": job.operation,
        "state": job.state,
        "processed": job.number_records_processed,
        "failed": job.number_records_failed,
        "retries": job.retries,
        "total_ms": job.total_processing_time,
        "api_ms": job.api_active_processing_time,
        "apex_ms": job.apex_processing_time,
        "error": job.error_message,
        "api_version": job.api_version,
        "content_type": job.content_type or None,
        "created_by": job.created_by_id or None,
        "batches_queued": job.number_batches_queued,
        "batches_in_progress": job.number_batches_in_progress,
        "batches_completed": job.number_batches_completed,
        "batches_failed": job.number_batches_failed,
        "batches_total": job.number_batches_total,
        "created": epoch(job.created_date),
        "modstamp": epoch(job.system_modstamp),
        "api": job.kind.value,
        "phase": phase_rule.phase(job, seen).value,
        "outcome": ending.value if ending else None,
        "ended": ended_at(job, seen),
        "seen_first": seen,
        "seen_last": seen,
    }


def batch_row(jid: int, batch: Batch) -> tuple[Any, ...]:
    return (
        jid,
        batch.id,
        batch.state,
        batch.state_message,
        epoch(batch.created_date),
        epoch(batch.system_modstamp) if batch.terminal else None,
        batch.number_records_processed,
        batch.number_records_failed,
        batch.total_processing_time,
    )


@dataclass(frozen=True, slots=True)
class Remembered:
    """A job as the history file has it: the job (Salesforce's fields) and what sfmonitor noted."""

    org: str
    job: Job
    phase: str  # the phase rule's word at its last recorded change
    outcome: str | None
    ended: float | None  # seconds since the epoch
    seen_first: float
    seen_last: float

    @property
    def duration_s(self) -> float | None:
        created = epoch(self.job.created_date)
        return None if created is None or self.ended is None else max(0.0, self.ended - created)

    def to_json(self) -> dict[str, Any]:
        """``status``'s JSON (Salesforce's field names) plus org, phase, outcome, endedDate, durationSeconds."""
        out = self.job.to_json()
        out.update(
            org=self.org,
            phase=self.phase,
            outcome=self.outcome,
            endedDate=sf_date(self.ended),
            durationSeconds=None if self.duration_s is None else round(self.duration_s, 3),
            lastChangeDate=sf_date(self.seen_last),
        )
        return out


def remembered(row: Any) -> Remembered:
    """A jobs table row (selected as :data:`JOB_COLUMNS`) as a :class:`Remembered`."""
    values = dict(zip(JOB_COLUMNS, row, strict=True))
    fields: dict[str, Any] = {name: values[column] for column, name in FIELDS.items() if values[column] is not None}
    fields.update({name: sf_date(values[column]) for column, name in DATES.items() if values[column] is not None})
    return Remembered(
        org=values["org"],
        job=Job.from_fields(fields, listed_as=JobKind(values["api"])),
        phase=values["phase"],
        outcome=values["outcome"],
        ended=values["ended"],
        seen_first=values["seen_first"],
        seen_last=values["seen_last"],
    )
