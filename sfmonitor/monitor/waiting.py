"""Waiting for jobs to end (``sfmonitor wait``), without a terminal: which jobs, how they are read,
when to stop, and the exit code their ends make.

Economy: each cycle reads only the jobs that have not ended (one job-info call each); a job that
ended is never read again. A read that fails transiently is tried again within the cycle, then the
job waits for the next cycle with its last values (marked): only a refusal ends the wait early.
"""

from __future__ import annotations

import asyncio
import math
import re
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field

from ..bulk.errors import BulkError, transient
from ..bulk.models import Job
from ..bulk.retry import retrying
from ..bulk.service import BulkService

EXIT_ENDED_CLEAN = 0  # every job ended successfully, no failed records
EXIT_SOME_RECORDS_FAILED = 6
EXIT_JOB_FAILED = 7  # a job ended Failed or Aborted
EXIT_TIMED_OUT = 8  # --max-wait passed with jobs still running

READ_RETRY_DELAYS = (1.0, 3.0)
READS_AT_ONCE = 8
BAD_ENDS = frozenset({"Failed", "Aborted"})
UNITS = {"s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}
_DURATION = re.compile(r"(\d+(?:\.\d+)?)([smhd])")


def duration(text: str) -> float:
    """``90s``, ``30m``, ``2h``, ``1h30m`` or plain seconds (``600``): a positive number of seconds."""
    spoken = text.strip().lower()
    try:
        value = float(spoken)
    except ValueError:
        parts = _DURATION.findall(spoken)
        if not parts or "".join(n + u for n, u in parts) != spoken:
            raise ValueError(f"{text!r} is not a duration (90s, 30m, 2h, 1h30m or seconds)") from None
        value = sum(float(n) * UNITS[u] for n, u in parts)
    if not math.isfinite(value) or value <= 0:
        raise ValueError(f"{text!r}: give a positive duration")
    return value


def ended_badly(job: Job) -> bool:
    return job.state in BAD_ENDS


def outcome(jobs: Iterable[Job], timed_out: bool) -> int:
    """The exit code: timed out (jobs still running) over a job that failed or was aborted, over
    records that failed, over a clean end."""
    jobs = list(jobs)
    if timed_out:
        return EXIT_TIMED_OUT
    if any(ended_badly(job) for job in jobs):
        return EXIT_JOB_FAILED
    if any((job.number_records_failed or 0) > 0 for job in jobs):
        return EXIT_SOME_RECORDS_FAILED
    return EXIT_ENDED_CLEAN


@dataclass
class Waited:
    """One org's jobs being waited on: the last values read, and what the last read could not do."""

    org: str
    service: BulkService
    jobs: dict[str, Job]
    errors: dict[str, str] = field(default_factory=dict)  # job -> why its values are not this cycle's

    @property
    def pending(self) -> list[str]:
        return [job_id for job_id, job in self.jobs.items() if not job.finished]

    async def read(self) -> list[tuple[Job | None, Job]]:
        """Read every job that has not ended; returns (before, after) for those whose values moved."""
        limit = asyncio.Semaphore(READS_AT_ONCE)

        async def one(job_id: str) -> tuple[Job | None, Job] | None:
            before = self.jobs[job_id]
            async with limit:
                try:
                    after = await retrying(lambda: self.service.refresh(before, with_batches=False),
                                           READ_RETRY_DELAYS, f"job {job_id}")  # fmt: skip
                except BulkError as exc:
                    if not transient(exc):
                        raise
                    self.errors[job_id] = str(exc)
                    return None
            self.errors.pop(job_id, None)
            self.jobs[job_id] = after
            return (before, after) if after.fields != before.fields else None

        moved = await asyncio.gather(*(one(job_id) for job_id in self.pending))
        return [m for m in moved if m is not None]


async def wait(
    waited: list[Waited],
    *,
    interval: float,
    max_wait: float | None,
    on_cycle: Callable[[list[tuple[Waited, Job | None, Job]]], None],
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
) -> bool:
    """Read the jobs (just found) every ``interval`` until all have ended (True) or ``max_wait``
    passed (False). ``on_cycle`` is handed, after each cycle, the jobs whose values moved."""
    started = clock()
    while True:  # the jobs were just found: the first read is an interval away
        if not any(org.pending for org in waited):
            return True
        left = None if max_wait is None else max_wait - (clock() - started)
        if left is not None and left <= 0:
            return False
        await sleep(interval if left is None else min(interval, left))
        results = await asyncio.gather(*(org.read() for org in waited))  # at the deadline too: one last look
        on_cycle([(org, before, after) for org, moved in zip(waited, results, strict=True)
                  for before, after in moved])  # fmt: skip
