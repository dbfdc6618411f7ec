"""Failures soak: the dashboard opening the failures of many jobs, again and again.

Run: ``.venv/bin/python benchmarks/failures_soak.py [--rounds 3] [--jobs 40] [--rows 20000]``. The
simulator runs in its own process with ``--jobs`` finished Bulk 2.0 jobs whose every row failed
(``--rows`` each, spread over the error mix); the real app runs here, headless, and for each round
opens Failures on every one of them, waits until the report is read, and goes back. Prints this
process's RSS at the start, after each round and at the end, with the rows and estimated bytes the
session keeps (its bounded store) and the reports dropped so far; to compare, ``--unbounded`` keeps
every report and ``--thawed`` never freezes the heap (ui/gc_pauses freezes what survives a full
collection and thaws it every 10 minutes: a closed view is cyclic garbage that waits for the thaw).
Numbers, not asserts; every loop is bounded.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import time

from simulator_process import rss_mb, start_simulator

from sfmonitor.bulk.failures import FailedRow, FailureReport
from sfmonitor.config.connection import ConnectionOptions
from sfmonitor.config.settings import Settings
from sfmonitor.ui.app import SfMonitorApp
from sfmonitor.ui.screens.failures import FailuresScreen

READ_WAIT_S = 60.0  # the most one report may take to read before the soak moves on


def live(*kinds: type) -> str:
    """How many objects of each kind are alive (a report, a view or a row kept by mistake shows here)."""
    counts = dict.fromkeys(kinds, 0)
    for thing in gc.get_objects():
        for kind in kinds:
            if isinstance(thing, kind):
                counts[kind] += 1
    return ", ".join(f"{counts[k]:,} {k.__name__}" for k in kinds)


async def soak(rounds: int, jobs: int, rows: int, unbounded: bool, max_mb: float | None, thawed: bool) -> None:
    sim, env = start_simulator("--spawn-every", "0", "--failure-rows", str(rows), "--failure-jobs", str(jobs))
    try:
        options = ConnectionOptions(instance_url=env["SF_INSTANCE_URL"], access_token=env["SF_ACCESS_TOKEN"])
        app = SfMonitorApp(options, Settings(interval=5.0))
        async with app.run_test(size=(120, 40)) as pilot:
            while not app.org.state.polls_done:
                await pilot.pause(0.05)
            failing = sorted(
                (
                    j
                    for j in app.org.state.jobs.values()
                    if j.finished and (j.number_records_failed or 0) and j.kind.value.endswith("ingest")
                ),
                key=lambda j: -(j.number_records_failed or 0),
            )
            failing = failing[:jobs]  # fmt: skip
            if thawed:  # to compare: no freezing of what survives a full collection (ui/gc_pauses)
                app._collector.uninstall()
            if unbounded:  # as before the store had bounds: every report kept for the session
                app.org.failures.max_rows = app.org.failures.max_bytes = 2**62
            elif max_mb is not None:
                app.org.failures.max_bytes = int(max_mb * 2**20)
            gc.collect()
            start = rss_mb()
            print(f"{len(failing)} jobs with failures; RSS at start {start:.0f} MB")
            started = time.monotonic()
            for n in range(1, rounds + 1):
                unread = 0
                for job in failing:
                    app.open_failures(job.id, app.org.key)
                    report = app.org.failure_report(job)
                    ends = time.monotonic() + READ_WAIT_S
                    await pilot.pause(0.05)
                    while (report.reading or not (report.complete or report.error or report.marks)) and (
                        time.monotonic() < ends
                    ):
                        await pilot.pause(0.05)
                    unread += not report.complete
                    if isinstance(app.screen, FailuresScreen):
                        app.pop_screen()
                    await pilot.pause(0.01)
                store = app.org.failures
                print(f"round {n}: RSS {rss_mb():.0f} MB; kept {len(store)} reports, {store.rows:,} rows, "
                      f"~{store.size / 2**20:.1f} MB; dropped so far {store.dropped}; not whole {unread}; "
                      f"{time.monotonic() - started:.0f} s")  # fmt: skip
            end = rss_mb()
            # the app freezes what survives a full collection, and thaws it every 10 minutes (ui/gc_pauses):
            # cyclic garbage made meanwhile waits for the thaw; this is what the thaw leaves
            app._collector.uninstall()
            gc.collect()
            alive = live(FailureReport, FailuresScreen, FailedRow)
            print(f"RSS at start {start:.0f} MB, at end {end:.0f} MB ({end - start:+.0f} MB); after the next thaw "
                  f"{rss_mb():.0f} MB; alive then: {alive}")  # fmt: skip
    finally:
        sim.terminate()
        sim.wait(timeout=10)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--jobs", type=int, default=40)
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument("--unbounded", action="store_true", help="keep every report (to compare)")
    parser.add_argument("--max-mb", type=float, help="the store's bound on kept bytes (default: the app's)")
    parser.add_argument("--thawed", action="store_true", help="never freeze the heap (ui/gc_pauses), to compare")
    args = parser.parse_args()
    asyncio.run(soak(args.rounds, args.jobs, args.rows, args.unbounded, args.max_mb, args.thawed))


if __name__ == "__main__":
    main()
