"""Waiting for jobs to end (``sfmonitor wait``), without a terminal: which jobs, how they are read,
when to stop, and the exit code their ends make.

Which jobs: those whose :mod:`phase` is running (or not known yet). A job that waits on its client
(an upload never marked complete, a Bulk 1.0 job nobody closed) is not waited on: only its client
can move it, so a wait that holds one ends with ``Ending.CLIENT_WAIT`` as soon as nothing else is
running, not at ``--max-wait`` (a job that starts waiting during the wait too).

Economy: each cycle reads only the pending jobs (one job-info call each); a job that ended is never
read again. A read that fails transiently is tried again within the cycle, then the
job waits for the next cycle with its last values (marked): only a refusal ends the wait early. The
org's daily API limit (REQUEST_LIMIT_EXCEEDED) is no refusal of the job: the wait backs off
(:data:`~.schedule.LIMIT_WAIT_S` between reads, within ``--max-wait``) and keeps waiting.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import time
from collections.abc import Awaitable, Callable, Iterable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass, field

from ..bulk.errors import BulkError, RequestLimitExceeded, transient
from ..bulk.models import Job
from ..bulk.retry import retrying
from ..bulk.service import BulkService
from .phase import Outcome, Phase, failures_unknown, phase, waiting_on_client
from .phase import outcome as job_outcome
from .schedule import LIMIT_WAIT_S


class Ending(enum.Enum):
    """How a wait ended (the command line gives each its exit code)."""

    CLEAN = "every job ended successfully, no failed records"
    RECORDS_FAILED = "every job ended, some records failed"
    JOB_FAILED = "a job ended Failed or Aborted"
    TIMED_OUT = "--max-wait passed with jobs still running"
    CLIENT_WAIT = "a job waits on its client, which alone can move it"
    FAILURES_UNKNOWN = "every job ended, but a job's failed-record count was not given"


READ_RETRY_DELAYS = (1.0, 3.0)
READS_AT_ONCE = 8


def outcome(jobs: Iterable[Job], timed_out: bool, now: float | None = None) -> Ending:
    """The exit code: timed out (jobs still running) over a job that ended failed or aborted
    (:func:`phase.outcome`: a Bulk 1.0 batch failed as a whole counts), over a job waiting on its
    client (named on stderr either way), over records that failed, over a job whose failed-record
    count the org did not give (:func:`phase.failures_unknown`: not a clean end), over a clean end."""
    jobs = list(jobs)
    at = time.time() if now is None else now
    if timed_out:
        return Ending.TIMED_OUT
    ends = {job_outcome(job) for job in jobs}
    if Outcome.FAILED in ends or Outcome.ABORTED in ends:
        return Ending.JOB_FAILED
    if any(phase(job, at) is Phase.WAITING for job in jobs):
        return Ending.CLIENT_WAIT
    if Outcome.RECORDS_FAILED in ends:
        return Ending.RECORDS_FAILED
    if any(failures_unknown(job) for job in jobs):
        return Ending.FAILURES_UNKNOWN
    return Ending.CLEAN


@dataclass
class Waited:
    """One org's jobs being waited on: the last values read, and what the last read could not do."""

    org: str
    service: BulkService
    jobs: dict[str, Job]
    errors: dict[str, str] = field(default_factory=dict)  # job -> why its values are not this cycle's
    clock: Callable[[], float] = time.time  # the wall clock a job's wait on its client is measured by
    limited: str | None = None  # the last read met the org's daily API limit: its words

    @property
    def pending(self) -> list[str]:
        """The jobs still waited on: running, or not known yet (read until they are). An ended job
        is not read again; nor is one waiting on its client, which ends the wait (CLIENT_WAIT) rather
        than running it to ``--max-wait``."""
        now = self.clock()
        return [job_id for job_id, job in self.jobs.items() if phase(job, now) in (Phase.RUNNING, Phase.UNKNOWN)]

    def waiting(self) -> dict[str, str]:
        """The jobs that wait on their client, and why."""
        now = self.clock()
        return {job_id: why for job_id, job in self.jobs.items() if (why := waiting_on_client(job, now))}

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
                    if isinstance(exc, RequestLimitExceeded):  # the org's budget, not this job: back off
                        self.limited = str(exc)
                    elif not transient(exc):
                        raise
                    self.errors[job_id] = str(exc)
                    return None
            self.errors.pop(job_id, None)
            self.jobs[job_id] = after
            return (before, after) if after.fields != before.fields else None

        self.limited = None
        moved = await asyncio.gather(*(one(job_id) for job_id in self.pending))
        return [m for m in moved if m is not None]


Sleep = Callable[[float], Awaitable[None]]
_CYCLE_SLEEP: ContextVar[Sleep] = ContextVar("wait_cycle_sleep", default=asyncio.sleep)


@contextlib.contextmanager
def cycling_with(sleep: Sleep) -> Iterator[None]:
    """Every :func:`wait` in this context (and the event loops it starts) sleeps between its reads
    with ``sleep(interval)``: a command run in-process by a test reads its jobs sooner than the
    interval's floor lets an operator ask."""
    token = _CYCLE_SLEEP.set(sleep)
    try:
        yield
    finally:
        _CYCLE_SLEEP.reset(token)


async def wait(
    waited: list[Waited],
    *,
    interval: float,
    max_wait: float | None,
    on_cycle: Callable[[list[tuple[Waited, Job | None, Job]]], None],
    clock: Callable[[], float] = time.monotonic,
    sleep: Sleep | None = None,
    on_limit: Callable[[Waited, float], None] | None = None,
) -> bool:
    """Read the jobs (just found) every ``interval`` until none is pending (each has ended, or waits
    on its client: True) or ``max_wait`` passed (False). ``on_cycle`` is handed, after each cycle,
    the jobs whose values moved; ``on_limit``, an org whose reads met its daily API limit and the
    pause before the next read (:data:`LIMIT_WAIT_S`, or less when ``max_wait`` comes sooner).
    ``sleep``: between reads (None: the context's, see :func:`cycling_with`)."""
    sleep = sleep or _CYCLE_SLEEP.get()
    started = clock()
    pause = interval
    while True:  # the jobs were just found: the first read is an interval away
        if not any(org.pending for org in waited):
            return True
        left = None if max_wait is None else max_wait - (clock() - started)
        if left is not None and left <= 0:
            return False
        await sleep(pause if left is None else min(pause, left))
        results = await asyncio.gather(*(org.read() for org in waited))  # at the deadline too: one last look
        on_cycle([(org, before, after) for org, moved in zip(waited, results, strict=True)
                  for before, after in moved])  # fmt: skip
        limited = [org for org in waited if org.limited]
        pause = max(interval, LIMIT_WAIT_S) if limited else interval
        left = None if max_wait is None else max_wait - (clock() - started)
        if on_limit is not None:
            for org in limited:
                on_limit(org, pause if left is None else max(0.0, min(pause, left)))
