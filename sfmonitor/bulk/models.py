"""Typed, normalised views of Bulk API 1.0 and 2.0 jobs and batches.

The three APIs name and type their fields differently; these dataclasses give the rest of the
program one shape while keeping every field Salesforce sent (``fields``), numbers as numbers.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any
from urllib.parse import quote

from .ids import id_problem
from .ids import in_path as in_path  # the one rule for an id in a request path (bulk.ids)


class JobKind(enum.Enum):
    """Which API a job belongs to, which decides every request made for it."""

    CLASSIC = "Bulk 1.0"
    INGEST = "2.0 ingest"
    QUERY = "2.0 query"

    @property
    def label(self) -> str:
        return self.value


class Action(enum.Enum):
    CLOSE = "close"
    ABORT = "abort"


# The one home of the ended-state sets (sfmonitor.monitor.phase builds a job's phase on them).
# A job that ends in one of these left records unprocessed (a failure, or someone's abort).
ENDED_BADLY = frozenset({"Failed", "Aborted"})
# Bulk 2.0 job states (D-states2).
V2_TERMINAL = frozenset({"JobComplete"}) | ENDED_BADLY
V2_INGEST_ABORTABLE = frozenset({"Open", "UploadComplete", "InProgress"})
V2_QUERY_ABORTABLE = frozenset({"UploadComplete", "InProgress"})
# Bulk 1.0 job and batch states (D-jobinfo1, D-batchstate1).
V1_TERMINAL = ENDED_BADLY  # a Closed job has ended once every batch has

V1_ABORTABLE = frozenset({"Open", "Closed"})
# A PK-chunked query's original batch is NotProcessed by design; an aborted job's queued batches become it.
BATCH_TERMINAL = frozenset({"Completed", "Failed", "NotProcessed"})

# Fields whose values are numbers; Bulk 1.0 XML sends them as text.
INT_FIELDS = frozenset(
    {
        "numberRecordsProcessed",
        "numberRecordsFailed",
        "retries",
        "numberRetries",
        "totalProcessingTime",
        "apiActiveProcessingTime",
        "apexProcessingTime",
        "numberBatchesQueued",
        "numberBatchesInProgress",
        "numberBatchesCompleted",
        "numberBatchesFailed",
        "numberBatchesTotal",
    }
)
BOOL_FIELDS = frozenset({"isPkChunkingSupported", "isPkChunkingEnabled"})


def to_int(value: Any) -> int | None:
    """A count from JSON (number) or XML (text); None when absent or not a number."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value) if value.is_integer() else None
    text = str(value).strip()
    try:
        return int(text)
    except ValueError:
        try:
            number = float(text)
        except ValueError:
            return None
        return int(number) if number.is_integer() else None


def to_bool(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    return None


def api_version_text(value: Any) -> str | None:
    """``66.0`` (number), ``"66.0"`` or ``"v66.0"`` -> ``"66.0"``."""
    if value is None or isinstance(value, bool):
        return None
    text = str(value).strip().lstrip("vV")
    try:
        return f"{float(text):.1f}"
    except ValueError:
        return text or None


def parse_datetime(value: Any) -> datetime | None:
    """Salesforce dates: ``2009-04-14T18:15:59.000Z`` (XML) or ``...000+0000`` (JSON)."""
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    elif len(text) > 5 and text[-5] in "+-" and text[-4:].isdigit():
        text = text[:-5] + text[-5:-2] + ":" + text[-2:]
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else None


def normalise_state(state: str) -> str:
    """Older Bulk 1.0 docs spell ``Not Processed`` with a space; it is the same state."""
    return "NotProcessed" if state.replace(" ", "").lower() == "notprocessed" else state


def normalise_fields(raw: Mapping[str, Any]) -> dict[str, Any]:
    """Salesforce's fields with counts as ints and flags as bools; other values unchanged."""
    out: dict[str, Any] = {}
    for key, value in raw.items():
        if key.startswith(("@", "#")):  # xmltodict attributes (xmlns) and text nodes
            continue
        if key in INT_FIELDS:
            out[key] = to_int(value)
        elif key in BOOL_FIELDS:
            flag = to_bool(value)
            out[key] = flag if flag is not None else value
        elif key == "apiVersion":
            version = api_version_text(value)
            out[key] = float(version) if version and _is_number(version) else version
        elif key == "state" and isinstance(value, str):
            out[key] = normalise_state(value)
        else:
            out[key] = value
    return out


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _text(fields: Mapping[str, Any], key: str) -> str:
    value = fields.get(key)
    return "" if value is None else str(value)


@dataclass(frozen=True, slots=True)
class Batch:
    """One Bulk 1.0 batch (BatchInfo)."""

    id: str
    job_id: str
    state: str
    state_message: str
    created_date: datetime | None
    system_modstamp: datetime | None
    number_records_processed: int | None
    number_records_failed: int | None
    total_processing_time: int | None
    api_active_processing_time: int | None
    apex_processing_time: int | None
    fields: Mapping[str, Any] = field(default_factory=dict, compare=False)

    @classmethod
    def from_fields(cls, raw: Mapping[str, Any]) -> Batch:
        f = normalise_fields(raw)
        return cls(
            id=_text(f, "id"),
            job_id=_text(f, "jobId"),
            state=_text(f, "state"),
            state_message=_text(f, "stateMessage"),
            created_date=parse_datetime(f.get("createdDate")),
            system_modstamp=parse_datetime(f.get("systemModstamp")),
            number_records_processed=f.get("numberRecordsProcessed"),
            number_records_failed=f.get("numberRecordsFailed"),
            total_processing_time=f.get("totalProcessingTime"),
            api_active_processing_time=f.get("apiActiveProcessingTime"),
            apex_processing_time=f.get("apexProcessingTime"),
            fields=f,
        )

    @property
    def terminal(self) -> bool:
        return self.state in BATCH_TERMINAL

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {name: None for name in JSON_BATCH_FIELDS}
        out.update(self.fields)
        out["state"] = self.state or None
        return out


@dataclass(frozen=True, slots=True)
class BatchSummary:
    """A batch list counted once: how many, how many finished, and what an ETA needs."""

    total: int
    terminal: int
    pending: int  # not finished yet
    work_done: int  # finished batches that did work (not NotProcessed)
    work_done_records: int  # their records processed
    running_records: tuple[int, ...]  # records processed so far by each unfinished batch
    failed: int = 0  # batches that failed as a whole

    @classmethod
    def of(cls, batches: tuple[Batch, ...]) -> BatchSummary:
        terminal = work_done = records = failed = 0
        running: list[int] = []
        for batch in batches:
            if batch.terminal:
                terminal += 1
                failed += batch.state == "Failed"
                if batch.state != "NotProcessed":
                    work_done += 1
                    records += batch.number_records_processed or 0
            else:
                running.append(batch.number_records_processed or 0)
        return cls(len(batches), terminal, len(batches) - terminal, work_done, records, tuple(running), failed)


@dataclass(frozen=True, slots=True)
class Job:
    """A job of any of the three APIs, normalised; ``fields`` holds everything Salesforce sent."""

    id: str
    kind: JobKind
    job_type: str
    object: str
    operation: str
    state: str
    content_type: str
    api_version: str | None
    created_by_id: str
    created_date: datetime | None
    system_modstamp: datetime | None
    number_records_processed: int | None
    number_records_failed: int | None
    retries: int | None
    total_processing_time: int | None
    api_active_processing_time: int | None
    apex_processing_time: int | None
    error_message: str
    number_batches_queued: int | None = None
    number_batches_in_progress: int | None = None
    number_batches_completed: int | None = None
    number_batches_failed: int | None = None
    number_batches_total: int | None = None
    batches: tuple[Batch, ...] | None = None
    fields: Mapping[str, Any] = field(default_factory=dict, compare=False)
    finished: bool = field(init=False, compare=False, default=False)
    batch_summary: BatchSummary | None = field(init=False, compare=False, default=None, repr=False)

    def __post_init__(self) -> None:
        # Asked for every job on every redraw: decide it once per (immutable) job. A 15,000-batch
        # job's batches are counted once, not per redraw.
        if self.batches is not None:
            object.__setattr__(self, "batch_summary", BatchSummary.of(self.batches))
        object.__setattr__(self, "finished", self._finished())

    @classmethod
    def from_fields(cls, raw: Mapping[str, Any], listed_as: JobKind | None = None) -> Job:
        """Build from a listing record or a job info body.

        ``listed_as`` is the listing the record came from; it decides the kind of a job whose
        ``jobType`` this program does not know (a newer API may add types).
        """
        f = normalise_fields(raw)
        job_type = _text(f, "jobType")
        kind = kind_for(job_type, listed_as)
        retries = f.get("retries") if "retries" in f else f.get("numberRetries")
        return cls(
            id=_text(f, "id"),
            kind=kind,
            job_type=job_type or ("Classic" if kind is JobKind.CLASSIC else ""),
            object=_text(f, "object"),
            operation=_text(f, "operation"),
            state=_text(f, "state"),
            content_type=_text(f, "contentType"),
            api_version=api_version_text(f.get("apiVersion")),
            created_by_id=_text(f, "createdById"),
            created_date=parse_datetime(f.get("createdDate")),
            system_modstamp=parse_datetime(f.get("systemModstamp")),
            number_records_processed=f.get("numberRecordsProcessed"),
            number_records_failed=f.get("numberRecordsFailed"),
            retries=retries,
            total_processing_time=f.get("totalProcessingTime"),
            api_active_processing_time=f.get("apiActiveProcessingTime"),
            apex_processing_time=f.get("apexProcessingTime"),
            error_message=_text(f, "errorMessage"),
            number_batches_queued=f.get("numberBatchesQueued"),
            number_batches_in_progress=f.get("numberBatchesInProgress"),
            number_batches_completed=f.get("numberBatchesCompleted"),
            number_batches_failed=f.get("numberBatchesFailed"),
            number_batches_total=f.get("numberBatchesTotal"),
            fields=f,
        )

    def merged(self, newer: Job) -> Job:
        """This job updated by a newer read (a job info body over a listing record, say).

        Fields the newer read lacks are kept, and so is the batch list unless it brings one.
        """
        combined = {**self.fields, **newer.fields}
        merged = Job.from_fields(combined, listed_as=self.kind)
        batches = newer.batches if newer.batches is not None else self.batches
        return merged.with_batches(batches)

    def with_batches(self, batches: tuple[Batch, ...] | None) -> Job:
        return replace(self, batches=batches)

    # --- what the job is doing -------------------------------------------------------------

    def _finished(self) -> bool:
        """Its outcome is settled: the phase rule (sfmonitor.monitor.phase) calls such a job ``ended``; this
        is its one definition. No further change can come, but for :attr:`still_moving`'s counts."""
        if self.kind is JobKind.CLASSIC:
            if self.state in V1_TERMINAL:
                return True
            if self.state == "Closed":
                return self.batches_all_terminal
            return False
        return self.state in V2_TERMINAL

    @property
    def still_moving(self) -> bool:
        """Ended (its outcome known), yet its counts may grow: a Bulk 1.0 job aborted while a batch ran
        (an InProgress batch runs to its end). A poll reads it again until its batches are done."""
        known = self.batch_summary is not None or self.number_batches_total is not None
        return self.kind is JobKind.CLASSIC and self.state == "Aborted" and known and not self.batches_all_terminal

    @property
    def batches_all_terminal(self) -> bool:
        """Every batch finished: from the batch list when we have it, else from the counters."""
        if self.batch_summary is not None:
            return self.batch_summary.pending == 0
        total = self.number_batches_total
        if total is None:
            return False
        done = (self.number_batches_completed or 0) + (self.number_batches_failed or 0)
        pending = (self.number_batches_queued or 0) + (self.number_batches_in_progress or 0)
        return pending == 0 and done <= total

    @property
    def batch_progress(self) -> tuple[int, int] | None:
        """Bulk 1.0: (batches done, total), a PK-chunked original batch counting as done; None if unknown."""
        if self.kind is not JobKind.CLASSIC:
            return None
        if self.batch_summary is not None:
            return self.batch_summary.terminal, self.batch_summary.total
        if self.number_batches_total is None:
            return None
        return (self.number_batches_completed or 0) + (self.number_batches_failed or 0), self.number_batches_total

    def refusal(self, action: Action) -> str | None:
        """Why ``action`` is illegal for this job right now, or None if it may be sent. A job whose id
        is no Salesforce id (a hostile listing row) is never sent anything (bulk.ids, the command
        line's rule too)."""
        problem = id_problem(self.id)
        if problem is not None:
            return f"{problem}: nothing is sent for it"
        if action is Action.CLOSE:
            if self.kind is JobKind.QUERY:
                return "a Bulk API 2.0 query job cannot be closed (it has no upload to complete)"
            if self.state != "Open":
                return f"only an Open job can be closed; this one is {self.state or 'in no known state'}"
            return None
        if self.finished:
            return f"the job is finished ({self.state}); there is nothing left to abort"
        allowed = {
            JobKind.CLASSIC: V1_ABORTABLE,
            JobKind.INGEST: V2_INGEST_ABORTABLE,
            JobKind.QUERY: V2_QUERY_ABORTABLE,
        }[self.kind]
        if self.state not in allowed:
            legal = ", ".join(sorted(allowed))
            return f"a {self.kind.label} job can be aborted only from {legal}; this one is {self.state}"
        return None

    def to_json(self) -> dict[str, Any]:
        """Salesforce's own field names, numbers as numbers, None where the API gave none."""
        out: dict[str, Any] = {name: None for name in JSON_JOB_FIELDS}
        out.update(self.fields)
        out["id"] = self.id
        out["jobType"] = self.job_type or None
        out["state"] = self.state or None
        out["apiKind"] = self.kind.label
        if self.kind is JobKind.CLASSIC:
            for name in CLASSIC_BATCH_COUNTS:
                out.setdefault(name, None)
            out["batches"] = None if self.batches is None else [b.to_json() for b in self.batches]
        return out


JSON_JOB_FIELDS = (
    "id", "jobType", "object", "operation", "state", "createdDate",
    "systemModstamp", "apiVersion", "contentType", "numberRecordsProcessed", "numberRecordsFailed",
    "totalProcessingTime", "apiActiveProcessingTime", "apexProcessingTime",
)  # fmt: skip
CLASSIC_BATCH_COUNTS = (
    "numberBatchesQueued",
    "numberBatchesInProgress",
    "numberBatchesCompleted",
    "numberBatchesFailed",
    "numberBatchesTotal",
    "numberRetries",
)
JSON_BATCH_FIELDS = (
    "id",
    "jobId",
    "state",
    "stateMessage",
    "createdDate",
    "systemModstamp",
    "numberRecordsProcessed",
    "numberRecordsFailed",
    "totalProcessingTime",
    "apiActiveProcessingTime",
    "apexProcessingTime",
)


def kind_for(job_type: str, listed_as: JobKind | None) -> JobKind:
    """The API a ``jobType`` belongs to; an unknown type goes by the listing it came from."""
    known = {
        "Classic": JobKind.CLASSIC,
        "V2Ingest": JobKind.INGEST,
        "BigObjectIngest": JobKind.INGEST,
        "V2Query": JobKind.QUERY,
    }
    if job_type in known:
        return known[job_type]
    return listed_as or JobKind.INGEST


@dataclass(frozen=True, slots=True)
class ApiUsage:
    """``Sforce-Limit-Info: api-usage=used/max``."""

    used: int
    max: int

    @property
    def fraction(self) -> float:
        return self.used / self.max if self.max else 0.0


def parse_limit_info(header: str | None) -> ApiUsage | None:
    """Read ``api-usage=N/M`` from a ``Sforce-Limit-Info`` header; other keys are ignored."""
    if not header:
        return None
    for part in header.split(";"):
        key, _, value = part.strip().partition("=")
        if key.strip().lower() != "api-usage":
            continue
        used, _, most = value.strip().partition("/")
        used_n, max_n = to_int(used), to_int(most)
        if used_n is not None and max_n is not None:
            return ApiUsage(used_n, max_n)
    return None


@dataclass(frozen=True, slots=True)
class Limit:
    """One entry of ``/limits``."""

    max: int
    remaining: int

    @property
    def used(self) -> int:
        return self.max - self.remaining


def setup_page(instance_url: str, job_id: str) -> str:
    """The job's page in Setup (Bulk Data Load Jobs), as an admin opens it in a browser."""
    return f"{instance_url.rstrip('/')}/lightning/setup/AsyncApiJobStatus/page?address=%2F{quote(job_id, safe='')}"
