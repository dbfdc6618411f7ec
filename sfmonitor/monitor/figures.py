"""What the recorder publishes after each poll of an org, for readers on other threads (the
recorder's ``/metrics``, sfmonitor/serve): one immutable :class:`OrgFigures` per org, swapped whole.

The recorder's loop is the only writer: after each poll (good or failed) it builds the org's new
figures from its :class:`Tally` and :meth:`Published.publish` swaps in a new mapping (a reference
assignment, atomic). A reader takes :meth:`Published.latest` once and reads only that: nothing it
holds changes under it, no lock is taken, and no reader ever makes a Salesforce call.

The counters (jobs ended, records processed and failed) are what *this recorder* saw happen: a
job that had ended before it first listed the org is not counted, and records a job had processed
before then are not either. They start at 0 with the process (Prometheus' counter resets).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from types import MappingProxyType

from ..bulk.models import ApiUsage, Job, JobKind
from .board import Connection
from .phase import Outcome, Phase, outcome, phase

RECENT_END_S = 3600.0  # an ended job's own figures are published this long after it ended
POLL_BUCKETS_S = (0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0)  # a poll's duration, seconds

API = {JobKind.CLASSIC: "bulk1", JobKind.INGEST: "bulk2-ingest", JobKind.QUERY: "bulk2-query"}  # the api label
# once the org is listed every counter is served, at 0 until it moves: a first end is an increase, not a new series
APIS = tuple(sorted(API.values()))
OUTCOMES = tuple(o.value for o in Outcome)


@dataclass(frozen=True, slots=True)
class JobFigures:
    """One running (or recently ended) job: as last read. ``object`` and ``operation`` are server text."""

    id: str
    api: str
    object: str
    operation: str
    processed: int | None  # None: the org has not given a number (never passed off as 0)
    failed: int | None


@dataclass(frozen=True, slots=True)
class PollHistogram:
    """Poll durations: cumulative counts per bucket of POLL_BUCKETS_S (the last is +Inf), their sum."""

    buckets: tuple[int, ...] = (0,) * (len(POLL_BUCKETS_S) + 1)
    total_s: float = 0.0

    def observed(self, seconds: float) -> PollHistogram:
        edges = (*POLL_BUCKETS_S, float("inf"))
        counts = tuple(n + (seconds <= edge) for n, edge in zip(self.buckets, edges, strict=True))
        return PollHistogram(counts, self.total_s + seconds)

    @property
    def count(self) -> int:
        return self.buckets[-1]


@dataclass(frozen=True, slots=True)
class OrgFigures:
    """One org as of its last poll. ``name``: its history name (the ``org`` label). ``connection`` and
    ``poll_gap``: whether it is up is decided when asked (Connection.status: a poll loop that stopped
    makes it stale). ``usage``: Sforce-Limit-Info, None while the org has not said."""

    name: str
    connection: Connection
    poll_gap: float
    polled: bool  # a poll has succeeded once
    jobs: tuple[JobFigures, ...] = ()
    phases: tuple[tuple[str, str, int], ...] = ()  # (api, phase, jobs)
    ended: tuple[tuple[str, str, int], ...] = ()  # (api, outcome, jobs seen ending), counter
    processed: tuple[tuple[str, int], ...] = ()  # (api, records seen processed), counter
    failed: tuple[tuple[str, int], ...] = ()  # (api, records seen failing), counter
    usage: ApiUsage | None = None
    calls: tuple[tuple[str, int], ...] = ()  # (kind, sfmonitor's own requests since the start), counter
    polls: PollHistogram = PollHistogram()


class Published:
    """The latest figures of every org, swapped whole (see the module)."""

    def __init__(self) -> None:
        self._orgs: Mapping[str, OrgFigures] = MappingProxyType({})

    def latest(self) -> Mapping[str, OrgFigures]:
        return self._orgs

    def publish(self, figures: OrgFigures) -> None:
        """The recorder's loop only (one writer): a new mapping, then one reference assignment."""
        self._orgs = MappingProxyType({**self._orgs, figures.name: figures})


class Tally:
    """One org's counters across polls (the recorder's loop only), fed the jobs each poll read or
    found new (recorder.to_record's list): the cost follows what changed, not the org's size."""

    def __init__(self) -> None:
        self._last: dict[str, tuple[int | None, int | None]] = {}  # job id -> (processed, failed) counted
        self._counting: set[str] = set()  # jobs whose end this recorder will count (seen before it)
        self._undecided: set[str] = set()  # listed at the start with a phase not known yet
        self._recent: dict[str, float] = {}  # job id -> when it ended (recently)
        self._listed = False
        self.ended: Counter[tuple[str, str]] = Counter()
        self.processed: Counter[str] = Counter()
        self.failed: Counter[str] = Counter()
        self.polls = PollHistogram()

    def polled(self, jobs: Mapping[str, Job], changed: Iterable[Job], now: float) -> None:
        """A good poll: ``jobs`` the org's jobs now, ``changed`` those read or new (every job, the first time)."""
        first = not self._listed
        for job in changed:
            self._count(job, first, now)
        self._listed = True
        if len(self._last) > len(jobs):  # jobs left the org: forget them
            for gone in self._last.keys() - jobs.keys():
                self._last.pop(gone, None)
                self._counting.discard(gone)
                self._undecided.discard(gone)
                self._recent.pop(gone, None)

    def _count(self, job: Job, first: bool, now: float) -> None:
        api = API[job.kind]
        seen = self._last.get(job.id)
        if seen is None:
            # known before this recorder (its first listing): counted from the first figure it gives;
            # new since: from 0
            # a 2.0 job still Open or UploadComplete has processed nothing yet, whatever the listing lacks
            waiting = job.kind is not JobKind.CLASSIC and job.state in ("Open", "UploadComplete")
            seen = (None, None) if first and not waiting else (0, 0)
            step = phase(job, now)
            if not first or step not in (Phase.ENDED, Phase.UNKNOWN):
                self._counting.add(job.id)
            elif step is Phase.UNKNOWN:  # a Bulk 1.0 job its first read has not placed yet: decided when read
                self._undecided.add(job.id)
        elif job.id in self._undecided and phase(job, now) is not Phase.UNKNOWN:
            self._undecided.discard(job.id)  # ended when first known: before this recorder saw it
            if phase(job, now) is not Phase.ENDED:
                self._counting.add(job.id)
        processed = _grown(seen[0], job.number_records_processed)
        failed = _grown(seen[1], job.number_records_failed)
        self.processed[api] += (processed or 0) - (seen[0] if seen[0] is not None else processed or 0)
        self.failed[api] += (failed or 0) - (seen[1] if seen[1] is not None else failed or 0)
        self._last[job.id] = (processed, failed)
        ending = outcome(job)
        if ending is not None:
            ended_at = job.system_modstamp.timestamp() if job.system_modstamp else now
            if now - ended_at < RECENT_END_S:
                self._recent[job.id] = ended_at
            if job.id in self._counting:
                self._counting.discard(job.id)
                self.ended[(api, ending.value)] += 1

    def figures(
        self,
        name: str,
        jobs: Mapping[str, Job],
        running: AbstractSet[str],
        now: float,
        connection: Connection,
        poll_gap: float,
        usage: ApiUsage | None,
        calls: Mapping[str, int],
    ) -> OrgFigures:
        """The org's figures now. ``running``: its jobs not ended (JobIndex.running)."""
        for job_id, at in list(self._recent.items()):
            if now - at >= RECENT_END_S or job_id not in jobs:
                del self._recent[job_id]
        shown: list[JobFigures] = []
        phases: Counter[tuple[str, str]] = Counter()
        live = 0
        for job_id in running:
            job = jobs.get(job_id)
            if job is None:
                continue
            live += 1
            step = phase(job, now)
            phases[(API[job.kind], step.value)] += 1
            if step is not Phase.UNKNOWN:
                shown.append(_job(job))
        shown += [_job(jobs[job_id]) for job_id in self._recent if job_id not in running]
        if live < len(jobs):
            every = Counter(API[job.kind] for job in jobs.values())
            live_by_api = Counter({api: sum(n for (a, _), n in phases.items() if a == api) for api in every})
            for api, n in every.items():
                if n - live_by_api[api]:
                    phases[(api, Phase.ENDED.value)] = n - live_by_api[api]
        return OrgFigures(
            name=name,
            connection=connection,
            poll_gap=poll_gap,
            polled=self._listed,
            jobs=tuple(shown),
            phases=tuple((api, step, n) for (api, step), n in sorted(phases.items())),
            ended=tuple((api, end, self.ended[(api, end)]) for api in APIS for end in OUTCOMES) if self._listed else (),
            processed=tuple((api, self.processed[api]) for api in APIS) if self._listed else (),
            failed=tuple((api, self.failed[api]) for api in APIS) if self._listed else (),
            usage=usage,
            calls=tuple(calls.items()),
            polls=self.polls,
        )


def _grown(before: int | None, now: int | None) -> int | None:
    """A count as far as it is known: never less than before (a count that fell is not un-counted)."""
    if now is None:
        return before
    return now if before is None else max(before, now)


def _job(job: Job) -> JobFigures:
    return JobFigures(job.id, API[job.kind], job.object, job.operation, job.number_records_processed,
                      job.number_records_failed)  # fmt: skip
