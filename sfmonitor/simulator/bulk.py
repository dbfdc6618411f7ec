"""A huge org on demand, for scale tests and benchmarks: many finished jobs, one giant Bulk 1.0 job, one
job with a huge failure file (built by the one recipe, recipe.py); a failure file of millions of tiny rows."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from .api import CSV, Reply
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


Rewrite = Callable[[str, str, str, Reply], Reply]


def tiny_rows_failure_file(job_id: str, rows: int, error: str = "UNKNOWN_EXCEPTION:x") -> Rewrite:
    """A fault for ``api.rewrite``: the job's ``failedResults/`` answered with ``rows`` rows of a few
    bytes each, made as they are sent and gzipped on the way when asked (the server does): millions of
    rows in a few hundred KB on the wire, as a hostile or broken org could send."""
    line = f",{error},a\n".encode()
    piece = line * max(1, 65_536 // len(line))
    per_piece = len(piece) // len(line)

    def pieces() -> Iterator[bytes]:
        yield b"sf__Id,sf__Error,Name\n"
        left = rows
        while left > 0:
            yield piece if left >= per_piece else line * left
            left -= per_piece

    def rewrite(method: str, path: str, query: str, reply: Reply) -> Reply:
        if job_id in path and path.rstrip("/").endswith("/failedResults") and reply.status == 200:
            return Reply(200, content_type=CSV, stream=pieces())
        return reply

    return rewrite
