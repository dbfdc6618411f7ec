"""The jobs in the chosen order, which ones match the filter, and which ones run: kept up to date
from the jobs that changed since the last poll, not re-sorted over the whole org per redraw.

At 20,000 jobs a full sort and filter cost ~100 ms of the main thread per poll; a steady poll
changes a handful of jobs, each moved with a bisect.
"""

from __future__ import annotations

import bisect
import time
from collections.abc import Callable, Mapping
from typing import Any

from ..bulk.models import Job
from .board import SortMode, matches
from .phase import ended

REBUILD_SHARE = 0.25  # more than this share of the jobs changed: sort from scratch
RECENT_S = 86400.0  # jobs created within this are kept apart, for the totals of the last hour and today


def sort_key(job: Job, mode: SortMode, key: str, org: str = "") -> tuple[Any, ...]:
    """The order of :func:`board.order`, as one key: the mode's key, then newest first, then the
    row's key (the job id, org-qualified when several orgs are watched), last."""
    newest = -(job.created_date.timestamp() if job.created_date else 0.0)
    if mode is SortMode.RUNNING:
        return (ended(job), newest, key)
    if mode is SortMode.FAILED:
        return (-(job.number_records_failed or 0), newest, key)
    if mode is SortMode.OBJECT:
        return (job.object.lower(), newest, key)
    if mode is SortMode.ORG:
        return (org.lower(), newest, key)
    return (newest, key)


class JobIndex:
    """Rows by key (a job id; with several orgs, the org's key and the job id). ``org``: the org
    label of a row key, which the filter matches and the org sort orders by (None: one org)."""

    def __init__(
        self,
        sort: SortMode = SortMode.RUNNING,
        text: str = "",
        org: Callable[[str], str] | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.sort = sort
        self.text = text
        self.org = org
        self.jobs: Mapping[str, Job] = {}
        self.running: set[str] = set()  # rows not ended (their phase running, waiting or unknown)
        self.matching: set[str] = set()
        self.recent: dict[str, Job] = {}  # jobs created in the last day (when last seen): the totals' jobs
        self.remembered: set[str] = set()  # rows of remembered jobs (history), never running nor in the totals
        self.clock = clock  # for which jobs are of the last day
        self._keys: dict[str, tuple[Any, ...]] = {}
        self._ordered: list[tuple[Any, ...]] = []

    def update(self, jobs: Mapping[str, Job]) -> None:
        """Take the jobs as they are now; only those that changed (by identity) are moved."""
        changed = [job_id for job_id, job in jobs.items() if self.jobs.get(job_id) is not job]
        gone = [job_id for job_id in self._keys if job_id not in jobs]
        self.apply(jobs, changed, gone)

    def apply(self, jobs: Mapping[str, Job], changed: list[str], gone: list[str]) -> None:
        """Take the jobs as they are now, told which rows changed and which left (one org's poll
        among several: the other orgs' rows are not even looked at)."""
        self.jobs = jobs
        if len(changed) + len(gone) > REBUILD_SHARE * max(1, len(jobs)):
            self._rebuild()
            return
        for job_id in gone:
            self._remove(job_id)
            self.running.discard(job_id)
            self.matching.discard(job_id)
            self.recent.pop(job_id, None)
        for job_id in changed:
            job = jobs[job_id]
            self._remove(job_id)
            key = self._key(job_id, job)
            self._keys[job_id] = key
            bisect.insort(self._ordered, key)
            self._classify(job_id, job)

    def set_sort(self, mode: SortMode) -> None:
        if mode is not self.sort:
            self.sort = mode
            self._rebuild()

    def set_filter(self, text: str) -> None:
        if text == self.text:
            return
        before, needle = self.text.strip().lower(), text.strip().lower()
        # typing on narrows: a job matching the longer text matched the shorter one
        pool = self.matching if before and before in needle else self.jobs.keys()
        self.text = text
        self.matching = {job_id for job_id in pool if self._matches(job_id, self.jobs[job_id])}

    def shown(self, limit: int) -> tuple[list[str], int]:
        """Ids to draw in order (at most ``limit``, running ones always included) and how many match."""
        matching = len(self.matching)
        running = len(self.running & self.matching)
        room = max(0, limit - running) if matching > limit else matching  # for finished jobs
        ids: list[str] = []
        for key in self._ordered:
            if room <= 0 and running <= 0:
                break
            job_id = key[-1]
            if job_id not in self.matching:
                continue
            if job_id in self.running:
                ids.append(job_id)
                running -= 1
            elif room > 0:
                ids.append(job_id)
                room -= 1
        return ids, matching

    def _rebuild(self) -> None:
        self._keys = {job_id: self._key(job_id, job) for job_id, job in self.jobs.items()}
        self._ordered = sorted(self._keys.values())
        current = [(job_id, job) for job_id, job in self.jobs.items() if job_id not in self.remembered]
        self.running = {job_id for job_id, job in current if not ended(job)}
        self.matching = {job_id for job_id, job in self.jobs.items() if self._matches(job_id, job)}
        since = self.clock() - RECENT_S
        self.recent = {job_id: job for job_id, job in current
                       if job.created_date is not None and job.created_date.timestamp() >= since}  # fmt: skip

    def _key(self, row: str, job: Job) -> tuple[Any, ...]:
        return sort_key(job, self.sort, row, self.org(row) if self.org and self.sort is SortMode.ORG else "")

    def _matches(self, row: str, job: Job) -> bool:
        return matches(job, self.text, self.org(row) if self.org else "")

    def _remove(self, job_id: str) -> None:
        key = self._keys.pop(job_id, None)
        if key is not None:
            at = bisect.bisect_left(self._ordered, key)
            if at < len(self._ordered) and self._ordered[at] == key:
                del self._ordered[at]

    def _classify(self, row: str, job: Job) -> None:
        memory = row in self.remembered
        (self.running.discard if ended(job) or memory else self.running.add)(row)
        (self.matching.add if self._matches(row, job) else self.matching.discard)(row)
        created = job.created_date.timestamp() if job.created_date else None
        if created is not None and created >= self.clock() - RECENT_S and not memory:
            self.recent[row] = job
        else:
            self.recent.pop(row, None)
