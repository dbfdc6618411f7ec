"""`sfmonitor status` on a large org: one snapshot that reads every job it prints.

Run: ``.venv/bin/python benchmarks/status.py [--jobs 20000]``. The simulator runs in its own process
(as an org would be elsewhere); ``status --format json`` runs as a user runs it. Prints the wall time,
the requests it made, how many jobs came back read, and its peak memory. Numbers, not asserts.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import resource
import subprocess
import sys
import time
from multiprocessing.connection import Connection

from sfmonitor.simulator.bulk import add_finished_ingest_jobs
from sfmonitor.simulator.server import Simulator


def serve(jobs: int, pipe: Connection) -> None:
    sim = Simulator(speed=1, spawn_every=0)
    add_finished_ingest_jobs(sim.world, jobs)
    sim.start()
    pipe.send((sim.base_url, sim.token, len(sim.world.jobs)))
    pipe.recv()  # until told to stop
    pipe.send(sim.stats())
    sim.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--jobs", type=int, default=20_000)
    args = parser.parse_args()
    ours, theirs = multiprocessing.Pipe()
    server = multiprocessing.Process(target=serve, args=(args.jobs, theirs), daemon=True)
    server.start()
    url, token, total = ours.recv()
    env = {**os.environ, "SF_INSTANCE_URL": url, "SF_ACCESS_TOKEN": token}
    started = time.perf_counter()
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    result = subprocess.run([sys.executable, "-m", "sfmonitor", "status", "--format", "json"], env=env,
                            capture_output=True, text=True, timeout=1800)  # fmt: skip
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    status_cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    wall = time.perf_counter() - started
    ours.send("stop")
    stats = ours.recv()
    server.join(10)
    jobs = json.loads(result.stdout)["jobs"] if result.stdout else []
    unread = [j for j in jobs if j.get("readError") or (j["apiKind"] != "Bulk 1.0" and j["state"] != "Open"
                                                         and j["numberRecordsProcessed"] is None)]  # fmt: skip
    print(f"org: {total:,} jobs; status exit {result.returncode}; {wall:.1f} s wall, {status_cpu:.1f} s CPU in status")
    print(f"jobs printed {len(jobs):,}; unread or without counts {len(unread):,}")
    print(f"requests the org served {stats['requests']:,} ({stats['requests'] / wall:,.0f}/s)")
    print(f"status peak RSS {after.ru_maxrss // 1024} MB")


if __name__ == "__main__":
    main()
