"""Everything a screen needs to draw, in one immutable value the app hands down after each change."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from ..bulk.models import Action, ApiUsage, Job, Limit
from ..monitor.board import Connection, SortMode, matches, order
from ..monitor.history import History
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

    def matching_jobs(self) -> list[Job]:
        """Every job the filter lets through, in the chosen order."""
        return [job for job in order(self.jobs.values(), self.sort) if matches(job, self.filter)]

    def shown_jobs(self) -> tuple[list[Job], int]:
        """The rows to draw (at most MAX_ROWS: running ones always first) and how many matched."""
        matching = self.matching_jobs()
        if len(matching) <= MAX_ROWS:
            return matching, len(matching)
        running = [job for job in matching if not job.finished]
        rest = [job for job in matching if job.finished][: max(0, MAX_ROWS - len(running))]
        keep = {job.id for job in running + rest}
        return [job for job in matching if job.id in keep], len(matching)

    def header(self, extra: str = "") -> HeaderInfo:
        level, trouble = self.connection.status(self.now, self.interval)
        last = self.connection.last_good
        updated = f"updated {last.astimezone().strftime('%H:%M:%S')}" if last else f"connecting to {self.target}…"
        running = sum(1 for job in self.jobs.values() if not job.finished)
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
        )
