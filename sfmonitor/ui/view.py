"""Everything a screen needs to draw, in one immutable value the app hands down after each change."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime

from ..bulk.models import Action, ApiUsage, Job, Limit
from ..monitor.board import Connection, SortMode
from ..monitor.history import History
from ..monitor.index import JobIndex
from ..monitor.spend import Budget, Spend
from ..numbers import short_count
from .cells import Palette
from .widgets.status_bar import HeaderInfo

MAX_ROWS = 1000  # a live table of a week's 20,000 jobs helps nobody and costs seconds a redraw


@dataclass(frozen=True)
class View:
    org: str
    jobs: dict[str, Job]
    history: History
    now: datetime
    palette: Palette
    connection: Connection
    interval: float
    usage: ApiUsage | None = None
    limits: dict[str, Limit] = field(default_factory=dict)
    pending: dict[str, Action] = field(default_factory=dict)
    sort: SortMode = SortMode.RUNNING
    filter: str = ""
    read_only: bool = False
    errors: dict[str, str] = field(default_factory=dict)  # jobs the last poll could not read
    target: str = ""  # where the org is (URL or sf alias), for "connecting to …"
    spend: Spend | None = None  # sfmonitor's own API calls
    interval_in_force: float | None = None  # the interval stretched for the API budget
    budget: Budget | None = None
    index: JobIndex | None = None  # order and filter of ``jobs`` (None: built here, for a one-off view)
    top_errors: dict[str, tuple[str, int]] = field(default_factory=dict)  # jobs whose failures were read

    def _index(self) -> JobIndex:
        if self.index is not None:
            return self.index
        index = JobIndex(self.sort, self.filter)
        index.update(self.jobs)
        return index

    def shown_jobs(self) -> tuple[list[Job], int]:
        """The rows to draw (at most MAX_ROWS: running ones always in) and how many matched."""
        ids, matching = self._index().shown(MAX_ROWS)
        return [self.jobs[job_id] for job_id in ids], matching

    def header(self, extra: str = "") -> HeaderInfo:
        level, trouble = self.connection.status(self.now, self.interval)
        last = self.connection.last_good
        if last:
            updated = f"updated {last.astimezone().strftime('%H:%M:%S')}"
        elif self.jobs:
            updated = f"reading the org: {len(self.jobs):,} jobs listed so far, not read yet…"
        else:
            updated = f"connecting to {self.target}…"
        running = len(self._index().running)
        unread = sum(1 for job_id in self.errors if job_id in self.jobs)
        if unread and not trouble:
            rows = (
                "1 job could not be read; its row is"
                if unread == 1
                else f"{unread} jobs could not be read; their rows are"
            )
            level, trouble = "stale", f"{rows} marked ! and faded (older values)"
        return HeaderInfo(
            org=self.org,
            usage=self.usage,
            batches=self.limits.get("DailyBulkApiBatches") or self.limits.get("DailyBulkApiRequests"),
            updated=updated,
            level=level,
            trouble=trouble,
            jobs=len(self.jobs),
            running=running,
            extra=extra,
            spend=self.spend_words(),
        )

    def spend_words(self) -> str:
        """sfmonitor's own calls: in the last hour and, at this pace, a day (share of the allowance);
        and the stretched interval when the API budget needs one."""
        if self.spend is None or self.spend.total == 0:
            return ""
        now = time.monotonic()
        words = f"mine {short_count(self.spend.last_hour(now))}/h"
        pace = self.spend.per_day(now)
        if pace is not None:
            words += f" ~{short_count(round(pace))}/day"
            if self.usage is not None and self.usage.max:
                words += f" ({pace / self.usage.max:.1%})"
        if self.budget is not None and self.interval_in_force and self.interval_in_force > self.interval:
            words += f" · every {self.interval_in_force:.0f}s for budget {self.budget}"
        return words
