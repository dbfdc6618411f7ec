"""Failures as output: the text table and JSON of ``sfmonitor failures``, and the CSV export (the
failed rows with their error and input columns), written as rows arrive, never held whole.

Error text is the server's: exact in JSON and CSV, inert in the table.
"""

from __future__ import annotations

import csv
import json
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import IO

import platformdirs

from .bulk.failures import FailedRow, FailureReport
from .bulk.models import JobKind
from .numbers import compact
from .text import clip, inert

ERROR_COLUMNS = ("error_code", "error_message", "error", "record_id", "batch_id", "batch_row")


def default_export_path(job_id: str, now: datetime | None = None) -> Path:
    """``failures-<job>-<UTC time>.csv`` in the platform's download folder, else the current one."""
    stamp = (now or datetime.now(UTC)).strftime("%Y%m%d-%H%M%S")
    name = f"failures-{job_id}-{stamp}.csv"
    downloads = Path(platformdirs.user_downloads_dir())
    folder = downloads if downloads.is_dir() else Path.cwd()
    return folder / name


class CsvExport:
    """A sink of failed rows into a CSV file: error columns, then the input columns of the first row
    (a later row's extra columns are counted in ``dropped_columns``, not silently lost)."""

    def __init__(self, out: IO[str]) -> None:
        self._out = out
        self._writer = csv.writer(out, lineterminator="\r\n")
        self._columns: list[str] | None = None
        self.rows = 0
        self.dropped_columns: set[str] = set()

    @classmethod
    def open(cls, path: Path) -> tuple[CsvExport, IO[str]]:
        """A new file at ``path`` (mode 0600: failed rows are the org's data), UTF-8 with a BOM so
        spreadsheet programs read non-ASCII right."""
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        handle = open(fd, "w", encoding="utf-8-sig", newline="")  # noqa: SIM115 - closed by the caller
        return cls(handle), handle

    def header(self, columns: list[str]) -> None:
        if self._columns is None:
            self._columns = list(columns)
            self._writer.writerow([*ERROR_COLUMNS, *self._columns])

    def __call__(self, row: FailedRow) -> None:
        if self._columns is None:
            self.header(list(row.fields))
        assert self._columns is not None
        extra = row.fields.keys() - set(self._columns)
        if extra:
            self.dropped_columns |= extra
        self._writer.writerow(
            [
                row.code,
                row.message,
                row.error,
                row.record_id,
                row.batch_id,
                "" if row.row is None else row.row,
                *(row.fields.get(c, "") for c in self._columns),
            ]
        )
        self.rows += 1

    def finish(self, report: FailureReport) -> None:
        """The header even when no row failed (the columns then come from the report)."""
        self.header(report.columns)
        self._out.flush()


def as_json(report: FailureReport) -> str:
    return json.dumps(report.as_json(), indent=2, ensure_ascii=False)


def summary(report: FailureReport) -> str:
    """One line: "4,027 failed · 12 unprocessed · 32 of 40 batches"."""
    parts = [f"{report.failed:,} failed", f"{report.unprocessed:,} unprocessed"]
    if report.coverage():
        parts.append(report.coverage())
    if report.note:
        parts.append(report.note)
    return " · ".join(parts)


def table(report: FailureReport, width: int = 120, samples: int = 1) -> str:
    """Groups, largest first: rows, share, code, message; under each, a sample row's input."""
    kind = {JobKind.CLASSIC: "Bulk 1.0", JobKind.INGEST: "2.0 ingest", JobKind.QUERY: "2.0 query"}[report.kind]
    lines = [f"job {inert(report.job_id)} ({kind}): {inert(summary(report))}"]
    groups = report.ordered()
    if groups:
        lines.append(f"{'ROWS':>9}  {'SHARE':>6}  {'CODE':<34}  MESSAGE")
    for group in groups:
        share = f"{report.share(group) * 100:5.1f}%"
        code = clip(inert(group.code) or "(no code)", 34)
        message = inert(group.message) + (" (varies: ids, values)" if group.varies else "")
        lines.append(f"{compact(group.count, 9):>9}  {share:>6}  {code:<34}  {clip(message, max(20, width - 55))}")
        for row in group.rows[:samples]:
            fields = ", ".join(f"{inert(k)}={inert(v)}" for k, v in row.fields.items())
            lines.append(f"{'':>19}e.g. {clip(fields, max(20, width - 24))}")
    return "\n".join(lines)


def export_note(export: CsvExport, path: Path | None) -> str:
    where = str(path) if path else "standard output"
    note = f"{export.rows:,} failed rows written to {where}"
    if export.dropped_columns:
        names = ", ".join(sorted(inert(c) for c in export.dropped_columns))
        note += f" (columns not in the first batch's header left out: {names})"
    return note
