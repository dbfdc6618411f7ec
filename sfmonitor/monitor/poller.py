"""One poll cycle: what to read, what to skip, and what changed.

Economy (issue: a finished job is never polled again): a job whose final state has been
recorded is served from memory; a Bulk 1.0 batch list is read only while its job is live, plus
the once that records its final state.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import UTC, datetime

from ..bulk.errors import BulkError, NotFound
from ..bulk.models import ApiUsage, Job
from ..bulk.service import BulkService

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Snapshot:
    """The org's jobs after one cycle, newest first, and what could not be read."""

    jobs: dict[str, Job]
    api_usage: ApiUsage | None
    taken_at: datetime
    requests: int
    errors: dict[str, str] = field(default_factory=dict)


class Poller:
    def __init__(self, service: BulkService, concurrency: int = 8) -> None:
        self.service = service
        self.jobs: dict[str, Job] = {}
        self.final: set[str] = set()
        self._limit = asyncio.Semaphore(concurrency)

    async def cycle(self, only: Collection[str] | None = None) -> Snapshot:
        """List the org's jobs and read every one that may still change.

        ``only`` restricts the cycle to those ids; ids the listing lacks are looked up directly.
        """
        before = self.service.transport.requests_made
        listed = await self.service.list_jobs()
        if only is not None:
            wanted = list(dict.fromkeys(only))
            listed = {job_id: listed[job_id] for job_id in wanted if job_id in listed}
        errors: dict[str, str] = {}

        async def read(job_id: str, listed_job: Job | None) -> tuple[str, Job | None]:
            async with self._limit:
                try:
                    if listed_job is None:
                        return job_id, await self.service.find_job(job_id)
                    known = self.jobs.get(job_id)
                    base = known.merged(listed_job) if known is not None else listed_job
                    return job_id, await self.service.refresh(base)
                except NotFound as exc:
                    errors[job_id] = str(exc)
                    return job_id, None
                except BulkError as exc:
                    errors[job_id] = str(exc)
                    return job_id, self.jobs.get(job_id, listed_job)

        to_read: list[tuple[str, Job | None]] = [(i, job) for i, job in listed.items() if i not in self.final]
        if only is not None:
            to_read += [(job_id, None) for job_id in only if job_id not in listed and job_id not in self.final]
        results = await asyncio.gather(*(read(job_id, job) for job_id, job in to_read))
        fresh = {job_id: job for job_id, job in results if job is not None}

        jobs: dict[str, Job] = {}
        ids = list(listed) + [job_id for job_id in (only or ()) if job_id not in listed]
        for job_id in ids:
            job = fresh.get(job_id) or (self.jobs.get(job_id) if job_id in self.final else None)
            if job is None:
                continue
            jobs[job_id] = job
            if job_id not in errors and job.finished:
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
        )


def _newest_first(item: tuple[str, Job]) -> tuple[float, str]:
    created = item[1].created_date
    return (-(created.timestamp() if created else 0.0), item[0])
