"""Everything a screen needs to draw, in one immutable value the app hands down after each change."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from ..bulk.models import Action, ApiUsage, Job, Limit
from ..monitor.board import Connection, SortMode, matches, order
from ..monitor.history import History
from .cells import Palette
from .widgets.status_bar import HeaderInfo


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

    def shown_jobs(self) -> list[Job]:
        return [job for job in order(self.jobs.values(), self.sort) if matches(job, self.filter)]

    def header(self, extra: str = "") -> HeaderInfo:
        level, trouble = self.connection.status(self.now, self.interval)
        last = self.connection.last_good
        updated = f"updated {last.astimezone().strftime('%H:%M:%S')}" if last else "connecting…"
        running = sum(1 for job in self.jobs.values() if not job.finished)
        if self.errors and not trouble:
            level, trouble = "stale", f"{len(self.errors)} job(s) could not be read; their rows show older values"
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
