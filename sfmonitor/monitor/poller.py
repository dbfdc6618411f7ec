"""One poll cycle: what to read, what to skip, and what changed.

Economy: a job whose final state has been recorded is served from memory; a Bulk 1.0 batch list
is read only while its job is live, plus the once that records its final state.

Scale: jobs the listing already shows as finished (a week of history can hold tens of thousands)
are read at most ``backfill`` per cycle, newest first, so the first screen comes at once and no
cycle grows with the org's history; until read they show what the listing says.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Collection
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TypeVar

from ..bulk.errors import BulkError, NotFound
from ..bulk.models import ApiUsage, Job, JobKind
from ..bulk.retry import retrying
from ..bulk.service import BulkService

log = logging.getLogger(__name__)

T = TypeVar("T")
LIGHT_LISTING_PAGES = 4  # up to this many listing pages, list every cycle
MAX_CYCLES_BETWEEN_LISTINGS = 12  # a 20,000-job org: list once a minute at the 5 s interval


@dataclass(frozen=True)
class Snapshot:
    """The org's jobs after one cycle, newest first, and what could not be read."""

    jobs: dict[str, Job]
    api_usage: ApiUsage | None
    taken_at: datetime
    requests: int
    errors: dict[str, str] = field(default_factory=dict)
    backlog: int = 0  # finished jobs listed but not read yet


class Poller:
    """One org's poll cycles.

    ``backfill``: finished jobs read per cycle (None: all of them, as one ``status`` snapshot must).
    ``retry_delays``: a job read that fails transiently is tried again after each of these (the
    transport already repeats a failed GET once); what still fails is reported in ``errors``.
    """

    def __init__(
        self,
        service: BulkService,
        concurrency: int = 8,
        backfill: int | None = 200,
        retry_delays: tuple[float, ...] = (),
    ) -> None:
        self.service = service
        self.backfill = backfill
        self.retry_delays = retry_delays
        self.jobs: dict[str, Job] = {}
        self.final: set[str] = set()
        self.unread: set[str] = set()  # listed as finished, not read yet (the backfill's queue)
        self._since_listing = 0
        self._limit = asyncio.Semaphore(concurrency)

    def _due_for_listing(self) -> bool:
        """Re-list every cycle, except in an org whose listing takes many pages (a call each)."""
        pages = self.service.listing_pages
        every = 1 if pages <= LIGHT_LISTING_PAGES else min(MAX_CYCLES_BETWEEN_LISTINGS, pages // 2)
        return not self.jobs or self._since_listing + 1 >= every

    def _same_objects(self, listed: dict[str, Job]) -> dict[str, Job]:
        """Keep the object we already hold where the listing says nothing new (cheap redraws)."""
        out = {}
        for job_id, job in listed.items():
            known = self.jobs.get(job_id)
            if known is not None and job_id in self.unread and known.fields == job.fields:
                out[job_id] = known
            else:
                out[job_id] = job
        return out

    async def cycle(self, only: Collection[str] | None = None) -> Snapshot:
        """List the org's jobs and read every one that may still change.

        ``only`` restricts the cycle to those ids; ids the listing lacks are looked up directly.
        """
        before = self.service.transport.requests_made
        if only is not None or self._due_for_listing():
            listed = self._same_objects(await self.service.list_jobs())
            self._since_listing = 0
        else:  # a large org: between full listings, what we know stands in for the listing
            listed = dict(self.jobs)
            self._since_listing += 1
        if only is not None:
            wanted = list(dict.fromkeys(only))
            listed = {job_id: listed[job_id] for job_id in wanted if job_id in listed}
        errors: dict[str, str] = {}

        async def read(job_id: str, listed_job: Job | None) -> tuple[str, Job | None]:
            known = self.jobs.get(job_id)
            try:
                if listed_job is None:  # named, but not listed: look it up
                    return job_id, await self._retrying(lambda: self.service.find_job(job_id))
                # the last read with the listing's newer fields over it: read from, or shown if the read fails
                base = known.merged(listed_job) if known is not None else listed_job
                info = await self._retrying(lambda: self.service.refresh(base, with_batches=False))
            except NotFound as exc:
                errors[job_id] = str(exc)
                return job_id, None
            except BulkError as exc:
                errors[job_id] = str(exc)
                return job_id, base if listed_job is not None else known
            if info.kind is not JobKind.CLASSIC:
                return job_id, info
            try:
                batches = await self._retrying(lambda: self.service.batches(info))
            except BulkError as exc:  # the job info stands; its batch list is marked as not read
                errors[job_id] = f"batch list not read: {exc}"
                return job_id, info
            return job_id, info.with_batches(batches)

        to_read: list[tuple[str, Job | None]] = []
        backlog: list[tuple[str, Job]] = []
        for job_id, job in listed.items():
            if job_id in self.final:
                continue
            never_read = job_id not in self.jobs or job_id in self.unread
            if never_read and job.finished and only is None:
                backlog.append((job_id, job))
            else:
                to_read.append((job_id, job))
        backlog.sort(key=_newest_first)
        if self.backfill is None or len(backlog) <= self.backfill:
            budget = len(backlog)  # a small org (or one snapshot): all at once
        else:
            budget = self.backfill if self.jobs else 0  # the first screen waits for nothing finished
        to_read += backlog[:budget]
        unread = {job_id for job_id, _ in backlog[budget:]}
        self.unread = unread
        if only is not None:
            to_read += [(job_id, None) for job_id in only if job_id not in listed and job_id not in self.final]
        results = await asyncio.gather(*(read(job_id, job) for job_id, job in to_read))
        fresh = {job_id: job for job_id, job in results if job is not None}

        jobs: dict[str, Job] = {}
        ids = list(listed) + [job_id for job_id in (only or ()) if job_id not in listed]
        for job_id in ids:
            current = fresh.get(job_id) or (self.jobs.get(job_id) if job_id in self.final else None)
            if current is None and job_id in unread:
                current = listed[job_id]  # not read yet: what the listing says
            if current is None:
                continue
            jobs[job_id] = current
            if job_id not in errors and current.finished and job_id not in unread:
                self.final.add(job_id)
        if only is None:
            self.final &= set(jobs)  # jobs the org deleted are forgotten
        self.jobs = dict(sorted(jobs.items(), key=_newest_first))
        return Snapshot(
            jobs=self.jobs,
            api_usage=self.service.transport.api_usage,
            taken_at=datetime.now(UTC),
            requests=self.service.transport.requests_made - before,
            errors=errors,
            backlog=len(unread),
        )

    async def _retrying(self, call: Callable[[], Awaitable[T]]) -> T:
        """``call()`` within the concurrency limit, retried after ``retry_delays`` (outside the limit)."""

        async def limited() -> T:
            async with self._limit:
                return await call()

        return await retrying(limited, self.retry_delays, "job read")


def _newest_first(item: tuple[str, Job]) -> tuple[float, str]:
    created = item[1].created_date
    return (-(created.timestamp() if created else 0.0), item[0])
