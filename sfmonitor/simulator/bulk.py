"""A huge org on demand, for scale tests and benchmarks: many finished jobs, one giant Bulk 1.0 job, one
job with a huge failure file (built by the one recipe, recipe.py)."""

from __future__ import annotations

from .recipe import BatchSpec, classic_job, ingest_job
from .world import Plan, World


def add_finished_ingest_jobs(world: World, count: int) -> None:
    """``count`` completed Bulk 2.0 ingest jobs spread over the last hours."""
    with world.lock:
        now = world.clock.now()
        for i in range(count):
            created = now - 3600 - i
            ingest_job(world, now, created=created, total=1000 + i % 5000, rate=1000, start=created + 1,
                       object="Account")  # fmt: skip


def add_giant_classic_job(world: World, batches: int) -> str:
    """A Closed Bulk 1.0 job with ``batches`` batches, most still queued: its id."""
    with world.lock:
        now = world.clock.now()
        specs = [BatchSpec(Plan(total=200, rate=2)) for _ in range(batches)]
        return classic_job(world, now, created=now - 600, batches=specs, object="Account").id


def add_failure_file_job(world: World, rows: int) -> str:
    """A completed Bulk 2.0 ingest job whose ``rows`` rows all failed (a huge ``failedResults/``): its id."""
    with world.lock:
        now = world.clock.now()
        created = now - 7200
        job = ingest_job(world, now, created=created, total=rows, rate=max(1.0, rows / 600), start=created + 5,
                         fail_permille=1000)  # fmt: skip
        return job.id
