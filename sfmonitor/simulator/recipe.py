"""The one recipe for a job that is in the org already, not made by a client's requests: the seeded
org's week of work (seed.py), the scale extras (bulk.py) and the tests' own jobs are all built here,
the same way: the job, its work planned, brought up to ``now``, added to the world. (A client's jobs
are made by its requests, in api/.) Call under ``world.lock``."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from .records import RowResult
from .world import Batch, Job, Plan, World


def ingest_job(
    world: World,
    now: float,
    *,
    created: float,
    total: int,
    rate: float,
    start: float | None = None,
    object: str = "Contact",
    operation: str = "insert",
    state: str = "UploadComplete",
    api_version: str = "66.0",
    created_by: str = "",
    queue_delay: float = 5.0,
    fail_permille: int = 0,
    outcomes: list[RowResult] | None = None,
    fail_at: float | None = None,
    fail_message: str = "",
    apex_share: float = 0.0,
    retries_every: float = 0.0,
    external_id: str = "",
) -> Job:
    """A Bulk 2.0 ingest job: ``Open`` (no data yet), or its data uploaded and processed from ``start``
    (default: ``queue_delay`` after it was created) at ``rate`` rows a simulated second. Its rows fare
    as ``outcomes`` say, else ``fail_permille`` of them fail; with ``fail_at`` the whole job fails that
    far into its work, saying ``fail_message``."""
    job = Job(id=world.next_id("750"), api="ingest", object=object, operation=operation, created=created,
              api_version=api_version, created_by=created_by or world.user_id, state=state, queue_delay=queue_delay,
              retries_every=retries_every, external_id=external_id)  # fmt: skip
    if state == "Open":
        return world.add(job)
    job.plan = Plan(total=total, rate=rate, start=created + queue_delay if start is None else start,
                    fail_permille=fail_permille, outcomes=outcomes, fail_at=fail_at, fail_message=fail_message,
                    apex_share=apex_share)  # fmt: skip
    job.uploaded = True
    job.state = "UploadComplete"
    job.advance(now, world.store)
    return world.add(job)


def query_job(
    world: World,
    now: float,
    *,
    created: float,
    object: str,
    query: str,
    total: int,
    rate: float,
    operation: str = "query",
    api_version: str = "66.0",
    created_by: str = "",
    queue_delay: float = 5.0,
) -> Job:
    """A Bulk 2.0 query job finding ``total`` rows, read from ``queue_delay`` after it was created."""
    job = Job(id=world.next_id("750"), api="query", object=object, operation=operation, created=created,
              api_version=api_version, created_by=created_by or world.user_id, state="UploadComplete", query=query,
              queue_delay=queue_delay)  # fmt: skip
    job.plan = Plan(total=total, rate=rate, start=created + queue_delay)
    job.advance(now, world.store)
    return world.add(job)


@dataclass
class BatchSpec:
    """A Bulk 1.0 batch of a prepared job: its work, when it was added (default: with the job), and
    for a query its request and result files; ``not_processed``: the original batch of a PK-chunked
    query, which the chunks' batches do the work of."""

    plan: Plan
    added: float | None = None
    data: bytes = b""
    results: int = 0
    not_processed: bool = False


def classic_job(
    world: World,
    now: float,
    *,
    created: float,
    batches: Sequence[BatchSpec],
    object: str = "Contact",
    operation: str = "insert",
    state: str = "Closed",
    api_version: str = "58.0",
    created_by: str = "",
    content_type: str = "CSV",
    queue_delay: float = 5.0,
    serial: bool = False,
    external_id: str = "",
    pk_chunk_size: int = 0,
) -> Job:
    """A Bulk 1.0 job whose batches were added as given, each queued behind the job's parallel slots
    (one slot, in turn, if ``serial``), in ``state`` (Open: more batches may come; Closed)."""
    job = Job(id=world.next_id("750"), api="classic", object=object, operation=operation, created=created,
              api_version=api_version, created_by=created_by or world.user_id, content_type=content_type,
              state="Open", external_id=external_id, queue_delay=queue_delay, pk_chunk_size=pk_chunk_size,
              concurrency_mode="Serial" if serial else "Parallel")  # fmt: skip
    if serial:
        job.slots = [created]
    for spec in batches:
        added = created if spec.added is None else spec.added
        batch = Batch(id=world.next_id("751"), job=job, created=added, plan=spec.plan, data=spec.data,
                      content_type=content_type)  # fmt: skip
        if spec.not_processed:
            batch.override, batch.override_at = "NotProcessed", added
        else:
            batch.result_ids = [world.next_id("752") for _ in range(spec.results)]
            job.schedule_batch(batch, added)
        job.batches.append(batch)
    job.state = state
    job.advance(now, world.store)
    return world.add(job)
