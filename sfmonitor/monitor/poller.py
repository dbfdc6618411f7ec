"""One poll cycle: what to read, what to skip, and what changed.

Economy: a job whose final state has been recorded is served from memory; which live jobs and
batch lists a cycle reads is decided in :mod:`economy`.

Scale: jobs the listing already shows as finished (a week of history can hold tens of thousands)
are read at most ``backfill`` per cycle, newest first, so the first screen comes at once and no
cycle grows with the org's history; until read they show what the listing says.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Collection
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TypeVar

from ..bulk.errors import BulkError, NotAnId, NotFound
from ..bulk.models import ApiUsage, Job, JobKind
from ..bulk.retry import retrying
from ..bulk.service import BulkService
from .economy import LISTINGS, Track, batch_counters, batch_view, batches_due, listings_due, read_due

log = logging.getLogger(__name__)

T = TypeVar("T")

BACKFILL = 200  # finished jobs read per cycle; a backlog no bigger is read at once (a small org)


@dataclass(frozen=True)
class Snapshot:
    """The org's jobs after one cycle, newest first, and what could not be read."""

    jobs: dict[str, Job]
    api_usage: ApiUsage | None
    taken_at: datetime
    requests: int
    errors: dict[str, str] = field(default_factory=dict)
    backlog: int = 0  # finished jobs listed but not read yet
    read: frozenset[str] = frozenset()  # jobs whose info this cycle read (the others are as last read)
    missing: frozenset[str] = frozenset()  # jobs named by id that the org said it does not have


class Poller:
    """One org's poll cycles.

    ``backfill``: finished jobs read per cycle (None: all of them).
    ``retry_delays``: a job read that fails transiently is tried again after each of these (the
    transport already repeats a failed GET once); what still fails is reported in ``errors``.
    """

    def __init__(
        self,
        service: BulkService,
        concurrency: int = 8,
        backfill: int | None = BACKFILL,
        retry_delays: tuple[float, ...] = (),
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.service = service
        self.clock = clock
        self.backfill = backfill
        self.retry_delays = retry_delays
        self.jobs: dict[str, Job] = {}
        self.final: set[str] = set()
        self.unread: set[str] = set()  # listed as finished, not read yet (the backfill's queue)
        self.failed: set[str] = set()  # jobs whose last read failed: read again each cycle until one answers
        self.tracks: dict[str, Track] = {}
        self.cycles = 0
        self._listed_at: dict[JobKind, int] = {}  # listing -> the cycle that last read it
        self._limit = asyncio.Semaphore(concurrency)

    def _listings_due(self, cycle: int) -> tuple[JobKind, ...]:
        live = ((self.tracks.get(job_id), job) for job_id, job in self.jobs.items() if job_id not in self.final
                and job_id not in self.unread)  # fmt: skip
        return listings_due(cycle, self._listed_at, self.service.pages, live)

    async def _list(
        self, kinds: tuple[JobKind, ...], cycle: int, on_page: Callable[[dict[str, Job]], None] | None = None
    ) -> dict[str, Job]:
        """The rows of these listings, merged by id; each job remembers which listings show it."""
        rows: dict[str, Job] = {}
        for kind in kinds:
            for job_id, job in (await self.service.list_jobs((kind,), on_page)).items():
                rows[job_id] = rows[job_id].merged(job) if job_id in rows else job
                self.tracks.setdefault(job_id, Track()).seen_in.add(kind)
            self._listed_at[kind] = cycle
        return self._same_objects(rows)

    def _gone(self, job_id: str, job: Job, kinds: tuple[JobKind, ...]) -> bool:
        """Absent from this cycle's listings, and every listing that could show it was read."""
        track = self.tracks.get(job_id)
        if job.kind is JobKind.CLASSIC:
            could = track.seen_in if track and track.seen_in else set(LISTINGS)
        else:
            could = {job.kind}
        return could <= set(kinds)

    def _same_objects(self, listed: dict[str, Job]) -> dict[str, Job]:
        """Keep the row object we already hold where the listing says nothing new (cheap redraws)."""
        out = {}
        for job_id, job in listed.items():
            track = self.tracks.get(job_id)
            before = track.listed if track is not None else None
            out[job_id] = before if before is not None and before.fields == job.fields else job
        return out

    async def cycle(
        self,
        watch: Collection[str] = (),
        full: bool = False,
        on_page: Callable[[dict[str, Job]], None] | None = None,
        look: bool = False,
    ) -> Snapshot:
        """List the org's jobs and read every one that may have changed (see :mod:`economy`).

        ``watch``: jobs whose detail is open, read in full every cycle. ``full``:
        both listings and every live job (the operator asked for a refresh). ``on_page``: handed the
        rows listed so far after each listing page (a first screen need not wait for a whole org).
        ``look``: both listings, whatever the economy says (an idle org's poll: it is for new jobs).
        """
        before = self.service.transport.requests_made
        self.cycles += 1
        cycle = self.cycles
        kinds = LISTINGS if full or look or not self.jobs else self._listings_due(cycle)
        rows = await self._list(kinds, cycle, on_page)
        listed = dict(rows)
        for job_id, known in self.jobs.items():  # a listing not read this cycle: what we know stands in
            if job_id not in listed and not self._gone(job_id, known, kinds):
                listed[job_id] = known
        errors: dict[str, str] = {}
        failures: list[BulkError] = []
        watched = set(watch)

        async def read(job_id: str, listed_job: Job) -> tuple[str, Job | None]:
            known = self.jobs.get(job_id)
            track = self.tracks.setdefault(job_id, Track())
            try:
                # the last read with the listing's newer fields over it: read from, or shown if the read fails
                base = known.merged(listed_job) if known is not None else listed_job
                info = await self._retrying(lambda: self.service.refresh(base, with_batches=False))
            except NotFound as exc:
                errors[job_id] = str(exc)
                return job_id, None
            except BulkError as exc:
                errors[job_id] = str(exc)
                if not isinstance(exc, NotAnId):  # never asked: says nothing of whether the org answers
                    failures.append(exc)
                return job_id, base
            track.read_at(cycle, self.clock(), info)
            if not batches_due(track, info, watched=job_id in watched):
                return job_id, info
            try:
                batches = await self._retrying(lambda: self.service.batches(info))
            except BulkError as exc:  # the job info stands; its batch list is marked as not read
                errors[job_id] = f"batch list not read: {exc}"
                return job_id, info
            track.batch_counters = batch_counters(info)
            track.batch_view = batch_view(batches, self.clock(), track.batch_view)
            return job_id, info.with_batches(batches)

        to_read: list[tuple[str, Job]] = []
        backlog: list[tuple[str, Job]] = []
        now = self.clock()
        for job_id, job in listed.items():
            if job_id in self.final:
                continue
            never_read = job_id not in self.jobs or job_id in self.unread
            if never_read and job.finished:
                backlog.append((job_id, job))
            elif (
                full
                or job_id in self.failed
                or read_due(
                    self.tracks.get(job_id),
                    job,
                    cycle,
                    listing_fresh=job_id in rows,
                    watched=job_id in watched,
                    now=now,
                )
            ):
                to_read.append((job_id, job))
        backlog.sort(key=_newest_first)
        if self.backfill is None or len(backlog) <= max(self.backfill, BACKFILL):
            budget = len(backlog)  # a small org (or one snapshot): all at once
        else:
            budget = self.backfill if self.jobs else 0  # the first screen waits for nothing finished
        to_read += backlog[:budget]
        unread = {job_id for job_id, _ in backlog[budget:]}
        self.unread = unread
        results = await asyncio.gather(*(read(job_id, job) for job_id, job in to_read))
        if not kinds and to_read and len(failures) == len(to_read):
            raise failures[0]  # no listing this cycle and not one read answered: the org is not reachable
        fresh = {job_id: job for job_id, job in results if job is not None}
        # a failed read is tried again next cycle, whatever the economy says: the job stays marked
        # unread (with the latest reason) until a read answers, never unmarked by not being read
        self.failed = set(errors)

        jobs: dict[str, Job] = {}
        for job_id in listed:
            current = fresh.get(job_id)
            if current is None and job_id not in errors:
                current = self.jobs.get(job_id) if job_id not in unread else listed.get(job_id)
            if current is None:
                continue
            jobs[job_id] = current
            if job_id in rows:
                self.tracks.setdefault(job_id, Track()).listed = rows[job_id]
            if job_id not in errors and current.finished and job_id not in unread:
                self.final.add(job_id)
        self.final &= set(jobs)  # jobs the org deleted are forgotten
        for gone in self.tracks.keys() - jobs.keys():
            del self.tracks[gone]
        if jobs.keys() == self.jobs.keys():  # the same jobs: the same order (no sort of the org per cycle)
            self.jobs = {job_id: jobs[job_id] for job_id in self.jobs}
        else:
            self.jobs = dict(sorted(jobs.items(), key=_newest_first))
        return Snapshot(
            jobs=self.jobs,
            api_usage=self.service.transport.api_usage,
            taken_at=datetime.now(UTC),
            requests=self.service.transport.requests_made - before,
            errors=errors,
            backlog=len(unread),
            read=frozenset(job_id for job_id in fresh if job_id not in errors),
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
