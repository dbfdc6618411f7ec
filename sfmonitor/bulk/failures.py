"""Why rows failed: failed rows grouped by status code and message, with counts and a few samples.

A failure file may hold millions of rows. The report counts every row into its group but keeps only
a bounded number of rows (samples, and the first rows of each group for the screen), so its memory
does not follow the size of the file. Error text is the server's, kept exact; it is made inert only
where it is drawn. What was found wrong with the files read is said in the report's ``marks``.
Repeated column names are all kept (``Name``, ``Name (2)``): :func:`unique_columns`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..numbers import plural
from .models import Job, JobKind

SAMPLES_PER_GROUP = 5  # rows shown beside a group, and in JSON
ROWS_PER_GROUP = 100  # rows kept per group for the screen ("showing 100 of 1,203"; export has all)
ROWS_KEPT = 10_000  # rows kept over all groups: beyond, groups keep their samples only
MAX_GROUPS = 1_000  # distinct (code, message) groups; later new messages join their code's "other"
MAX_VALUE = 4_096  # characters kept of one input value in a kept row (the export writes them whole)
KEY_CHARS = 500  # characters of a message that decide its group
MAX_ROWS_READ = 1_000_000  # rows a report (screen, table, JSON) reads of one file; an export reads all
MAX_MARKS = 20  # things found wrong with what was read, kept in words (more are counted)

_CODE = re.compile(r"^[A-Z][A-Z0-9_]*$")
_FIELDS_TAIL = re.compile(r":\s*(?:[\w.]+(?:,\s*[\w.]+)*\s*)?--\s*$")  # Bulk 1.0 CSV: ":LastName --", ":--"
_RECORD_ID = re.compile(r"\b(?=[0-9a-zA-Z]*[0-9])(?=[0-9a-zA-Z]*[a-zA-Z])[0-9a-zA-Z]{15}(?:[0-9a-zA-Z]{3})?\b")
_VALUE = re.compile(
    r"((?:data value too large|invalid email address|bad value for [\w ]+?):)\s.*?(\s\(max length=\d+\))?$"
)
OTHER_MESSAGES = "(other messages)"
API_KINDS = {JobKind.CLASSIC: "classic", JobKind.INGEST: "ingest", JobKind.QUERY: "query"}


def split_error(text: str) -> tuple[str, str]:
    """``CODE:message`` (Bulk 2.0 ``sf__Error``) or ``CODE:message:fields --`` (Bulk 1.0 CSV) as code
    and message. Text without a code is all message, with an empty code."""
    text = text.strip()
    code, sep, rest = text.partition(":")
    if not sep or not _CODE.match(code):
        return "", _FIELDS_TAIL.sub("", text) if text.endswith("--") else text
    return code, _FIELDS_TAIL.sub("", rest).strip()


def group_key(code: str, message: str) -> tuple[str, str]:
    """What rows share a group: the code, and the message with record ids and echoed values masked
    (``duplicates value on record with id: 001…`` differs per row; the cause does not)."""
    masked = _RECORD_ID.sub("{id}", message[:KEY_CHARS])
    masked = _VALUE.sub(lambda m: f"{m.group(1)} {{value}}{m.group(2) or ''}", masked)
    return code, masked


@dataclass(frozen=True)
class FailedRow:
    """One failed row: its error and its input fields (as uploaded)."""

    code: str
    message: str
    error: str  # the server's text, whole
    fields: dict[str, str]
    record_id: str = ""  # sf__Id / the result's Id, when the org gave one
    batch_id: str = ""  # Bulk 1.0
    row: int | None = None  # position in its batch (Bulk 1.0, from 1)
    note: str = ""  # why ``fields`` is empty: "input not matched: request has 11 rows, result 10"


@dataclass
class FailureGroup:
    code: str
    message: str  # the first row's exact message
    count: int = 0
    varies: bool = False  # rows' exact messages differ (ids, values): ``message`` is one of them
    rows: list[FailedRow] = field(default_factory=list)


@dataclass
class BatchOutcome:
    """A Bulk 1.0 batch's part of the report, kept so a re-read fetches only new batches."""

    batch_id: str
    failed: int
    unprocessed: int
    note: str = ""  # a whole-batch failure: the batch's state message


@dataclass
class FailureReport:
    """One job's failures as read so far."""

    job_id: str
    kind: JobKind
    failed: int = 0
    unprocessed: int = 0
    batches_total: int | None = None  # Bulk 1.0 only
    batches: dict[str, BatchOutcome] = field(default_factory=dict)  # Bulk 1.0: the batches covered
    columns: list[str] = field(default_factory=list)  # input columns, in the file's order
    rows_read: int = 0
    bytes_read: int = 0
    complete: bool = False  # every result the job has was read
    reading: bool = False
    note: str = ""  # why there is nothing (yet): "results when the job ends", "query jobs have none"
    error: str = ""  # the read failed: why (what was read before stays)
    groups: dict[tuple[str, str], FailureGroup] = field(default_factory=dict)
    marks: list[str] = field(default_factory=list)  # what was found wrong with the files read (bounded)
    marks_more: int = 0  # marks beyond MAX_MARKS, counted
    kept_bytes: int = 0  # an estimate of the memory the kept rows take (what a session's store bounds)
    _kept: int = 0

    @classmethod
    def for_job(cls, job: Job) -> FailureReport:
        return cls(job.id, job.kind)

    def clear(self) -> None:
        """Forget what was read (a re-read, an export, starts from nothing); the job stays."""
        fresh = FailureReport(self.job_id, self.kind, reading=self.reading)
        self.__dict__.update(fresh.__dict__)

    @property
    def batches_covered(self) -> int | None:
        return len(self.batches) if self.kind is JobKind.CLASSIC else None

    def add(self, row: FailedRow) -> None:
        self.failed += 1
        key = group_key(row.code, row.message)
        group = self.groups.get(key)
        if group is None:
            if len(self.groups) >= MAX_GROUPS:
                key = (row.code, OTHER_MESSAGES)
                group = self.groups.get(key)
            if group is None:
                group = self.groups[key] = FailureGroup(row.code, row.message)
        elif not group.varies and group.message != row.message:
            group.varies = True
        group.count += 1
        if len(group.rows) < SAMPLES_PER_GROUP or (len(group.rows) < ROWS_PER_GROUP and self._kept < ROWS_KEPT):
            kept = _bounded(row)
            group.rows.append(kept)
            self._kept += 1
            self.kept_bytes += row_bytes(kept)

    @property
    def rows_kept(self) -> int:
        """Rows kept to show (samples and each group's first rows); every row is counted all the same."""
        return self._kept

    def mark(self, text: str) -> None:
        """Something wrong with what was read, said beside the figures (a report with marks is
        never ``complete``: the reader leaves it unset)."""
        if len(self.marks) < MAX_MARKS:
            self.marks.append(text)
        else:
            self.marks_more += 1

    def add_columns(self, columns: Iterable[str]) -> None:
        for column in columns:
            if column not in self.columns:
                self.columns.append(column)

    def ordered(self) -> list[FailureGroup]:
        """Largest first; ties by code, then message, so the order is stable."""
        return sorted(self.groups.values(), key=lambda g: (-g.count, g.code, g.message))

    def share(self, group: FailureGroup) -> float:
        return group.count / self.failed if self.failed else 0.0

    def coverage(self) -> str:
        """ "32 of 40 batches" (Bulk 1.0), else ""."""
        if self.kind is not JobKind.CLASSIC or self.batches_total is None:
            return ""
        return f"{len(self.batches):,} of {self.batches_total:,} batches"

    def as_json(self, samples: int = SAMPLES_PER_GROUP) -> dict[str, Any]:
        return {
            "jobId": self.job_id,
            "apiKind": API_KINDS[self.kind],
            "failed": self.failed,
            "unprocessed": self.unprocessed,
            "batchesCovered": self.batches_covered,
            "batchesTotal": self.batches_total,
            "complete": self.complete,
            "note": self.note or None,
            "error": self.error or None,
            "marks": self.marks + ([f"and {self.marks_more:,} more"] if self.marks_more else []),
            "rowsKept": self.rows_kept,
            "groups": [
                {
                    "code": g.code,
                    "message": g.message,
                    "messagesVary": g.varies,
                    "count": g.count,
                    "samples": [_sample(r) for r in g.rows[:samples]],
                }
                for g in self.ordered()
            ],
        }

    def top(self) -> FailureGroup | None:
        groups = self.ordered()
        return groups[0] if groups else None

    def summary(self) -> str:
        """One line: "4,027 failed · 12 unprocessed · 32 of 40 batches"."""
        parts = [f"{self.failed:,} failed", f"{self.unprocessed:,} unprocessed"]
        if self.coverage():
            parts.append(self.coverage())
        if self.note:
            parts.append(self.note)
        parts.extend(self.marks)
        if self.marks_more:
            parts.append(f"and {plural(self.marks_more, 'more mark')}")
        return " · ".join(parts)


def _sample(row: FailedRow) -> dict[str, str]:
    """A row's input as JSON shows it; a row whose input could not be matched says so instead."""
    return {"(input)": row.note} if row.note else dict(row.fields)


def row_bytes(row: FailedRow) -> int:
    """About what a kept row takes in memory: its strings (~50 bytes of header each) and containers."""
    text = len(row.error) + len(row.message) + len(row.code) + len(row.record_id) + len(row.batch_id) + len(row.note)
    return 400 + text + sum(100 + len(k) + len(v) for k, v in row.fields.items())


def _bounded(row: FailedRow) -> FailedRow:
    if all(len(v) <= MAX_VALUE for v in row.fields.values()):
        return row
    fields = {k: v if len(v) <= MAX_VALUE else v[: MAX_VALUE - 1] + "…" for k, v in row.fields.items()}
    return FailedRow(row.code, row.message, row.error, fields, row.record_id, row.batch_id, row.row, row.note)


def unique_columns(header: Sequence[str]) -> list[str]:
    """A file's column names, each kept: a repeated name becomes ``Name (2)``, ``Name (3)``…, so two
    columns of one name are two columns on screen and in the export, not one overwriting the other."""
    seen: set[str] = set()
    out = []
    for name in header:
        unique, n = name, 1
        while unique in seen:
            n += 1
            unique = f"{name} ({n})"
        seen.add(unique)
        out.append(unique)
    return out


def input_columns(header: Sequence[str]) -> list[str]:
    """A result file's columns that came from the upload (not ``sf__Id``, ``sf__Error``, ...)."""
    return [h for h in header if not h.startswith("sf__")]
