"""The failure reports a session keeps: least recently used first out, bounded by the rows they keep
and an estimate of their bytes, so opening the failures of job after job does not grow the dashboard
without end (30 jobs' reports once took it from 56 to 125 MB).

A report being read is never dropped, nor the one last used (an open Failures view keeps its own in
use). A dropped report is read again when its job's failures are opened again; its top error (the
jobs table's hint) is kept apart, a few words per job.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterator

from ..bulk.failures import FailureReport
from ..bulk.models import Job

MAX_ROWS = 20_000  # rows kept over every report (a report keeps at most 10,000)
MAX_BYTES = 16 * 1024 * 1024  # their estimated size (~1.2 KB a row of five short fields)
MAX_TOPS = 10_000  # jobs whose top error is remembered after their report was dropped


class FailureStore:
    """Reports by job id, most recently used last."""

    def __init__(self, max_rows: int = MAX_ROWS, max_bytes: int = MAX_BYTES) -> None:
        self.max_rows = max_rows
        self.max_bytes = max_bytes
        self._reports: OrderedDict[str, FailureReport] = OrderedDict()
        self._tops: OrderedDict[str, tuple[str, int]] = OrderedDict()
        self.dropped = 0  # reports dropped so far (to be read again if opened again)

    def __contains__(self, job_id: object) -> bool:
        return job_id in self._reports

    def __getitem__(self, job_id: str) -> FailureReport:
        return self._reports[job_id]

    def __len__(self) -> int:
        return len(self._reports)

    def __iter__(self) -> Iterator[str]:
        return iter(self._reports)

    def get(self, job_id: str) -> FailureReport | None:
        return self._reports.get(job_id)

    def items(self) -> list[tuple[str, FailureReport]]:
        return list(self._reports.items())

    def report(self, job: Job) -> FailureReport:
        """The job's report (a new, empty one if none is kept), now the most recently used."""
        report = self._reports.get(job.id)
        if report is None:
            report = self._reports[job.id] = FailureReport.for_job(job)
        return self.keep(job.id, report)

    def keep(self, job_id: str, report: FailureReport) -> FailureReport:
        """``report`` kept as the job's, the most recently used (a view showing it says so each time
        it draws); older reports are dropped while the totals are over their bounds."""
        self._reports[job_id] = report
        self._reports.move_to_end(job_id)
        self.settle()
        return report

    @property
    def rows(self) -> int:
        return sum(r.rows_kept for r in self._reports.values())

    @property
    def size(self) -> int:
        return sum(r.kept_bytes for r in self._reports.values())

    def settle(self) -> None:
        """Drop least recently used reports (never one being read, nor the last used) while over."""
        rows, size = self.rows, self.size
        for job_id in list(self._reports)[:-1]:
            if rows <= self.max_rows and size <= self.max_bytes:
                return
            report = self._reports[job_id]
            if report.reading:
                continue
            self._remember(job_id, report)
            del self._reports[job_id]
            self.dropped += 1
            rows -= report.rows_kept
            size -= report.kept_bytes

    def _remember(self, job_id: str, report: FailureReport) -> None:
        top = report.top()
        if top is not None:
            self._tops[job_id] = (top.code or top.message, top.count)
            self._tops.move_to_end(job_id)
            while len(self._tops) > MAX_TOPS:
                self._tops.popitem(last=False)

    def top_errors(self) -> dict[str, tuple[str, int]]:
        """Per job whose failures were read: its largest group's code and rows (kept or remembered)."""
        out = dict(self._tops)
        for job_id, report in self._reports.items():
            top = report.top()
            if top is not None:
                out[job_id] = (top.code or top.message, top.count)
        return out
