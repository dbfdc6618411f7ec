"""One poll cycle: what to read, what to skip, and what changed.

Economy: a job whose final state has been recorded is served from memory; which live jobs and
batch lists a cycle reads is decided in :mod:`economy`.

Scale: jobs the listing already shows as finished (a week of history can hold tens of thousands)
are read at most ``backfill`` per cycle, newest first, so the first screen comes at once and no
cycle grows with the org's history, and only as far as the API budget's spare allows (a cycle's
``backfill`` allowance, Schedule.backfill); until read they show what the listing says. In the first cycle
a job a listing page shows as live is read as that page arrives (reads are let in newest job first),
and ``on_progress`` is told of the rows so far (listed, with those reads over them): the org's work
is on screen with its counts before a long listing ends.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Collection
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from typing import TypeVar

from ..bulk.errors import BulkError, NotAnId, NotFound
from ..bulk.models import ApiUsage, Job, JobKind
from ..bulk.retry import retrying
from ..bulk.service import BulkService
from .economy import LISTINGS, Track, batch_counters, batch_view, batches_due, listings_due, read_due, read_on_arrival
from .gate import Gate

log = logging.getLogger(__name__)

T = TypeVar("T")

BACKFILL = 200  # finished jobs read per cycle; a backlog no bigger is read at once (a small org)
FIRST_ROWS = 1000  # the first cycle shows every row of its first pages up to this many (a table), then live rows
FIRST_ROWS_EVERY_S = 0.15  # the first cycle's rows so far are told at most this often (each redraws the table)


@dataclass(frozen=True)
class Snapshot:
    """The org's jobs after one cycle, newest first, and what could not be read."""

    jobs: dict[str, Job]
    api_usage: ApiUsage | None
    taken_at: datetime
    requests: int
    errors: dict[str, str] = field(default_factory=dict)
    backlog: int = 0  # finished jobs listed but not read yet
    deferred: int = 0  # of those, held back by the API budget's allowance (Schedule.backfill), not the cap
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
        self._limit = Gate(concurrency)

    def _listings_due(self, cycle: int) -> tuple[JobKind, ...]:
        live = ((self.tracks.get(job_id), job) for job_id, job in self.jobs.items() if job_id not in self.final
                and job_id not in self.unread)  # fmt: skip
        return listings_due(cycle, self._listed_at, self.service.pages, live)

    async def _list(
        self, kinds: tuple[JobKind, ...], cycle: int, on_page: Callable[[list[Job]], None] | None = None
    ) -> dict[str, Job]:
        """The rows of these listings, merged by id; each job remembers which listings show it. The
        listings are read side by side (a long ingest history does not hold up the query jobs), and
        each page is taken in as it arrives (while the next is on its way, not 20,000 rows at the end)."""
        rows: dict[str, Job] = {}

        def take(kind: JobKind, page: list[Job]) -> None:
            for job in page:
                held = rows.get(job.id)  # a Bulk 1.0 job is in both: the later listing's fields over the earlier's
                row = job if held is None else held.merged(job) if kind is kinds[-1] else job.merged(held)
                track = self.tracks.get(job.id)
                if track is None:
                    track = self.tracks[job.id] = Track()
                track.seen_in.add(kind)
                before = track.listed  # the row object we hold, where the listing says nothing new (cheap redraws)
                rows[job.id] = before if before is not None and before.fields == row.fields else row
            if on_page is not None:
                on_page(page)

        tasks = [asyncio.create_task(self.service.list_jobs((kind,), partial(take, kind))) for kind in kinds]
        try:
            await asyncio.gather(*tasks)
        except BaseException:  # one failed: the other is not left running
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            raise
        for kind in kinds:
            self._listed_at[kind] = cycle
        return rows

    def _gone(self, job_id: str, job: Job, kinds: tuple[JobKind, ...]) -> bool:
        """Absent from this cycle's listings, and every listing that could show it was read."""
        track = self.tracks.get(job_id)
        if job.kind is JobKind.CLASSIC:
            could = track.seen_in if track and track.seen_in else set(LISTINGS)
        else:
            could = {job.kind}
        return could <= set(kinds)

    async def cycle(
        self,
        watch: Collection[str] = (),
        full: bool = False,
        on_progress: Callable[[dict[str, Job]], None] | None = None,
        look: bool = False,
        backfill: int | None = None,
        first_reads: Collection[Job] = (),
    ) -> Snapshot:
        """List the org's jobs and read every one that may have changed (see :mod:`economy`).

        ``watch``: jobs whose detail is open, read in full every cycle. ``full``:
        both listings and every live job (the operator asked for a refresh). ``on_progress``: in the
        org's first cycle, handed the rows so far (see :class:`FirstRows`) as live jobs are listed
        and read (a first screen need not wait for a whole org).
        ``look``: both listings, whatever the economy says (an idle org's poll: it is for new jobs).
        ``backfill``: finished jobs not read yet that the API budget lets this cycle read, within the
        poller's own cap (None: no budget limit; see Schedule.backfill).
        ``first_reads``: in the org's first cycle, jobs to read at once, before the listing's first
        page (the jobs the history file remembers as running); one the listing then lacks is left out.
        """
        before = self.service.transport.requests_made
        self.cycles += 1
        cycle = self.cycles
        first = not self.jobs
        kinds = LISTINGS if full or look or first else self._listings_due(cycle)
        errors: dict[str, str] = {}
        failures: list[BulkError] = []
        watched = set(watch)
        progress = FirstRows(on_progress) if first and on_progress is not None else None
        ahead = {job.id: job for job in first_reads} if first else {}  # read before the listing

        async def read(job_id: str, listed_job: Job, early: bool = False) -> tuple[str, Job | None]:
            """``early``: a job read as its page arrived. A Bulk 1.0 job's info is shown at once, its
            batch list read once the listing has ended and every job read early has its info (the
            counts first: a 15,000-batch list is a long answer, and the listing the long pole)."""
            known = self.jobs.get(job_id)
            track = self.tracks.setdefault(job_id, Track())
            # the last read with the listing's newer fields over it: read from, or shown if the read fails
            base = known.merged(listed_job) if known is not None else listed_job
            try:
                info = await self._retrying(lambda: self.service.refresh(base, with_batches=False), base)
            except NotFound as exc:
                errors[job_id] = str(exc)
                if early:
                    counted(job_id, None)
                return job_id, None
            except BulkError as exc:
                errors[job_id] = str(exc)
                if not isinstance(exc, NotAnId):  # never asked: says nothing of whether the org answers
                    failures.append(exc)
                if early:
                    counted(job_id, None if job_id in ahead else base)  # never the memory's values as read
                return job_id, base
            track.read_at(cycle, self.clock(), info)
            if early:
                counted(job_id, info)
            if not batches_due(track, info, watched=job_id in watched):
                return job_id, info
            if early:  # its batch list after every early job's counts
                await counts_in.wait()
            try:
                batches = await self._retrying(lambda: self.service.batches(info), info)
            except BulkError as exc:  # the job info stands; its batch list is marked as not read
                errors[job_id] = f"batch list not read: {exc}"
                return job_id, info
            track.batch_counters = batch_counters(info)
            track.batch_view = batch_view(batches, self.clock(), track.batch_view)
            return job_id, info.with_batches(batches)

        async def read_early(job_id: str, listed_job: Job) -> tuple[str, Job | None]:
            job_id, job = await read(job_id, listed_job, early=True)
            if job is not None and job is ahead.get(job_id):  # not read: the memory's values are never a read row
                return job_id, job
            if progress is not None and job is not None:
                progress.read(job_id, job)  # a Bulk 1.0 job with its batch list
            return job_id, job

        early: dict[str, asyncio.Task[tuple[str, Job | None]]] = {}  # live jobs read as their page arrived
        awaiting_info: set[str] = set()  # jobs read early whose info has not answered yet
        counts_in = asyncio.Event()  # the listing has ended and every job read early has its info
        listing_done = False

        def counted(job_id: str, job: Job | None) -> None:
            """An early job's info answered (``job``; None: the org does not have it)."""
            if progress is not None and job is not None:
                progress.read(job_id, job)
            awaiting_info.discard(job_id)
            if listing_done and not awaiting_info:
                all_counted()

        def all_counted() -> None:
            counts_in.set()
            if progress is not None:
                progress.now()  # the moment the first screen is whole: told at once

        def page_arrived(page: list[Job]) -> None:
            live = False
            for job in page:
                if read_on_arrival(job, first_cycle=first) and job.id not in early:
                    awaiting_info.add(job.id)
                    early[job.id] = asyncio.create_task(read_early(job.id, job))
                    live = True
            if progress is not None:
                progress.listed(page, live)

        for job_id, job in ahead.items():
            awaiting_info.add(job_id)
            early[job_id] = asyncio.create_task(read_early(job_id, job))
        try:
            rows = await self._list(kinds, cycle, page_arrived)
        except BaseException:  # the cycle fails: the reads it started go with it
            if progress is not None:
                progress.close()
            for task in early.values():
                task.cancel()
            await asyncio.gather(*early.values(), return_exceptions=True)
            raise
        listing_done = True
        if not awaiting_info:
            all_counted()
        listed = dict(rows)
        for job_id, known in self.jobs.items():  # a listing not read this cycle: what we know stands in
            if job_id not in listed and not self._gone(job_id, known, kinds):
                listed[job_id] = known

        to_read: list[tuple[str, Job]] = []
        backlog: list[tuple[str, Job]] = []
        now = self.clock()
        for job_id, job in listed.items():
            if job_id in self.final or job_id in early:
                continue
            never_read = job_id not in self.jobs or job_id in self.unread
            if never_read and job.finished and job_id not in watched:  # the job open in detail is never history
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
        backlog.sort(key=newest_first)
        if self.backfill is None or len(backlog) <= max(self.backfill, BACKFILL):
            budget = len(backlog)  # a small org (or one snapshot): all at once
        else:
            budget = self.backfill if self.jobs else 0  # the first screen waits for nothing finished
        deferred = 0
        if backfill is not None and backfill < budget:  # history is read from the budget's spare only
            deferred, budget = budget - max(0, backfill), max(0, backfill)
        to_read += backlog[:budget]
        unread = {job_id for job_id, _ in backlog[budget:]}
        self.unread = unread
        try:
            results = await asyncio.gather(*early.values(), *(read(job_id, job) for job_id, job in to_read))
        finally:
            if progress is not None:
                progress.close()
        if not kinds and results and len(failures) == len(results):
            raise failures[0]  # no listing this cycle and not one read answered: the org is not reachable
        for job_id in ahead.keys() - listed.keys():  # read ahead, and not listed: not the org's (now)
            errors.pop(job_id, None)
        fresh = {job_id: job for job_id, job in results if job is not None}
        for job_id in ahead.keys() & errors.keys() & listed.keys():  # its read failed: the listing's row
            fresh[job_id] = listed[job_id]
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
            if job_id not in errors and current.finished and not current.still_moving and job_id not in unread:
                self.final.add(job_id)
        self.final &= set(jobs)  # jobs the org deleted are forgotten
        for gone in self.tracks.keys() - jobs.keys():
            del self.tracks[gone]
        if jobs.keys() == self.jobs.keys():  # the same jobs: the same order (no sort of the org per cycle)
            self.jobs = {job_id: jobs[job_id] for job_id in self.jobs}
        else:
            self.jobs = dict(sorted(jobs.items(), key=newest_first))
        return Snapshot(
            jobs=self.jobs,
            api_usage=self.service.transport.api_usage,
            taken_at=datetime.now(UTC),
            requests=self.service.transport.requests_made - before,
            errors=errors,
            backlog=len(unread),
            deferred=deferred,
            read=frozenset(job_id for job_id in fresh if job_id not in errors),
        )

    async def _retrying(self, call: Callable[[], Awaitable[T]], job: Job) -> T:
        """``call()`` within the concurrency limit, retried after ``retry_delays`` (outside the limit).
        The reads of newer jobs are let in first (the likeliest running)."""

        async def limited() -> T:
            async with self._limit.held(_age(job)):
                return await call()

        return await retrying(limited, self.retry_delays, "job read")


class FirstRows:
    """The first cycle's rows as they come, for ``on_progress``: the rows of the first pages (a
    table's worth, ``FIRST_ROWS``), then each live row listed, with the reads made so far over them
    (the finished history of the pages between comes with the cycle's snapshot: taken in here, each
    20,000-row update would hold the screen ~0.1 s just as the live jobs' counts arrive). Told after
    the first page, then of a page that lists a live job and of each read, at most every ``every``
    seconds (each redraws a table; one due sooner waits, with whatever else came meanwhile)."""

    def __init__(
        self, report: Callable[[dict[str, Job]], None], every: float = FIRST_ROWS_EVERY_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:  # fmt: skip
        self._report = report
        self._every = every
        self._clock = clock
        self._listed: dict[str, Job] = {}
        self._read: dict[str, Job] = {}
        self._told_at: float | None = None
        self._due: asyncio.TimerHandle | None = None

    def listed(self, page: list[Job], live: bool) -> None:
        first = not self._listed
        every_row = len(self._listed) < FIRST_ROWS
        for job in page:
            held = self._listed.get(job.id)
            if held is not None:
                self._listed[job.id] = held.merged(job)
            elif every_row or not job.finished:
                self._listed[job.id] = job
        if first or live:
            self._changed()

    def read(self, job_id: str, job: Job) -> None:
        if self._read.get(job_id) is not job:
            self._read[job_id] = job
            self._changed()

    def now(self) -> None:
        """Tell what is held at once (the listing is over and every live job's counts are in)."""
        self.close()
        self._tell()

    def close(self) -> None:
        """The cycle ended: its snapshot has it all, nothing more is told."""
        if self._due is not None:
            self._due.cancel()
            self._due = None

    def _changed(self) -> None:
        if self._due is not None:
            return  # told when due, with this too
        wait = 0.0 if self._told_at is None else self._told_at + self._every - self._clock()
        if wait <= 0:
            self._tell()
        else:
            self._due = asyncio.get_running_loop().call_later(wait, self._tell)

    def _tell(self) -> None:
        self._due = None
        self._told_at = self._clock()
        self._report({**self._listed, **self._read})


def _age(job: Job) -> float:
    """Lower for a newer job (a job with no creation date counts as the oldest)."""
    return -(job.created_date.timestamp() if job.created_date else 0.0)


def newest_first(item: tuple[str, Job]) -> tuple[float, str]:
    return (_age(item[1]), item[0])
