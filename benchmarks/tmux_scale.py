"""Scale in a real terminal: first full screen, first useful screen and key latency, dashboard and
simulator in separate processes.

Run: ``.venv/bin/python benchmarks/tmux_scale.py [--jobs 20000] [--batches 15000] [--moves 50]``.

The simulator (``sfmonitor simulate --extra-jobs N --giant-batches M``) runs in its own process;
the dashboard runs in a tmux pane of 120x40, as an operator runs it. The first full screen is the
moment the pane shows a table of job rows, top to bottom (the first listing page). The first useful
screen is the moment the pane shows every job the org is working on (read through the API before
the dashboard starts: each job the listings show as not ended, read once; those still not ended)
with its counts: its row on screen, its Processed and Failed cells figures, not the listing's
``-``. Key latency is the time from ``tmux send-keys Down`` until the pane shows the cursor on the
next row (the pane is read with ``capture-pane -e`` every 2 ms), over ``--moves`` moves, after the
org has been read once.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shlex
import subprocess
import sys
import time

from simulator_process import start_simulator

from sfmonitor.bulk.auth import StaticToken
from sfmonitor.bulk.service import BulkService
from sfmonitor.bulk.transport import Transport
from sfmonitor.monitor.snapshot import read_snapshot

SESSION = "sfmonitor-bench"


def tmux(*args: str) -> str:
    return subprocess.run(["tmux", *args], check=True, capture_output=True, text=True).stdout


def pane(colours: bool = True) -> str:
    return tmux("capture-pane", "-p", *(["-e"] if colours else []), "-t", SESSION)


def cursor_line(screen: str) -> int | None:
    for number, line in enumerate(screen.splitlines()):
        if "48;5;69m" in line:
            return number
    return None


async def live_jobs(url: str, token: str) -> dict[str, tuple[bool, bool]]:
    """The jobs the org is working on now (listed as not ended, and still not ended once read), each
    with whether the org gives its Processed and Failed counts (an Open upload has none yet; a
    query job no failed count): those are the figures its row must show."""
    link = Transport(StaticToken(url, token))
    try:
        service = BulkService(link)
        await service.connect()
        listed = await service.list_jobs()
        snapshot = await read_snapshot(service, [job_id for job_id, job in listed.items() if not job.finished])
    finally:
        await link.aclose()
    return {
        job_id: (job.number_records_processed is not None, job.number_records_failed is not None)
        for job_id, job in snapshot.jobs.items()
        if not job.finished
    }


def figure_at(line: str, end: int) -> str:
    """The right-aligned cell whose column ends at ``end`` (a header label's end)."""
    words = line[:end].split()
    return words[-1] if words else ""


def useful(screen: str, live: dict[str, tuple[bool, bool]]) -> bool:
    """Every live job's row is on screen with the Processed and Failed figures the org gives (not
    the listing's ``-``)."""
    lines = screen.splitlines()
    header = next((line for line in lines if "Job ID" in line and "Processed" in line), None)
    if header is None:
        return False
    ends = [header.index(label) + len(label) for label in ("Processed", "Failed")]
    rows = {job_id: line for line in lines for job_id in live if job_id in line}
    return rows.keys() == live.keys() and all(
        figure_at(rows[job_id], end) not in ("", "-")
        for job_id, given in live.items()
        for end, counted in zip(ends, given, strict=True)
        if counted
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--jobs", type=int, default=20_000)
    parser.add_argument("--batches", type=int, default=15_000)
    parser.add_argument("--moves", type=int, default=50)
    args = parser.parse_args()
    sim, env = start_simulator(
        "--spawn-every", "0", "--extra-jobs", str(args.jobs), "--giant-batches", str(args.batches)
    )
    live = asyncio.run(live_jobs(env["SF_INSTANCE_URL"], env["SF_ACCESS_TOKEN"]))
    subprocess.run(["tmux", "kill-session", "-t", SESSION], capture_output=True)
    exports = " ".join(f"{k}={shlex.quote(v)}" for k, v in env.items())
    command = f"env {exports} TERM=xterm-256color {shlex.quote(sys.executable)} -m sfmonitor watch"
    try:
        started = time.perf_counter()
        tmux("new-session", "-d", "-s", SESSION, "-x", "120", "-y", "40", command)
        first = first_useful = None
        while time.perf_counter() - started < 60 and first_useful is None:
            screen = pane(colours=False)
            at = time.perf_counter() - started
            if first is None and screen.count(" 750") >= 30:  # a table of job rows, top to bottom
                first = at
            if useful(screen, live):
                first_useful = at
            time.sleep(0.005)
        print(f"{args.jobs:,} jobs + a {args.batches:,}-batch Bulk 1.0 job, tmux 120x40")
        print(f"first full screen: {first:.2f} s (budget 1.5 s)" if first else "first full screen: not within 60 s")
        print(f"first useful screen (the {len(live)} jobs the org is working on, with counts): "
              + (f"{first_useful:.2f} s (budget 1.5 s)" if first_useful else "not within 60 s"))  # fmt: skip
        time.sleep(8)  # the first cycles: backfill reads under way, as an operator starts moving
        latencies = []
        for i in range(args.moves):
            before = cursor_line(pane())
            key = "Down" if (i // 20) % 2 == 0 else "Up"
            t = time.perf_counter()
            tmux("send-keys", "-t", SESSION, key)
            while cursor_line(pane()) == before and time.perf_counter() - t < 5:
                time.sleep(0.002)
            latencies.append(time.perf_counter() - t)
        latencies.sort()
        p50 = latencies[len(latencies) // 2] * 1000
        p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] * 1000
        print(f"key latency over {args.moves} cursor moves: p50 {p50:.0f} ms, p99 {p99:.0f} ms, "
              f"worst {latencies[-1] * 1000:.0f} ms (budget p99 100 ms; tmux round trips included)")  # fmt: skip
    finally:
        subprocess.run(["tmux", "kill-session", "-t", SESSION], capture_output=True)
        sim.terminate()
        sim.wait(timeout=10)
    os.environ.pop("SF_ACCESS_TOKEN", None)


if __name__ == "__main__":
    main()
