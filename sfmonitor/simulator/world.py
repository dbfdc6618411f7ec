"""The simulated org: jobs and batches moving through their states over (scaled) time.

Progress is a function of simulated time: each job and batch carries a plan (when it starts, how
fast it runs, whether and where it fails), and :meth:`World.advance` brings every live one up to
"now". Client actions (close, abort, upload) change the plan at the moment they arrive.
"""

from __future__ import annotations

import heapq
import math
import random
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from .records import RowResult, Soql, Store, run_query, salesforce_id

V2_TERMINAL = ("JobComplete", "Failed", "Aborted")
RETENTION_S = 7 * 24 * 3600
PARALLEL_BATCHES = 4


class Clock:
    """Simulated time: real time scaled by ``speed`` from ``start``; ``frozen`` stops it."""

    def __init__(self, speed: float = 1.0, start: float | None = None, frozen: bool = False) -> None:
        self.speed = speed
        self.start = time.time() if start is None else start
        self.frozen = frozen
        self._mono = time.monotonic()

    def now(self) -> float:
        if self.frozen:
            return self.start
        return self.start + (time.monotonic() - self._mono) * self.speed


def sf_date(t: float, style: str = "json") -> str:
    """``2018-12-18T22:51:36.000+0000`` (JSON) or ``2009-04-14T18:15:59.000Z`` (Bulk 1.0 XML)."""
    dt = datetime.fromtimestamp(t, UTC)
    base = dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond // 1000:03d}"
    return base + ("Z" if style == "xml" else "+0000")


@dataclass
class Plan:
    """How a unit of work (a Bulk 2.0 job or a Bulk 1.0 batch) runs once it may start."""

    total: int
    rate: float  # records per simulated second
    start: float | None = None  # when processing begins (None: not yet scheduled)
    fail_permille: int = 0  # synthetic row failures per 1000 rows
    outcomes: list[RowResult] | None = None  # real rows, when a client uploaded data
    fail_at: float | None = None  # fraction of the work after which the whole unit fails
    fail_message: str = ""
    apex_share: float = 0.0
    _failed_prefix: list[int] | None = None

    @property
    def duration(self) -> float:
        return self.total / self.rate if self.rate > 0 else 0.0

    def processed_at(self, t: float) -> int:
        if self.start is None or t <= self.start:
            return 0
        limit = self.total if self.fail_at is None else int(self.total * self.fail_at)
        end = self.end()
        if end is not None and t >= end:
            return limit
        return min(int((t - self.start) * self.rate), limit)

    def failed_upto(self, n: int) -> int:
        if self.outcomes is not None:
            if self._failed_prefix is None:
                prefix = [0]
                for result in self.outcomes:
                    prefix.append(prefix[-1] + (0 if result.success else 1))
                self._failed_prefix = prefix
            return self._failed_prefix[min(n, len(self.outcomes))]
        return n * self.fail_permille // 1000

    def row_fails(self, i: int) -> bool:
        if self.outcomes is not None:
            return not self.outcomes[i].success
        return (i + 1) * self.fail_permille // 1000 > i * self.fail_permille // 1000

    def end(self) -> float | None:
        if self.start is None:
            return None
        if self.fail_at is not None:
            return self.start + self.duration * self.fail_at
        return self.start + self.duration


@dataclass
class Batch:
    id: str
    job: Job
    created: float
    plan: Plan
    data: bytes = b""
    content_type: str = "CSV"
    override: str | None = None  # NotProcessed
    override_message: str = ""
    override_at: float = 0.0
    result_rows: list[dict[str, str]] | None = None  # query batches
    result_ids: list[str] = field(default_factory=list)
    committed: bool = False

    def state_at(self, t: float) -> str:
        if self.override:
            return self.override
        if self.plan.start is None or t < self.plan.start:
            return "Queued"
        end = self.plan.end()
        if end is not None and t >= end:
            return "Failed" if self.plan.fail_at is not None else "Completed"
        return "InProgress"

    def processed_at(self, t: float) -> int:
        if self.override == "NotProcessed":
            return self.plan.processed_at(self.override_at) if self.plan.start is not None else 0
        return self.plan.processed_at(t)

    def info(self, t: float, style: str) -> dict[str, Any]:
        state = self.state_at(t)
        processed = self.processed_at(t)
        end = self.plan.end()
        busy_until = min(t, end) if end is not None else t
        if self.override:
            busy_until = self.override_at or self.created
        elapsed_ms = int(max(0.0, busy_until - self.plan.start) * 1000) if self.plan.start is not None else 0
        if state == "NotProcessed":
            elapsed_ms = 0
        message = self.override_message or (self.plan.fail_message if state == "Failed" else "")
        out: dict[str, Any] = {
            "id": self.id,
            "jobId": self.job.id,
            "state": state,
        }
        if message:
            out["stateMessage"] = message
        out.update(
            {
                "createdDate": sf_date(self.created, style),
                "systemModstamp": sf_date(max(self.created, busy_until), style),
                "numberRecordsProcessed": processed,
                "numberRecordsFailed": self.plan.failed_upto(processed),
                "totalProcessingTime": elapsed_ms,
                "apiActiveProcessingTime": int(elapsed_ms * 0.86),
                "apexProcessingTime": int(elapsed_ms * 0.86 * self.plan.apex_share),
            }
        )
        return out


@dataclass
class Job:
    id: str
    api: str  # "classic" | "ingest" | "query"
    object: str
    operation: str
    created: float
    api_version: str
    created_by: str
    content_type: str = "CSV"
    job_type: str = ""
    state: str = "Open"
    modstamp: float = 0.0
    concurrency_mode: str = "Parallel"
    line_ending: str = "LF"
    column_delimiter: str = "COMMA"
    external_id: str = ""
    query: str = ""
    soql: Soql | None = None
    plan: Plan | None = None  # Bulk 2.0
    queue_delay: float = 5.0
    finished_at: float | None = None
    error_message: str = ""
    retries_every: float = 0.0  # seconds of processing per lock-contention retry
    uploaded: bool = False
    upload_data: bytes = b""
    batches: list[Batch] = field(default_factory=list)
    slots: list[float] = field(default_factory=list)
    pk_chunk_size: int = 0  # Bulk 1.0 query with Sforce-Enable-PKChunking
    result_rows: list[dict[str, str]] | None = None  # Bulk 2.0 query results
    result_maker: Callable[[int], dict[str, str]] | None = None
    committed: bool = False
    work_until: float = 0.0  # Bulk 1.0: when the last scheduled batch ends
    ending: list[tuple[float, int, Batch]] = field(default_factory=list)  # Bulk 1.0: batches by end time

    def __post_init__(self) -> None:
        if not self.job_type:
            self.job_type = {"classic": "Classic", "ingest": "V2Ingest", "query": "V2Query"}[self.api]
        if not self.modstamp:
            self.modstamp = self.created
        if self.api == "classic" and not self.slots:
            self.slots = [0.0] * PARALLEL_BATCHES

    # --- life cycle ----------------------------------------------------------------------

    @property
    def terminal(self) -> bool:
        if self.api == "classic":
            return self.state in ("Aborted", "Failed")
        return self.state in V2_TERMINAL

    def done_at(self, t: float) -> bool:
        """Nothing will change any more (used for retention and for skipping work)."""
        if self.api == "classic":
            if self.state == "Open" or t < self.work_until:
                return False
            return all(b.state_at(t) in ("Completed", "Failed", "NotProcessed") for b in self.batches)
        return self.terminal

    def advance(self, t: float, store: Store) -> None:
        if self.api == "classic":
            while self.ending and self.ending[0][0] <= t:  # batches in the order they finish
                _, _, batch = heapq.heappop(self.ending)
                if batch.committed or batch.state_at(t) not in ("Completed", "Failed"):
                    continue
                batch.committed = True
                self.modstamp = max(self.modstamp, batch.plan.end() or t)
                if batch.plan.outcomes is not None:
                    for result in batch.plan.outcomes[: batch.processed_at(t)]:
                        store.apply(self.object, self.operation, result)
            return
        plan = self.plan
        if plan is None or self.terminal:
            return
        if self.state == "UploadComplete" and plan.start is not None and t >= plan.start:
            self.state = "InProgress"
        if self.state == "InProgress":
            end = plan.end()
            if end is not None and t >= end:
                self.finished_at = end
                self.modstamp = end
                if plan.fail_at is not None:
                    self.state = "Failed"
                    self.error_message = plan.fail_message
                else:
                    self.state = "JobComplete"
                if plan.outcomes is not None and not self.committed:
                    self.committed = True
                    for result in plan.outcomes[: plan.processed_at(end)]:
                        store.apply(self.object, self.operation, result)
            else:
                self.modstamp = t

    def schedule_batch(self, batch: Batch, t: float) -> None:
        """Queue a Bulk 1.0 batch behind the job's parallel slots."""
        start = max(t + self.queue_delay, heapq.heappop(self.slots))
        batch.plan.start = start
        end = batch.plan.end() or start
        heapq.heappush(self.slots, end)
        heapq.heappush(self.ending, (end, id(batch), batch))
        self.work_until = max(self.work_until, end)

    # --- views -----------------------------------------------------------------------------

    def counts(self, t: float) -> dict[str, int]:
        if self.api == "classic":
            states = [b.state_at(t) for b in self.batches]
            processed = sum(b.processed_at(t) for b in self.batches)
            failed = sum(b.plan.failed_upto(b.processed_at(t)) for b in self.batches)
            elapsed = 0
            apex = 0
            for b in self.batches:
                info = b.info(t, "json")
                elapsed += info["totalProcessingTime"]
                apex += info["apexProcessingTime"]
            return {
                "numberBatchesQueued": states.count("Queued"),
                "numberBatchesInProgress": states.count("InProgress"),
                "numberBatchesCompleted": states.count("Completed"),
                "numberBatchesFailed": states.count("Failed"),
                "numberBatchesTotal": len(states),
                "numberRecordsProcessed": processed,
                "numberRecordsFailed": failed,
                "totalProcessingTime": elapsed,
                "apiActiveProcessingTime": int(elapsed * 0.86),
                "apexProcessingTime": apex,
            }
        plan = self.plan
        if plan is None:
            zero = ("numberRecordsProcessed", "numberRecordsFailed", "retries", "totalProcessingTime")
            return dict.fromkeys((*zero, "apiActiveProcessingTime", "apexProcessingTime"), 0)
        until = min(t, self.finished_at) if self.finished_at is not None else t
        processed = plan.processed_at(until)
        elapsed_ms = int(max(0.0, until - plan.start) * 1000) if plan.start is not None else 0
        active = int(elapsed_ms * 0.86)
        return {
            "numberRecordsProcessed": processed,
            "numberRecordsFailed": plan.failed_upto(processed),
            "retries": int(elapsed_ms / 1000 / self.retries_every) if self.retries_every else 0,
            "totalProcessingTime": elapsed_ms,
            "apiActiveProcessingTime": active,
            "apexProcessingTime": int(active * plan.apex_share),
        }

    def v2_info(self, t: float, listing: bool = False) -> dict[str, Any]:
        version = float(self.api_version)
        out: dict[str, Any] = {
            "id": self.id,
            "operation": self.operation,
            "object": self.object,
            "createdById": self.created_by,
            "createdDate": sf_date(self.created),
            "systemModstamp": sf_date(self.modstamp),
            "state": self.state,
        }
        if self.external_id and self.api == "ingest":
            out["externalIdFieldName"] = self.external_id
        out.update({"concurrencyMode": self.concurrency_mode, "contentType": self.content_type, "apiVersion": version})
        out["jobType"] = self.job_type
        if self.api == "classic":
            return out  # Bulk 1.0 rows in a listing carry no CSV fields
        if self.api == "ingest" and (listing or self.state == "Open"):
            out["contentUrl"] = f"services/data/v{self.api_version}/jobs/ingest/{self.id}/batches"
        out["lineEnding"] = self.line_ending
        out["columnDelimiter"] = self.column_delimiter
        if listing:
            return out
        counts = self.counts(t)
        if self.api == "query":
            out["numberRecordsProcessed"] = counts["numberRecordsProcessed"]
            out["retries"] = counts.get("retries", 0)
            out["totalProcessingTime"] = counts["totalProcessingTime"]
            out["isPkChunkingSupported"] = self.object.lower() in ("account", "contact", "lead", "opportunity", "case")
        else:
            if self.state != "Open":  # the docs' Open example carries no record counts
                out["numberRecordsProcessed"] = counts["numberRecordsProcessed"]
                out["numberRecordsFailed"] = counts["numberRecordsFailed"]
            out["retries"] = counts.get("retries", 0)
            out["totalProcessingTime"] = counts["totalProcessingTime"]
            out["apiActiveProcessingTime"] = counts["apiActiveProcessingTime"]
            out["apexProcessingTime"] = counts["apexProcessingTime"]
        if self.error_message:
            out["errorMessage"] = self.error_message
        return out

    def v1_info(self, t: float, style: str) -> dict[str, Any]:
        counts = self.counts(t)
        modstamp = max([self.modstamp] + [min(t, b.plan.end() or 0.0) for b in self.batches if b.plan.start])
        out: dict[str, Any] = {
            "id": self.id,
            "operation": self.operation,
            "object": self.object,
            "createdById": self.created_by,
            "createdDate": sf_date(self.created, style),
            "systemModstamp": sf_date(max(self.created, modstamp), style),
            "state": self.state,
        }
        if self.external_id:
            out["externalIdFieldName"] = self.external_id
        out["concurrencyMode"] = self.concurrency_mode
        out["contentType"] = self.content_type
        for key in (
            "numberBatchesQueued",
            "numberBatchesInProgress",
            "numberBatchesCompleted",
            "numberBatchesFailed",
            "numberBatchesTotal",
            "numberRecordsProcessed",
        ):
            out[key] = counts[key]
        out["numberRetries"] = 0
        out["apiVersion"] = float(self.api_version) if style == "json" else self.api_version
        for key in ("numberRecordsFailed", "totalProcessingTime", "apiActiveProcessingTime", "apexProcessingTime"):
            out[key] = counts[key]
        return out


class World:
    """Every job of the simulated org, the sObject store, API usage, and the ids handed out."""

    def __init__(
        self,
        clock: Clock,
        seed: int = 7,
        api_version: str = "66.0",
        spawn_every: float = 0.0,
        retention: float = RETENTION_S,
    ) -> None:
        self.retention = retention  # finished jobs leave the org this long after their last change
        self.production = False  # Organization.IsSandbox is its opposite
        self.clock = clock
        self.rng = random.Random(seed)
        self.seed = seed
        self.api_version = api_version
        self.store = Store()
        self.jobs: dict[str, Job] = {}
        self.live: set[str] = set()  # jobs that may still change: the only ones advance() touches
        self._swept = -math.inf
        self.lock = threading.RLock()
        self.api_used = 18_000 + self.rng.randint(0, 4000)
        self.api_max = 100_000
        self.batches_max = 15_000
        self.user_id = salesforce_id("005", 77)
        self.username = "ops@sfmonitor.sim"
        self._serial = 0
        self.spawn_every = spawn_every
        self._next_spawn = clock.now() + spawn_every if spawn_every else math.inf
        self.spawner: Callable[[World, float], None] | None = None

    def next_id(self, prefix: str) -> str:
        self._serial += 1
        return salesforce_id(prefix, 90_000 + self._serial)

    def advance(self) -> float:
        """Bring the org up to now: only live jobs move; retention is swept once a simulated minute."""
        t = self.clock.now()
        while self._next_spawn <= t and self.spawner is not None:
            self.spawner(self, self._next_spawn)
            self._next_spawn += self.spawn_every * (0.5 + self.rng.random())
        for job_id in list(self.live):
            job = self.jobs.get(job_id)
            if job is None:
                self.live.discard(job_id)
                continue
            job.advance(t, self.store)
            if job.done_at(t):
                self.live.discard(job_id)
        if t - self._swept >= 60.0:
            self._swept = t
            for job_id in [j.id for j in self.jobs.values() if t - j.modstamp > self.retention and j.done_at(t)]:
                self.remove(job_id)
        return t

    def add(self, job: Job) -> Job:
        self.jobs[job.id] = job
        self.live.add(job.id)
        return job

    def remove(self, job_id: str) -> None:
        self.jobs.pop(job_id, None)
        self.live.discard(job_id)

    def iter_jobs(self, kinds: tuple[str, ...]) -> Iterator[Job]:
        for job in self.jobs.values():
            if job.job_type in kinds:
                yield job

    def batches_used(self, t: float) -> int:
        count = 0
        for job in self.jobs.values():
            if job.api == "classic":
                count += sum(1 for b in job.batches if t - b.created < 86_400)
            elif job.api == "ingest" and job.plan is not None and t - job.created < 86_400:
                count += math.ceil(job.plan.total / 10_000) if job.plan.total else 0
        return count

    def query_rows(self, soql: Soql) -> list[dict[str, str]]:
        return run_query(self.store, soql)
