"""Soak: the dashboard against a busy simulated org for many simulated hours.

Run: ``.venv/bin/python benchmarks/soak.py [--hours 8] [--speed 240]``. The simulator runs in its own
process (``sfmonitor simulate``), starting new jobs throughout; the real dashboard app runs here,
headless, polling every 2 s. Every simulated hour it prints this process's RSS, live Python objects,
asyncio tasks, open sockets, the requests made and the sizes of every history; at the end, growth after
warm-up.
It stops by itself; every loop is bounded.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import os
import subprocess
import time
import tracemalloc
from statistics import median

import simulator_process
from simulator_process import rss_mb

from sfmonitor.config.connection import ConnectionOptions
from sfmonitor.config.settings import Settings
from sfmonitor.ui.app import SfMonitorApp


def sockets() -> int:
    count = 0
    for fd in os.listdir("/proc/self/fd"):
        with contextlib.suppress(OSError):
            count += os.readlink(f"/proc/self/fd/{fd}").startswith("socket:")
    return count


def start_simulator(
    speed: float, spawn_every: float, retention: float = 2.0
) -> tuple[subprocess.Popen[str], dict[str, str]]:
    """A steady org: jobs start every ``spawn_every`` s and leave ``retention`` hours after finishing
    (Salesforce keeps them 7 days; over a few simulated hours that would only measure a growing org)."""
    return simulator_process.start_simulator(
        "--speed", str(speed), "--spawn-every", str(spawn_every), "--retention", str(retention)
    )


async def soak(hours: float, speed: float, spawn_every: float, trace: bool = False) -> int:
    if trace:
        tracemalloc.start()
    sim, env = start_simulator(speed, spawn_every)
    options = ConnectionOptions(instance_url=env["SF_INSTANCE_URL"], access_token=env["SF_ACCESS_TOKEN"])
    app = SfMonitorApp(options, Settings(interval=2.0))
    hour = 3600 / speed  # real seconds per simulated hour
    rows: list[tuple[float, float, int, int, int, int, int, int, int]] = []
    try:
        async with app.run_test(size=(120, 40)) as pilot:
            started = time.monotonic()
            for h in range(1, int(hours) + 1):
                while time.monotonic() - started < h * hour:
                    await pilot.pause(0.5)
                samples = sum(len(h.samples) for h in app.org.history.jobs.values())
                requests = app.org.service.transport.requests_made if app.org.service else 0
                finished = sum(1 for job in app.org.state.jobs.values() if job.finished)
                gc.collect()  # count what is alive, not what waits for the collector
                objects = len(gc.get_objects())  # container objects the collector tracks: widgets, caches, jobs
                tasks = len(asyncio.all_tasks())
                row = (h, rss_mb(), tasks, sockets(), requests, len(app.org.state.jobs), finished, samples, objects)
                rows.append(row)
                heap = f"  Python heap {tracemalloc.get_traced_memory()[0] / 2**20:5.1f} MB" if trace else ""
                print(
                    f"hour {h:2d}  RSS {row[1]:6.1f} MB  objects {objects:7,d}  tasks {tasks:3d}  sockets {row[3]:2d}"
                    f"  requests {requests:6d}"
                    f"  jobs {row[5]:4d} ({finished} finished)  history samples {samples:5d}{heap}",
                    flush=True,
                )
    finally:
        sim.terminate()
        sim.wait(timeout=10)
    warm = rows[max(0, min(len(rows) - 1, len(rows) // 6 - 1))]  # warm-up: the first sixth of the run
    end = rows[-1]
    growth = (end[1] - warm[1]) / warm[1] * 100
    objects = (end[8] - warm[8]) / warm[8] * 100
    print(f"RSS after warm-up (hour {warm[0]:.0f}) {warm[1]:.1f} MB, at the end {end[1]:.1f} MB: {growth:+.1f} %")
    print(f"live objects after warm-up {warm[8]:,}, at the end {end[8]:,}: {objects:+.1f} %")
    third = max(1, len(rows) // 3)
    early, late = rows[:third], rows[-third:]
    ok = growth < 10 and objects < 10
    # A sample taken during a poll also counts that poll's requests; a leak raises the typical count.
    for name, column in (("tasks", 2), ("sockets", 3)):
        (typical_early, peak_early), (typical_late, peak_late) = (
            (median(r[column] for r in part), max(r[column] for r in part)) for part in (early, late)
        )
        print(f"{name} (median/peak): first third {typical_early:g}/{peak_early}, last {typical_late:g}/{peak_late}")
        ok = ok and typical_late <= typical_early + 1
    print(f"requests {end[4]:,}")
    print("soak: PASS" if ok else "soak: FAIL")
    return 0 if ok else 1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--hours", type=float, default=24.0, help="simulated hours (24)")
    parser.add_argument("--speed", type=float, default=480.0, help="simulated seconds per real second (480)")
    parser.add_argument("--spawn-every", type=float, default=300.0, help="simulated seconds between new jobs")
    parser.add_argument("--trace", action="store_true", help="also report the Python heap (tracemalloc; slower)")
    args = parser.parse_args()
    raise SystemExit(asyncio.run(soak(args.hours, args.speed, args.spawn_every, args.trace)))


if __name__ == "__main__":
    main()
