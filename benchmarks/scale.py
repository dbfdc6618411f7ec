"""Scale benchmark: the dashboard against an org of 20,000 jobs and a 15,000-batch Bulk 1.0 job.

Run: ``.venv/bin/python benchmarks/scale.py [--jobs 20000] [--batches 15000]``. The simulator runs
in its own process; the app runs here, headless. Prints the time to the first screen, the main
thread's time to apply each poll (the handler that takes a snapshot and redraws), the event loop's
stalls (how long a key could wait; re-listing cycles included), the filter's response, and memory.
Numbers, not asserts: a benchmark to rerun, not a timed test. ``tmux_scale.py`` measures the
first screen and key latency in a real terminal.
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import time
from statistics import median

from simulator_process import start_simulator

from sfmonitor.config.connection import ConnectionOptions
from sfmonitor.config.settings import Settings
from sfmonitor.ui.app import SfMonitorApp
from sfmonitor.ui.screens.detail import JobDetailScreen
from sfmonitor.ui.widgets.keyed_table import KeyedTable


async def run(jobs: int, batches: int, seconds: float) -> None:
    sim, env = start_simulator("--spawn-every", "0", "--extra-jobs", str(jobs), "--giant-batches", str(batches))
    try:
        options = ConnectionOptions(instance_url=env["SF_INSTANCE_URL"], access_token=env["SF_ACCESS_TOKEN"])
        app = SfMonitorApp(options, Settings(interval=5.0))
        applies: list[float] = []
        # a poll is applied by the state taking the snapshot, the history recording it, and the redraw
        polled, record, render = app.org.state.polled, app.org.history.record, app.render_view
        pending = [0.0]

        def timed_polled(*a: object, **k: object) -> None:
            t = time.perf_counter()
            polled(*a, **k)  # type: ignore[arg-type]
            pending[0] = time.perf_counter() - t

        def timed_record(*a: object, **k: object) -> None:
            t = time.perf_counter()
            record(*a, **k)  # type: ignore[arg-type]
            pending[0] += time.perf_counter() - t

        def timed_render() -> None:
            t = time.perf_counter()
            render()
            if pending[0]:
                applies.append(pending[0] + time.perf_counter() - t)
                pending[0] = 0.0

        app.org.state.polled = timed_polled  # type: ignore[method-assign]
        app.org.history.record = timed_record  # type: ignore[method-assign]
        app.render_view = timed_render  # type: ignore[method-assign]
        lags: list[float] = []
        started = time.perf_counter()
        async with app.run_test(size=(120, 40)) as pilot:
            first_screen = None
            end = started + seconds
            while time.perf_counter() < end:
                t = time.perf_counter()
                await asyncio.sleep(0.02)
                lags.append(time.perf_counter() - t - 0.02)
                if first_screen is None and app.org.state.polls_done:
                    first_screen = time.perf_counter() - started
            giant = next(j.id for j in app.org.state.jobs.values() if j.number_batches_total == batches)
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
            print(f"org: {len(app.org.state.jobs):,} jobs; giant Bulk 1.0 job with {batches:,} batches")
            print(f"first poll complete after {first_screen:.1f} s (rows of the first listing page show before)")
            print(f"event loop stall over {seconds:.0f} s: p50 {lags[len(lags) // 2] * 1000:.0f} ms, "
                  f"p99 {lags[int(len(lags) * 0.99)] * 1000:.0f} ms, worst {lags[-1] * 1000:.0f} ms")  # fmt: skip
            print(f"filter to the giant job: {filtered:.2f} s; its batch table rows {batch_table.row_count:,} (capped)")
            org = app.org
            made = org.service.transport.requests_made if org.service else 0
            unread = len(org.poller.unread) if org.poller else 0
            print(f"requests so far {made:,}; finished jobs still to backfill {unread:,}")
            steady = applies[2:] or applies
            print(f"poll applied on the main thread: first {applies[0] * 1000:.0f} ms; then median "
                  f"{median(steady) * 1000:.0f} ms, worst {max(steady) * 1000:.0f} ms over {len(steady)} polls "
                  "(budget 30 ms)")  # fmt: skip
            print(f"max RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024} MB (dashboard only)")
    finally:
        sim.terminate()
        sim.wait(timeout=10)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--jobs", type=int, default=20_000)
    parser.add_argument("--batches", type=int, default=15_000)
    parser.add_argument("--seconds", type=float, default=20.0)
    args = parser.parse_args()
    asyncio.run(run(args.jobs, args.batches, args.seconds))


if __name__ == "__main__":
    main()
