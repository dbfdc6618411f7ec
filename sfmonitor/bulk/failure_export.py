"""The failures CSV export: the failed rows with their error and input columns, written as rows
arrive, never held whole. Error text is the server's, exact."""

from __future__ import annotations

import csv
import os
from pathlib import Path
from typing import IO

from ..text import inert
from .failures import FailedRow, FailureReport

ERROR_COLUMNS = ("error_code", "error_message", "error", "record_id", "batch_id", "batch_row")


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


def export_note(export: CsvExport, path: Path | None) -> str:
    where = str(path) if path else "standard output"
    note = f"{export.rows:,} failed rows written to {where}"
    if export.dropped_columns:
        names = ", ".join(sorted(inert(c) for c in export.dropped_columns))
        note += f" (columns not in the first batch's header left out: {names})"
    return note
