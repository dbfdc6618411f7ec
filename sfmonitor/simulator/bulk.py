"""A huge org on demand, for scale tests and benchmarks: many finished jobs, one giant Bulk 1.0 job, one
job with a huge failure file."""

from __future__ import annotations

from .world import Batch, Job, Plan, World


def add_finished_ingest_jobs(world: World, count: int) -> None:
    """``count`` completed Bulk 2.0 ingest jobs spread over the last hours."""
    with world.lock:
        now = world.clock.now()
        for i in range(count):
            job = Job(
                id=world.next_id("750"), api="ingest", object="Account", operation="insert",
                created=now - 3600 - i, api_version="66.0", created_by=world.user_id, state="UploadComplete",
            )  # fmt: skip
            job.plan = Plan(total=1000 + i % 5000, rate=1000, start=job.created + 1)
            job.advance(now, world.store)
            world.add(job)


def add_giant_classic_job(world: World, batches: int) -> str:
    """A Closed Bulk 1.0 job with ``batches`` batches, most still queued: its id."""
    with world.lock:
        now = world.clock.now()
        job = Job(
            id=world.next_id("750"), api="classic", object="Account", operation="insert", created=now - 600,
            api_version="58.0", created_by=world.user_id, state="Closed",
        )  # fmt: skip
        for _ in range(batches):
            batch = Batch(id=world.next_id("751"), job=job, created=job.created, plan=Plan(total=200, rate=2))
            job.schedule_batch(batch, job.created)
            job.batches.append(batch)
        world.add(job)
        return job.id


def add_failure_file_job(world: World, rows: int) -> str:
    """A completed Bulk 2.0 ingest job whose ``rows`` rows all failed (a huge ``failedResults/``): its id."""
    with world.lock:
        now = world.clock.now()
        job = Job(
            id=world.next_id("750"), api="ingest", object="Contact", operation="insert", created=now - 7200,
            api_version="66.0", created_by=world.user_id, state="UploadComplete",
        )  # fmt: skip
        job.plan = Plan(total=rows, rate=max(1.0, rows / 600), start=job.created + 5, fail_permille=1000)
        job.uploaded = True
        job.advance(now, world.store)
        world.add(job)
        return job.id
