"""benchmarks/history.py, step 2: what handing a poll to the history writer costs the event loop.

The caller's side is :meth:`Recording.poll` (a tuple and a queue put); the writing happens on the
recording's thread, which shares the interpreter lock with the loop. So two figures: the call's own
time, and the loop's lag (how late a 1 ms timer fires) while the thread writes, against the same loop
with no recording at all. The polls are paced as a dashboard's are (one, then the loop idles).
"""

from __future__ import annotations

import asyncio
import tempfile
import time
from pathlib import Path
from statistics import quantiles

from history_mix import plans

from sfmonitor.bulk.models import Job
from sfmonitor.store import recording as recording_module
from sfmonitor.store.recording import Recording
from sfmonitor.store.writer import Writer

END = 1_796_000_000.0


class TimedWriter(Writer):
    """The real writer, its poll timed (informational: the thread's time, not the loop's)."""

    times: list[float] = []

    def poll(self, org: str, jobs: object, at: float) -> int:
        started = time.perf_counter()
        try:
            return super().poll(org, jobs, at)  # type: ignore[arg-type]
        finally:
            TimedWriter.times.append(time.perf_counter() - started)


def pct(values: list[float], q: int) -> float:
    """The q-th percentile, in ms."""
    return quantiles(values, n=100, method="inclusive")[q - 1] * 1000 if len(values) > 1 else values[0] * 1000


def running_jobs(count: int, reads: int) -> list[list[Job]]:
    """``count`` long running jobs read ``reads`` times, 5 s apart: every read changes their counts."""
    chosen = [p for p in plans(20_000, END, 30) if p.end - p.start > 3600][:count]
    return [[p.job(p.start + 60 + n * 5.0) for p in chosen] for n in range(reads)]


def first_poll(count: int) -> list[Job]:
    """An org's ``count`` jobs as a first poll reads them (most ended, a few running)."""
    return [p.job(min(p.end + 1, p.created + 600)) for p in plans(count, END, 3)]


async def probe(stop: asyncio.Event, lags: list[float]) -> None:
    while not stop.is_set():
        asked = time.perf_counter()
        await asyncio.sleep(0.001)
        lags.append(time.perf_counter() - asked - 0.001)


async def run(polls: list[tuple[str, list[Job], float]], gap: float, record: bool) -> tuple[list[float], list[float]]:
    """Hand each poll over, then idle ``gap`` s (a 1 ms timer measuring the loop's lag); the calls' times
    and the lags. ``record``: False runs the same loop with no recording, to compare."""
    calls: list[float] = []
    lags: list[float] = []
    with tempfile.TemporaryDirectory(prefix="sfmonitor-history-") as folder:
        recording = Recording(Path(folder) / "h.sqlite3") if record else None
        stop = asyncio.Event()
        await asyncio.sleep(0.2)  # the file opened
        prober = asyncio.create_task(probe(stop, lags))
        for org, jobs, at in polls:
            started = time.perf_counter()
            if recording is not None:
                recording.poll(org, jobs, at)
            calls.append(time.perf_counter() - started)
            await asyncio.sleep(gap)
        stop.set()
        await prober
        if recording is not None:
            assert recording.flush(120) and recording.fault is None, recording.fault
            recording.close()
    return calls, lags


async def poll_cost() -> None:
    recording_module.Writer = TimedWriter  # type: ignore[misc]  # the thread's time, for the record
    ended = [job for job in first_poll(2000) if job.finished][:1980]  # the same objects each poll, as the poller's
    cases = (
        ("20 changed running jobs", [("prod", jobs, END + n * 5.0) for n, jobs in enumerate(running_jobs(20, 400))],
         0.05),
        ("2,000 jobs, 20 of them changed", [("prod", ended + jobs, END + n * 5.0) for n, jobs in
                                            enumerate(running_jobs(20, 200))], 0.1),
        ("first poll of 2,000 jobs", [(f"org{n}", first_poll(2000), END) for n in range(40)], 0.5),
    )  # fmt: skip
    for name, polls, gap in cases:
        TimedWriter.times = []
        calls, lags = await run(polls, gap, record=True)
        written = list(TimedWriter.times)
        _, quiet = await run(polls, gap, record=False)
        # the loop's timers' lateness over the run, beyond the same run's with no recording, per poll
        added = (sum(lags) - sum(quiet) / len(quiet) * len(lags)) / len(polls) * 1000
        print(f"POLL {name}: {len(polls)} polls, one every {gap * 1000:.0f} ms; Recording.poll() p50 "
              f"{pct(calls, 50):.3f} ms, p99 {pct(calls, 99):.3f} ms, max {max(calls) * 1000:.3f} ms; 1 ms timer late "
              f"p50/p99 {pct(lags, 50):.2f}/{pct(lags, 99):.2f} ms (no recording: {pct(quiet, 50):.2f}/"
              f"{pct(quiet, 99):.2f}), {added:+.2f} ms a poll in all; the thread's write p50 {pct(written, 50):.1f} "
              f"ms, p99 {pct(written, 99):.1f} ms")  # fmt: skip
