"""What the benchmarks share: the simulator started in its own process, and this process's RSS."""

from __future__ import annotations

import shlex
import subprocess
import sys


def start_simulator(*options: str) -> tuple[subprocess.Popen[str], dict[str, str]]:
    """``sfmonitor simulate --port 0 OPTIONS…`` in its own process, and the two variables it prints
    (``SF_INSTANCE_URL``, ``SF_ACCESS_TOKEN``). Stop it with ``proc.terminate(); proc.wait()``."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "sfmonitor", "simulate", "--port", "0", *options], stdout=subprocess.PIPE, text=True
    )
    assert proc.stdout is not None
    env = dict(shlex.split(proc.stdout.readline().removeprefix("export "))[0].split("=", 1) for _ in range(2))
    return proc, env


def rss_of(pid: int | str) -> float:
    """A process's resident memory in MB (Linux /proc; ``"self"``: this one)."""
    with open(f"/proc/{pid}/status") as handle:
        for line in handle:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def rss_mb() -> float:
    return rss_of("self")
