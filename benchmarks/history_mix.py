"""A year of three orgs' Bulk jobs, as the poller would hand them to the history writer (benchmarks/history.py).

Every org is "polled" each :data:`POLL_S` simulated seconds; a poll hands the writer every job that
was live at that moment, as a :class:`~sfmonitor.bulk.models.Job` built from the fields Salesforce's
job info sends (Bulk 1.0 jobs with their batch list), and the writer keeps what changed. A job is
last handed over when first seen ended; a failures report is read for some jobs with failed rows.
Seeded: the same arguments give the same file.
"""

from __future__ import annotations

import heapq
import math
import random
from collections.abc import Iterator
from dataclasses import dataclass

from sfmonitor.bulk.models import Batch, Job, JobKind
from sfmonitor.simulator.records import salesforce_id
from sfmonitor.simulator.world import sf_date

# a running job's counts are read every other poll (monitor/economy.STRETCH) at the dashboard's 5 s interval;
# the polls between change nothing of it, and the writer's cache keeps them off the file
POLL_S = 10.0
ORGS = (("prod", 0.60), ("uat", 0.25), ("dev", 0.15))
APIS = ((JobKind.INGEST, 0.60), (JobKind.QUERY, 0.25), (JobKind.CLASSIC, 0.15))
OBJECTS = ("Account", "Contact", "Lead", "Opportunity", "Case", "Task", "Order", "OrderItem", "Product2",
           "Invoice__c", "Shipment__c", "Event")  # fmt: skip
OPERATIONS = {
    JobKind.INGEST: ("upsert", "insert", "update", "delete"),
    JobKind.QUERY: ("query", "queryAll"),
    JobKind.CLASSIC: ("upsert", "insert", "query"),
}
PAIRS = 30  # object x operation pairs in use per org, Zipf-weighted (a few nightly loads dominate)
# how long jobs run: (share, shortest s, longest s)
LENGTHS = ((0.90, 5.0, 120.0), (0.085, 120.0, 1800.0), (0.015, 3600.0, 6 * 3600.0))
ENDINGS = (("JobComplete", 0.90), ("rows failed", 0.06), ("Failed", 0.025), ("Aborted", 0.015))
FAILURE_REPORT_SHARE = 0.3  # of jobs with failed rows, those whose failures report was read
ERRORS = (("DUPLICATE_VALUE", "duplicate value found: External_Id__c duplicates value on record with id: {}"),
          ("REQUIRED_FIELD_MISSING", "Required fields are missing: [LastName]"),
          ("FIELD_CUSTOM_VALIDATION_EXCEPTION", "Shipping country must be a two-letter code"),
          ("INVALID_CROSS_REFERENCE_KEY", "invalid cross reference id"),
          ("UNABLE_TO_LOCK_ROW", "unable to obtain exclusive access to this record or 1 records: {}"))  # fmt: skip


def describe(poll_s: float = POLL_S) -> str:
    share = ", ".join
    return (
        f"mix: orgs {share(f'{o} {p:.0%}' for o, p in ORGS)}; APIs {share(f'{k.value} {p:.0%}' for k, p in APIS)}; "
        f"{PAIRS} object x operation pairs per org (Zipf); lengths "
        f"{share(f'{p:.1%} {_span(lo)}-{_span(hi)}' for p, lo, hi in LENGTHS)}; endings "
        f"{share(f'{e} {p:.1%}' for e, p in ENDINGS)}; Bulk 1.0 jobs with 1-60 batches (most 1-3); "
        f"a failures report (1-5 groups) read for {FAILURE_REPORT_SHARE:.0%} of jobs with failed rows; "
        f"a running job read every {poll_s:g} simulated s"
    )


def _span(seconds: float) -> str:
    if seconds >= 3600:
        return f"{seconds / 3600:g} h"
    return f"{seconds / 60:g} min" if seconds >= 60 else f"{seconds:g} s"


def _length(rng: random.Random) -> int:
    """How long a job runs (s): a band of :data:`LENGTHS` by its share, log-uniform within it."""
    roll = rng.random()
    for share, low, high in LENGTHS:
        if roll < share or (low, high) == LENGTHS[-1][1:]:
            return round(math.exp(rng.uniform(math.log(low), math.log(high))))
        roll -= share
    raise AssertionError


def _pick(rng: random.Random, table: tuple[tuple[object, float], ...]) -> object:
    roll = rng.random()
    for value, share in table:
        roll -= share
        if roll < 0:
            return value
    return table[-1][0]


@dataclass(slots=True)
class Plan:
    """One job's life: when each state begins, and its counts as a function of time."""

    org: str
    kind: JobKind
    number: int
    object: str
    operation: str
    created: float
    start: float  # processing begins (InProgress)
    end: float
    total: int
    ending: str  # JobComplete, rows failed, Failed, Aborted
    failed_share: float
    batches: int
    user: str

    @property
    def id(self) -> str:
        return salesforce_id("750", self.number)

    def done(self, t: float) -> float:
        """Fraction of the work done at ``t``."""
        if t <= self.start:
            return 0.0
        stop = 0.6 if self.ending in ("Failed", "Aborted") else 1.0
        return min(stop, (t - self.start) / max(1.0, self.end - self.start) * stop)

    def state(self, t: float) -> str:
        final = "JobComplete" if self.ending == "rows failed" else self.ending
        if t >= self.end:
            return final if self.kind is not JobKind.CLASSIC or final != "JobComplete" else "Closed"
        if self.kind is JobKind.CLASSIC:
            return "Closed" if t >= self.start else "Open"
        if t < self.start - 2 and self.kind is JobKind.INGEST:
            return "Open"
        return "InProgress" if t >= self.start else "UploadComplete"

    def job(self, t: float) -> Job:
        done = self.done(t)
        processed = int(self.total * done)
        failed = int(processed * self.failed_share)
        state = self.state(t)
        fields: dict[str, object] = {
            "id": self.id,
            "operation": self.operation,
            "object": self.object,
            "createdById": self.user,
            "createdDate": sf_date(self.created),
            "systemModstamp": sf_date(min(t, self.end) if t > self.start else self.created),
            "state": state,
            "concurrencyMode": "Parallel",
            "contentType": "CSV",
            "apiVersion": 66.0,
            "numberRecordsProcessed": processed,
            "totalProcessingTime": int((min(t, self.end) - self.start) * 900) if t > self.start else 0,
        }
        if self.kind is JobKind.QUERY:
            fields.update(jobType="V2Query", retries=0)
            return Job.from_fields(fields)
        fields.update(numberRecordsFailed=failed, apiActiveProcessingTime=0, apexProcessingTime=0)
        if state == "Failed":
            fields["errorMessage"] = "InvalidBatch : Field name not found : Legacy_Code__c"
        if self.kind is JobKind.INGEST:
            fields.update(jobType="V2Ingest", retries=0, lineEnding="LF", columnDelimiter="COMMA")
            return Job.from_fields(fields)
        batches = tuple(self._batch(n, t) for n in range(self.batches)) if t >= self.start else ()
        done_batches = sum(b.terminal for b in batches)
        fields.update(numberRetries=0, numberBatchesTotal=len(batches), numberBatchesCompleted=done_batches,
                      numberBatchesQueued=0, numberBatchesFailed=0,
                      numberBatchesInProgress=len(batches) - done_batches)  # fmt: skip
        return Job.from_fields(fields, listed_as=JobKind.CLASSIC).with_batches(batches)

    def _batch(self, n: int, t: float) -> Batch:
        span = (self.end - self.start) / self.batches
        begins, ends = round(self.start + n * span * 0.5), round(self.start + (n + 1) * span)
        state = "Completed" if t >= ends else "InProgress" if t >= begins else "Queued"
        size = self.total // self.batches
        processed = size if state == "Completed" else int(size * max(0.0, t - begins) / max(1.0, ends - begins))
        return Batch.from_fields({
            "id": salesforce_id("751", self.number * 64 + n),
            "jobId": self.id,
            "state": state,
            "stateMessage": "",
            "createdDate": sf_date(self.start),
            "systemModstamp": sf_date(min(t, ends)),
            "numberRecordsProcessed": processed,
            "numberRecordsFailed": int(processed * self.failed_share),
            "totalProcessingTime": int(max(0.0, min(t, ends) - begins) * 900),
            "apiActiveProcessingTime": 0,
            "apexProcessingTime": 0,
        })  # fmt: skip

    def failure_groups(self, rng: random.Random, t: float) -> list[tuple[str, str, int]]:
        failed = int(self.total * self.done(t) * self.failed_share)
        groups = rng.sample(ERRORS, rng.randint(1, len(ERRORS)))
        return [(code, text.format(salesforce_id("001", rng.randrange(10**6))), max(1, failed // len(groups)))
                for code, text in groups]  # fmt: skip


def plans(count: int, end: float, days: float, seed: int = 24) -> Iterator[Plan]:
    """``count`` jobs created over ``days`` before ``end``, oldest first."""
    rng = random.Random(seed)
    shares = {JobKind.INGEST: 16, JobKind.QUERY: 7, JobKind.CLASSIC: 7}  # PAIRS in all
    pairs: dict[tuple[str, JobKind], list[tuple[str, str]]] = {}
    for org, _ in ORGS:
        for kind, many in shares.items():
            every = [(o, op) for o in OBJECTS for op in OPERATIONS[kind]]
            rng.shuffle(every)
            pairs[org, kind] = every[:many]
    users = [salesforce_id("005", n) for n in range(8)]
    gap = days * 86_400 / count
    t = end - days * 86_400
    for number in range(count):
        t = round(t + rng.expovariate(1 / gap))  # Salesforce's dates are whole seconds (".000")
        org = str(_pick(rng, ORGS))
        kind = _pick(rng, APIS)
        assert isinstance(kind, JobKind)
        choices = pairs[org, kind]
        obj, operation = rng.choices(choices, [1 / (n + 1) for n in range(len(choices))])[0]
        length = _length(rng)
        start = t + rng.randint(2, 20)
        ending = str(_pick(rng, ENDINGS))
        rate = rng.uniform(200, 5000)
        batches = 0
        if kind is JobKind.CLASSIC:
            roll = rng.random()
            batches = 1 if roll < 0.7 else rng.randint(2, 10) if roll < 0.95 else rng.randint(10, 60)
        yield Plan(org, kind, number, obj, operation, t, start, start + length, max(1, int(length * rate)), ending,
                   rng.uniform(0.001, 0.3) if ending == "rows failed" else 0.0, batches, rng.choice(users))  # fmt: skip


@dataclass(slots=True)
class Poll:
    org: str
    at: float
    jobs: list[Job]
    failures: list[tuple[Job, list[tuple[str, str, int]]]]


def polls(count: int, end: float, days: float, seed: int = 24, poll_s: float = POLL_S) -> Iterator[Poll]:
    """Each org's polls in time order (polls that would find nothing live are skipped)."""
    rng = random.Random(seed + 1)
    coming = plans(count, end, days, seed)
    upcoming = next(coming, None)
    live: list[tuple[float, int, Plan]] = []  # (ends, number, plan)
    t = 0.0
    while upcoming is not None or live:
        if not live and upcoming is not None:
            t = max(t, math.ceil(upcoming.created / poll_s) * poll_s)
        while upcoming is not None and upcoming.created <= t:
            heapq.heappush(live, (upcoming.end, upcoming.number, upcoming))
            upcoming = next(coming, None)
        by_org: dict[str, Poll] = {}
        for _, _, plan in live:
            poll = by_org.get(plan.org)
            if poll is None:
                poll = by_org[plan.org] = Poll(plan.org, t, [], [])
            job = plan.job(t)
            poll.jobs.append(job)
            if job.finished and plan.failed_share and rng.random() < FAILURE_REPORT_SHARE:
                poll.failures.append((job, plan.failure_groups(rng, t)))
        yield from by_org.values()
        while live and live[0][0] <= t:  # seen ended: not handed over again
            heapq.heappop(live)
        t += poll_s
