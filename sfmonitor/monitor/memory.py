"""An org's jobs as the history file remembers them, kept apart from the jobs read from the org. No
Textual, no SQLite: the app hands over what the store read (store/reader.py, off the event loop).

The rules that live here:

- Before the org's first full listing, every remembered job the org has not brought yet is shown,
  marked as remembered with the age of the memory (when the org was last polled); each is replaced
  as the org brings that job (its first rows, then its first poll).
- After the first full listing, a remembered job the org no longer lists has *left the org* (its
  retention, 7 days after it ended): hidden, unless the operator asks for them (``H``).
- A remembered job is never counted as current (the header's running count, the totals) and never
  acted on: close and abort are refused with words (:meth:`refusal`).
- Jobs remembered as running are read first in the org's first poll (:meth:`to_read_first`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from ..bulk.models import Job
from ..numbers import ago
from .economy import read_on_arrival

RECALLED = 2000  # remembered jobs recalled per org at start (the newest)
READ_FIRST = 100  # of those remembered as running, the newest read ahead of the listing


@dataclass
class Memory:
    jobs: dict[str, Job] = field(default_factory=dict)  # remembered, by id, newest first
    polled_at: float | None = None  # when a recording process last polled the org (seconds since the epoch)
    seen: dict[str, float] = field(default_factory=dict)  # job id -> when its values last changed, as recorded

    def recall(self, jobs: Mapping[str, Job], polled_at: float | None, seen: Mapping[str, float] | None = None) -> bool:
        """What the history file remembers of the org arrived; True if there is any."""
        self.jobs = dict(jobs)
        self.polled_at = polled_at
        self.seen = dict(seen or {})
        return bool(self.jobs)

    def shown(self, current: Mapping[str, Job], *, listed: bool, left: bool) -> dict[str, Job]:
        """The remembered rows to show beside the org's ``current`` jobs: before its first full
        listing (``listed``), those it has not brought yet; after it, those it no longer lists, only
        when asked (``left``: H)."""
        if listed and not left:
            return {}
        return {job_id: job for job_id, job in self.jobs.items() if job_id not in current}

    def left(self, current: Mapping[str, Job]) -> int:
        """How many remembered jobs the org no longer lists (meaningful after its first full listing)."""
        return sum(1 for job_id in self.jobs if job_id not in current)

    def only(self, job_id: str, current: Mapping[str, Job]) -> Job | None:
        """The remembered job of this id when the org has not brought it (None: read, or not remembered)."""
        return None if job_id in current else self.jobs.get(job_id)

    def to_read_first(self) -> list[Job]:
        """The jobs remembered as live: read as the org's first poll starts, before its listing ends
        (the listing's own rule for a row read on arrival)."""
        live = (job for job in self.jobs.values() if read_on_arrival(job, first_cycle=True))
        return [job for job, _ in zip(live, range(READ_FIRST), strict=False)]  # the newest (the store's order)

    def age(self, now: float) -> str:
        """How old the memory is: ``3h12m ago`` (when the org was last polled)."""
        return ago(now - self.polled_at) if self.polled_at is not None else "at an unknown time"

    def as_of(self, job_id: str, *, listed: bool) -> float | None:
        """The moment a remembered row's values are of: the org's last poll, or (left the org) the
        job's last sight."""
        return self.seen.get(job_id) if listed else self.polled_at

    def words(self, job_id: str, now: float, *, listed: bool) -> str:
        """What a remembered row is: ``remembered 3h00m ago`` (the org's last poll) until the org's first
        full listing; then, for one it no longer lists, ``left the org, last changed 9d ago``."""
        if not listed:
            return f"remembered {self.age(now)}"
        seen = self.seen.get(job_id)
        return f"left the org, last changed {ago(now - seen)}" if seen is not None else "left the org (remembered)"

    def refusal(self, job_id: str, current: Mapping[str, Job], *, listed: bool) -> str | None:
        """Why nothing may be sent for a remembered job (None: the org has brought it, or it is not
        remembered): its values are the history file's, not the org's."""
        if self.only(job_id, current) is None:
            return None
        if listed:
            return f"job {job_id} has left the org: it is only remembered (history), nothing is sent for it"
        return f"job {job_id} is remembered from history, not read from the org yet: wait for its row to update"
