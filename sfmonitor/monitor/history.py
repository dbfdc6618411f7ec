"""What the numbers mean over time: throughput, an honest ETA, and stalled jobs. Bounded memory.

Samples are taken once per poll cycle with the local clock (what the operator experiences). Every
history is bounded: a fixed number of samples per job, and jobs that leave the org are forgotten.
"""

from __future__ import annotations

import itertools
from collections import deque
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field

from ..bulk.models import Job, JobKind
from . import phase as phase_rule

SAMPLES = 90  # per job: 7.5 minutes at the default 5 s interval
THROUGHPUT_WINDOW_S = 180.0  # "records/s over the last minutes"
STALL_CYCLES = 6  # consecutive polls without progress ...
STALL_SECONDS = 60.0  # ... spanning at least this long
WAITING_STATES = frozenset({"Open"})  # a Bulk 2.0 ingest job waits for its client's upload: not stalled


@dataclass(frozen=True, slots=True)
class Sample:
    at: float  # seconds (local clock)
    processed: int


@dataclass
class JobHistory:
    samples: deque[Sample] = field(default_factory=lambda: deque(maxlen=SAMPLES))
    unchanged: int = 0  # consecutive samples with no progress
    unchanged_since: float | None = None

    def add(self, at: float, processed: int) -> None:
        if self.samples and processed == self.samples[-1].processed:
            self.unchanged += 1
            if self.unchanged_since is None:
                self.unchanged_since = self.samples[-1].at
        else:
            self.unchanged = 0
            self.unchanged_since = None
        if self.samples and at <= self.samples[-1].at:
            return  # same cycle seen twice
        self.samples.append(Sample(at, processed))

    def _window(self, window: float) -> tuple[Sample, Sample] | None:
        """The first and last samples of the last ``window`` seconds (at least two); None before two."""
        if len(self.samples) < 2:
            return None
        last = self.samples[-1]
        first = next((s for s in self.samples if last.at - s.at <= window), self.samples[0])
        return (self.samples[-2] if first is last else first), last

    def throughput(self, window: float = THROUGHPUT_WINDOW_S) -> float | None:
        """Records per second over the last ``window`` seconds; None before two samples."""
        ends = self._window(window)
        if ends is None or ends[1].at - ends[0].at <= 0:
            return None
        return per_second(ends[1].processed - ends[0].processed, ends[1].at - ends[0].at)

    def measured_s(self, window: float = THROUGHPUT_WINDOW_S) -> float:
        """The seconds of polls :meth:`throughput` is measured over (0 before two samples)."""
        ends = self._window(window)
        return max(0.0, ends[1].at - ends[0].at) if ends else 0.0

    def rates(self) -> list[float]:
        """Records/s between consecutive samples: the sparkline's data."""
        points = list(self.samples)
        out = []
        for a, b in itertools.pairwise(points):
            span = b.at - a.at
            out.append((per_second(b.processed - a.processed, span) or 0.0) if span > 0 else 0.0)
        return out

    def stalled_for(self, now: float) -> float | None:
        if self.unchanged < STALL_CYCLES or self.unchanged_since is None:
            return None
        span = now - self.unchanged_since
        return span if span >= STALL_SECONDS else None


def per_second(records: int, span: float) -> float | None:
    """Records per second, never negative; None where the counts are beyond a float (10^400)."""
    try:
        return max(0.0, records / span)
    except OverflowError:
        return None


def live_work(job: Job) -> bool:
    """The org itself has work queued or under way for this job (what a stall is measured on): a
    running job (:mod:`phase`) less one still being sent by its client (an Open job, no batch pending)."""
    if phase_rule.ended(job) or not phase_rule.known(job):
        return False
    if job.kind is JobKind.CLASSIC:
        return phase_rule.pending_batches(job) > 0
    return job.state not in WAITING_STATES


def eta_seconds(job: Job, throughput: float | None) -> float | None:
    """Seconds left, only where the counters allow an honest answer.

    Bulk 2.0 jobs report no total record count, so they get none. A Bulk 1.0 job gets one once it
    is Closed (no more batches can come), at least one batch has finished (so the records per batch
    are known) and records are moving.
    """
    summary = job.batch_summary
    if job.kind is not JobKind.CLASSIC or job.state != "Closed" or summary is None or job.finished:
        return None
    if not throughput or throughput <= 0 or not summary.work_done:
        return None
    try:
        per_batch = summary.work_done_records / summary.work_done
        remaining = sum(max(0.0, per_batch - done) for done in summary.running_records)
    except OverflowError:  # counts beyond a float: no honest estimate
        return None
    return remaining / throughput if remaining > 0 else None


class History:
    """Every job's history; jobs that leave the org are dropped, so it stays bounded."""

    def __init__(self) -> None:
        self.jobs: dict[str, JobHistory] = {}

    def record(self, at: float, jobs: Mapping[str, Job], read: Collection[str] | None = None) -> None:
        """A sample per job read this cycle (``read``; None: every one). A job not read, because its
        read failed or the cycle had no need to, gets none: no news is not "no progress". The work
        follows the jobs read and the histories held, not the size of the org."""
        for job_id in jobs if read is None else read:
            job = jobs.get(job_id)
            if job is None or job.number_records_processed is None:
                continue
            known = self.jobs.get(job_id)
            if job.finished and (known is None or (known.samples and known.samples[-1].processed ==
                                                    job.number_records_processed)):  # fmt: skip
                continue  # a finished job's numbers no longer move: nothing to learn from new samples
            if known is None:
                known = self.jobs[job_id] = JobHistory()
            known.add(at, job.number_records_processed)
        for gone in [job_id for job_id in self.jobs if job_id not in jobs]:
            del self.jobs[gone]

    def of(self, job_id: str) -> JobHistory:
        return self.jobs.get(job_id) or JobHistory()

    def throughput(self, job: Job) -> float | None:
        return self.of(job.id).throughput() if not job.finished else None

    def measured_s(self, job: Job) -> float:
        """The seconds of polls the job's throughput is measured over."""
        return self.of(job.id).measured_s() if not job.finished else 0.0

    def stalled(self, job: Job, now: float) -> float | None:
        if not live_work(job):
            return None
        return self.of(job.id).stalled_for(now)
