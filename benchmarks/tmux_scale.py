"""Scale in a real terminal: first full screen and key latency, dashboard and simulator in separate processes.

Run: ``.venv/bin/python benchmarks/tmux_scale.py [--jobs 20000] [--batches 15000] [--moves 50]``.

The simulator (``sfmonitor simulate --extra-jobs N --giant-batches M``) runs in its own process;
the dashboard runs in a tmux pane of 120x40, as an operator runs it. The first full screen is the
moment the pane shows a table of job rows, top to bottom (the first listing page); key latency is the time from
``tmux send-keys Down`` until the pane shows the cursor on the next row (the pane is read with
``capture-pane -e`` every 2 ms), over ``--moves`` moves, after the org has been read once.
"""

from __future__ import annotations

import argparse
import os
import shlex
import subprocess
import sys
import time

from simulator_process import start_simulator

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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--jobs", type=int, default=20_000)
    parser.add_argument("--batches", type=int, default=15_000)
    parser.add_argument("--moves", type=int, default=50)
    args = parser.parse_args()
    sim, env = start_simulator(
        "--spawn-every", "0", "--extra-jobs", str(args.jobs), "--giant-batches", str(args.batches)
    )
    subprocess.run(["tmux", "kill-session", "-t", SESSION], capture_output=True)
    exports = " ".join(f"{k}={shlex.quote(v)}" for k, v in env.items())
    command = f"env {exports} TERM=xterm-256color {shlex.quote(sys.executable)} -m sfmonitor watch"
    try:
        started = time.perf_counter()
        tmux("new-session", "-d", "-s", SESSION, "-x", "120", "-y", "40", command)
        first = None
        while time.perf_counter() - started < 60:
            screen = pane(colours=False)
            if screen.count(" 750") >= 30:  # a table of job rows, top to bottom
                first = time.perf_counter() - started
                break
            time.sleep(0.005)
        print(f"{args.jobs:,} jobs + a {args.batches:,}-batch Bulk 1.0 job, tmux 120x40")
        print(f"first full screen: {first:.2f} s (budget 1.5 s)" if first else "first full screen: not within 60 s")
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
