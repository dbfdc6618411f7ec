"""Failures benchmark: a Bulk 2.0 job whose failure file holds 1,000,000 rows, read in the dashboard.

Run: ``.venv/bin/python benchmarks/failures.py [--rows 1000000]``. The simulator runs in its own
process and makes the file as it sends it; the app runs here, headless, opens Failures on the job
and, while the file is read, moves the cursor in the groups table as an operator would. Prints the
time to the first groups, the total time, the peak memory beyond the app's before the read (RSS,
sampled), and the key latency while reading. Numbers, not asserts.
"""

from __future__ import annotations

import argparse
import asyncio
import threading
import time

from simulator_process import rss_mb, start_simulator
from textual.events import Key

from sfmonitor.config.connection import ConnectionOptions
from sfmonitor.config.settings import Settings
from sfmonitor.ui.app import SfMonitorApp
from sfmonitor.ui.screens.failures import FailuresScreen


async def run(rows: int) -> None:
    sim, env = start_simulator("--spawn-every", "0", "--failure-rows", str(rows))
    try:
        options = ConnectionOptions(instance_url=env["SF_INSTANCE_URL"], access_token=env["SF_ACCESS_TOKEN"])
        app = SfMonitorApp(options, Settings(interval=5.0))
        async with app.run_test(size=(120, 40)) as pilot:
            while not app.org.state.polls_done:
                await pilot.pause(0.05)
            job = max(app.org.state.jobs.values(), key=lambda j: j.number_records_failed or 0)
            assert (job.number_records_failed or 0) >= rows, "the big failure job is not in the org"
            await pilot.pause(0.5)
            baseline = rss_mb()
            peak = [baseline]
            done = threading.Event()

            def sample() -> None:
                while not done.wait(0.05):
                    peak[0] = max(peak[0], rss_mb())

            sampler = threading.Thread(target=sample, daemon=True)
            sampler.start()
            started = time.perf_counter()
            app.open_failures(job.id, app.org.key)
            report = app.org.failure_report(job)
            first = None
            keys: list[float] = []  # how long a key waits: the event loop's lag, sampled every 20 ms
            direction = "down"
            moved = 0
            while report.reading or not (report.complete or report.error):
                if first is None and report.groups:
                    first = time.perf_counter() - started
                t = time.perf_counter()
                await asyncio.sleep(0.02)
                keys.append(time.perf_counter() - t - 0.02)
                if isinstance(app.screen, FailuresScreen) and report.groups and len(keys) % 10 == 0:
                    app.screen.query_one("#groups").post_message(Key(direction, None))  # a cursor move, queued
                    direction = "up" if direction == "down" else "down"
                    moved += 1
            total = time.perf_counter() - started
            done.set()
            sampler.join()
            keys.sort()
            print(f"failure file: {report.rows_read:,} rows, {report.bytes_read / 2**20:,.0f} MB; "
                  f"{len(report.groups)} groups; error: {report.error or 'none'}")  # fmt: skip
            print(f"first groups after {first or total:.2f} s; whole file read in {total:.1f} s "
                  f"({report.rows_read / total:,.0f} rows/s)")  # fmt: skip
            print(f"peak memory beyond the app's before the read: {peak[0] - baseline:.1f} MB "
                  f"(RSS {baseline:.0f} -> {peak[0]:.0f} MB; budget 50 MB)")  # fmt: skip
            if keys:
                print(f"event loop lag while reading ({moved} cursor moves among {len(keys)} samples): "
                      f"p50 {keys[len(keys) // 2] * 1000:.0f} ms, "
                      f"p99 {keys[int(len(keys) * 0.99)] * 1000:.0f} ms, worst {keys[-1] * 1000:.0f} ms "
                      "(budget 100)")  # fmt: skip
    finally:
        sim.terminate()
        sim.wait(timeout=10)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000)
    asyncio.run(run(parser.parse_args().rows))


if __name__ == "__main__":
    main()
