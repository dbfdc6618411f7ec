"""Scale benchmark: the dashboard against an org of 20,000 jobs and a 15,000-batch Bulk 1.0 job.

Run: ``.venv/bin/python benchmarks/scale.py [--jobs 20000] [--batches 15000]``. Prints the time to
the first screen, the event loop's worst stall (how long a key could wait), poll cycle times, the
filter's response, and memory. Numbers, not asserts: a benchmark to rerun, not a timed test.
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import time

from sfmonitor.config import Settings
from sfmonitor.connection import ConnectionOptions
from sfmonitor.simulator.bulk import add_finished_ingest_jobs, add_giant_classic_job
from sfmonitor.simulator.server import Simulator
from sfmonitor.ui.app import SfMonitorApp
from sfmonitor.ui.screens.detail import JobDetailScreen
from sfmonitor.ui.widgets.keyed_table import KeyedTable


async def run(jobs: int, batches: int, seconds: float) -> None:
    with Simulator(speed=1, spawn_every=0) as sim:
        add_finished_ingest_jobs(sim.world, jobs)
        giant = add_giant_classic_job(sim.world, batches)
        options = ConnectionOptions(instance_url=sim.base_url, access_token=sim.token)
        app = SfMonitorApp(options, Settings(interval=5.0))
        lags: list[float] = []
        started = time.perf_counter()
        async with app.run_test(size=(120, 40)) as pilot:
            first_screen = None
            end = started + seconds
            while time.perf_counter() < end:
                t = time.perf_counter()
                await asyncio.sleep(0.02)
                lags.append(time.perf_counter() - t - 0.02)
                if first_screen is None and app.jobs:
                    first_screen = time.perf_counter() - started
            table = app.screen.query_one("#jobs", KeyedTable)
            t = time.perf_counter()
            await pilot.press("slash", *giant[-6:], "enter")
            await pilot.pause()
            filtered = time.perf_counter() - t
            await pilot.press("enter")
            while not isinstance(app.screen, JobDetailScreen):
                await pilot.pause(0.05)
            batch_table = app.screen.query_one("#batches", KeyedTable)
            while batch_table.row_count == 0:
                await pilot.pause(0.05)
            lags.sort()
            print(f"org: {len(app.jobs):,} jobs; giant Bulk 1.0 job with {batches:,} batches")
            print(f"first screen after {first_screen:.1f} s; jobs table rows {table.row_count:,} (capped)")
            print(f"event loop stall over {seconds:.0f} s: p50 {lags[len(lags) // 2] * 1000:.0f} ms, "
                  f"p99 {lags[int(len(lags) * 0.99)] * 1000:.0f} ms, worst {lags[-1] * 1000:.0f} ms")  # fmt: skip
            print(f"filter to the giant job: {filtered:.2f} s; its batch table rows {batch_table.row_count:,} (capped)")
            print(f"requests so far {app.service.transport.requests_made if app.service else 0:,}; "
                  f"finished jobs still to backfill {len(app.poller.unread) if app.poller else 0:,}")  # fmt: skip
            print(f"max RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024} MB (simulator included)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--jobs", type=int, default=20_000)
    parser.add_argument("--batches", type=int, default=15_000)
    parser.add_argument("--seconds", type=float, default=20.0)
    args = parser.parse_args()
    asyncio.run(run(args.jobs, args.batches, args.seconds))


if __name__ == "__main__":
    main()
