"""What the dashboard shows, decided without Textual: order, filter, and the connection's state."""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Self

from ..bulk.models import Job
from ..numbers import ago
from .phase import ended


class Cycling(enum.Enum):
    """An enum whose ``next()`` steps through its members in order, round and round (a sort key)."""

    def next(self) -> Self:
        members = list(type(self))
        return members[(members.index(self) + 1) % len(members)]


class SortMode(Cycling):
    RUNNING = "running"
    NEWEST = "newest"
    FAILED = "failed"
    OBJECT = "object"
    ORG = "org"  # offered only when several orgs are watched


def _created(job: Job) -> float:
    return job.created_date.timestamp() if job.created_date else 0.0


def order(jobs: Iterable[Job], mode: SortMode, org: Callable[[Job], str] = lambda _: "") -> list[Job]:
    """Job order for a sort mode; ties fall back to newest first, then id, so the order is stable.
    ``org``: a job's org label (sort by org)."""
    items = sorted(jobs, key=lambda j: (-_created(j), j.id))
    if mode is SortMode.ORG:
        return sorted(items, key=lambda j: org(j).lower())
    if mode is SortMode.RUNNING:
        return sorted(items, key=ended)
    if mode is SortMode.FAILED:
        return sorted(items, key=lambda j: -(j.number_records_failed or 0))
    if mode is SortMode.OBJECT:
        return sorted(items, key=lambda j: j.object.lower())
    return items


def matches(job: Job, text: str, org: str = "") -> bool:
    """The filter: case-insensitive, over id, object, operation, state and API kind, and the org's
    label when several orgs are watched (``/prod``)."""
    needle = text.strip().lower()
    if not needle:
        return True
    haystack = " ".join((job.id, job.object, job.operation, job.state, job.kind.label, job.job_type, org)).lower()
    return needle in haystack


@dataclass(frozen=True)
class Connection:
    """How the last polls went, for the header."""

    last_good: datetime | None = None
    error: str | None = None  # the last poll's failure, in words
    failing_since: datetime | None = None
    paused: bool = False
    next_poll_in: float | None = None

    def status(self, now: datetime, interval: float) -> tuple[str, str]:
        """(level, words): level is "ok", "paused", "stale" or "offline"."""
        if self.paused:
            return "paused", "PAUSED (p resumes)"
        age = (now - self.last_good).total_seconds() if self.last_good else None
        if self.error:
            if age is None:
                return "offline", f"NOT CONNECTED: {self.error}"
            return "offline", f"OFFLINE (last good {ago(age)}): {self.error}"  # the age first: the end may be cut
        if age is not None and age > max(3 * interval, 30):
            return "stale", f"STALE: last good poll {ago(age)}"
        return "ok", ""
