"""One look at an org, for ``sfmonitor status``: every job listed (or the ones named), each read once.

Unlike the dashboard's :class:`Poller` there is no next cycle to save calls for: every job is read
(its info, and a Bulk 1.0 job's batch list), so each phase is known unless its read failed. A read
that fails transiently is tried again after each of ``retry_delays``; what still fails is reported
in ``errors`` and the job keeps the listing's values (a Bulk 1.0 job's phase is then unknown). A
named job the listings lack is looked up by id; one the org does not have is in ``errors`` and
``missing``; one whose lookup failed only in ``errors`` (the org could not say whether it has it).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime
from typing import TypeVar

from ..bulk.errors import BulkError, NotFound
from ..bulk.models import Job, JobKind
from ..bulk.retry import retrying
from ..bulk.service import BulkService
from .poller import Snapshot, newest_first

T = TypeVar("T")


async def read_snapshot(
    service: BulkService,
    only: Sequence[str] | None = None,
    *,
    concurrency: int = 8,
    retry_delays: tuple[float, ...] = (),
) -> Snapshot:
    """The org's jobs (``only``: those ids), newest first, each read once. A failed listing raises."""
    before = service.transport.requests_made
    limit = asyncio.Semaphore(concurrency)
    listed = await service.list_jobs()
    wanted = list(listed) if only is None else list(dict.fromkeys(only))
    errors: dict[str, str] = {}
    missing: set[str] = set()

    async def call(make: Callable[[], Awaitable[T]]) -> T:
        async def limited() -> T:
            async with limit:
                return await make()

        return await retrying(limited, retry_delays, "job read")

    async def read(job_id: str) -> Job | None:
        row = listed.get(job_id)
        try:
            if row is None:  # named, not listed: look it up (its batch list comes with it)
                return await call(lambda: service.find_job(job_id))
            info = await call(lambda: service.refresh(row, with_batches=False))
        except NotFound as exc:
            errors[job_id] = str(exc)
            missing.add(job_id)
            return None
        except BulkError as exc:
            errors[job_id] = str(exc)
            return row
        if info.kind is not JobKind.CLASSIC:
            return info
        try:
            return info.with_batches(await call(lambda: service.batches(info)))
        except BulkError as exc:  # the job info stands; its batch list is marked as not read
            errors[job_id] = f"batch list not read: {exc}"
            return info

    results = await asyncio.gather(*(read(job_id) for job_id in wanted))
    jobs = {job_id: job for job_id, job in zip(wanted, results, strict=True) if job is not None}
    return Snapshot(
        jobs=dict(sorted(jobs.items(), key=newest_first)),
        api_usage=service.transport.api_usage,
        taken_at=datetime.now(UTC),
        requests=service.transport.requests_made - before,
        errors=errors,
        read=frozenset(job_id for job_id in jobs if job_id not in errors),
        missing=frozenset(missing),
    )
