"""The naive peer sfmonitor is measured against: every live job read every interval.

What a straightforward Bulk API monitor does (and what sfmonitor did before issue 9, minus its
listing every cycle): list the org once a minute to find new jobs, read each job once when it first
appears, then read every job that has not finished, with its batch list if it is a Bulk 1.0 job,
every ``interval`` seconds. It uses sfmonitor's own client, so only the polling policy differs.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

from sfmonitor.bulk.errors import BulkError
from sfmonitor.bulk.models import Job
from sfmonitor.bulk.service import BulkService

LIST_EVERY_S = 60.0


class PerJobPoller:
    def __init__(
        self, service: BulkService, list_every: float = LIST_EVERY_S, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.service = service
        self.clock = clock
        self.list_every = list_every
        self.jobs: dict[str, Job] = {}
        self._listed_at: float | None = None

    async def cycle(self) -> dict[str, Job]:
        """One interval's reads; returns every job as now known (read this cycle if live)."""
        now = self.clock()
        new: list[Job] = []
        if self._listed_at is None or now - self._listed_at >= self.list_every:
            self._listed_at = now
            listed = await self.service.list_jobs()
            new = [job for job_id, job in listed.items() if job_id not in self.jobs]
            for gone in self.jobs.keys() - listed.keys():
                del self.jobs[gone]
        due = new + [job for job in self.jobs.values() if not job.finished]
        limit = asyncio.Semaphore(8)

        async def read(job: Job) -> None:
            async with limit:
                try:
                    self.jobs[job.id] = await self.service.refresh(job, with_batches=True)
                except BulkError:
                    self.jobs.setdefault(job.id, job)

        await asyncio.gather(*(read(job) for job in due))
        return self.jobs
