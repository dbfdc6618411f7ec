"""Terminal bytes: what the dashboard writes to its terminal per minute, on a real pseudo-terminal.

Run: ``.venv/bin/python benchmarks/terminal_bytes.py [--size 120x40] [--seconds 60]``.

The simulator runs in its own process (seed 7 at speed 1: about seven jobs running); the dashboard
runs on a pty of the given size, as over SSH. After ``--warmup`` seconds (the first screen, the
first polls), every byte it writes for ``--seconds`` is counted. ``--idle`` runs the org at 1000x
without new jobs, so everything has finished before counting starts: an idle dashboard.
"""

from __future__ import annotations

import argparse
import os
import select
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
import simulator_process

from tests.terminal import terminal


def start_simulator(speed: float, spawn_every: float) -> tuple[subprocess.Popen[str], dict[str, str]]:
    return simulator_process.start_simulator(
        "--speed", str(speed), "--spawn-every", str(spawn_every), "--retention", "100000"
    )


def drain(leader: int, seconds: float) -> int:
    count = 0
    end = time.monotonic() + seconds
    while (left := end - time.monotonic()) > 0:
        ready, _, _ = select.select([leader], [], [], min(left, 0.5))
        if ready:
            try:
                count += len(os.read(leader, 65536))
            except OSError:
                break
    return count


def measure(size: str, seconds: float, warmup: float, idle: bool, interval: float) -> float:
    columns, rows = (int(n) for n in size.split("x"))
    sim, env = start_simulator(1000.0 if idle else 1.0, 0.0 if idle else 180.0)
    os.environ.update(env)
    try:
        proc, leader = terminal(["watch", "--interval", str(interval)], columns, rows)
        try:
            first = drain(leader, warmup)
            written = drain(leader, seconds)
        finally:
            proc.terminate()
            proc.wait(timeout=10)
            os.close(leader)
    finally:
        sim.terminate()
        sim.wait(timeout=10)
    per_minute = written * 60 / seconds
    what = "idle" if idle else "seed 7, ~7 jobs running"
    print(f"{size} {what}: first {warmup:g} s {first / 1024:.1f} KiB; then {per_minute / 1024:.2f} KiB/min "
          f"over {seconds:g} s at a {interval:g} s interval")  # fmt: skip
    return per_minute


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", default="120x40")
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--warmup", type=float, default=20.0)
    parser.add_argument("--interval", type=float, default=5.0)
    parser.add_argument("--idle", action="store_true")
    args = parser.parse_args()
    measure(args.size, args.seconds, args.warmup, args.idle, args.interval)


if __name__ == "__main__":
    main()
