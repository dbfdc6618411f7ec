"""Many orgs in one dashboard, in a real terminal: first full screen, key latency, memory, calls per org.

Run: ``.venv/bin/python benchmarks/multi_org.py [--orgs 10] [--seconds 60] [--moves 50] [--big-jobs 2000]``.

Ten simulators (``sfmonitor simulate``, each its own process, seeds 1…10; the last one answers 503
to a fifth of its requests and is slow on a tenth), each behind a counting proxy, named in a
throwaway config file as ``[orgs.o1]`` … ``[orgs.o10]``; the dashboard runs in a tmux pane of
120x40 (``sfmonitor watch -o o1 … -o o10``), as an operator runs it.

- first full screen: from launch until the pane shows a table of job rows top to bottom and no
  org's chip says ``connecting``;
- key latency: ``tmux send-keys Down``, then ``Up``, … until the pane shows the cursor on another
  job (``capture-pane -e`` every 2 ms), after ``--seconds`` of polling;
- memory: the dashboard's RSS after ``--seconds``; against one org watched alone (its RSS) plus
  the jobs' own size (the other orgs' job listings, read with sfmonitor's client and models and
  measured with tracemalloc);
- calls per org: requests through each org's proxy in the first ``--seconds``, against the same
  org (fresh simulator, same seed and faults) watched alone for as long — for a clean org and the
  faulty one;
- then ten orgs of ``--big-jobs`` finished jobs more each: first full screen and key latency again.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import shlex
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from counting_proxy import CountingProxy
from simulator_process import rss_of, start_simulator

from sfmonitor.bulk.auth import StaticToken
from sfmonitor.bulk.service import BulkService
from sfmonitor.bulk.transport import Transport

SESSION = "sfmonitor-orgs-bench"
FAULTS = "error=503@0.2,slow=0.5@0.1"


@dataclass
class SimOrg:
    name: str
    proc: subprocess.Popen[str]
    env: dict[str, str]  # SF_INSTANCE_URL, SF_ACCESS_TOKEN
    proxy: CountingProxy | None = None

    @property
    def url(self) -> str:
        return self.proxy.url if self.proxy else self.env["SF_INSTANCE_URL"]


@contextlib.contextmanager
def orgs(seeds: list[int], faulty: int | None, extra_jobs: int = 0, proxies: bool = True) -> Iterator[list[SimOrg]]:
    """Fresh simulators for these seeds (``faulty``: the seed with faults), each behind a proxy."""
    started: list[SimOrg] = []
    try:
        for seed in seeds:
            options = ["--seed", str(seed), "--spawn-every", "120", "--speed", "5"]
            options += ["--faults", FAULTS] if seed == faulty else []
            options += ["--extra-jobs", str(extra_jobs)] if extra_jobs else []
            proc, env = start_simulator(*options)
            org = SimOrg(f"o{seed}", proc, env)
            started.append(org)
            if proxies:
                org.proxy = CountingProxy(env["SF_INSTANCE_URL"]).__enter__()
        yield started
    finally:
        for org in started:
            if org.proxy:
                org.proxy.__exit__(None, None, None)
            org.proc.terminate()
        for org in started:
            org.proc.wait(timeout=10)


def config_home(watched: list[SimOrg]) -> tuple[str, dict[str, str]]:
    """A throwaway XDG config home whose config file names these orgs, and the token variables."""
    home = tempfile.mkdtemp(prefix="sfmonitor-bench-")
    path = Path(home, "sfmonitor", "config.toml")
    path.parent.mkdir(parents=True)
    tables = [
        f'[orgs.{o.name}]\ninstance_url = "{o.url}"\ntoken_env = "TOKEN_{o.name.upper()}"\nlabel = "{o.name.upper()}"\n'
        for o in watched
    ]
    path.write_text("\n".join(tables))
    return home, {f"TOKEN_{o.name.upper()}": o.env["SF_ACCESS_TOKEN"] for o in watched}


def tmux(*args: str) -> str:
    return subprocess.run(["tmux", *args], check=True, capture_output=True, text=True).stdout


def pane(colours: bool = True) -> str:
    return tmux("capture-pane", "-p", *(["-e"] if colours else []), "-t", SESSION)


def cursor_at(screen: str) -> tuple[int, str] | None:
    """The highlighted line and the job id on it (a move that scrolls keeps the line, not the id)."""
    for number, line in enumerate(screen.splitlines()):
        if "48;5;69m" in line:
            ids = [word for word in line.split() if "750" in word]
            return number, ids[0] if ids else ""
    return None


def launch(watched: list[SimOrg]) -> tuple[float, int]:
    """Start the dashboard on these orgs in a tmux pane; returns (first full screen in s, its pid)."""
    home, tokens = config_home(watched)
    subprocess.run(["tmux", "kill-session", "-t", SESSION], capture_output=True)
    env = {"XDG_CONFIG_HOME": home, "TERM": "xterm-256color", **tokens}
    exports = " ".join(f"{k}={shlex.quote(v)}" for k, v in env.items())
    targets = " ".join(f"-o {o.name}" for o in watched)
    command = f"env {exports} {shlex.quote(sys.executable)} -m sfmonitor watch {targets}"
    started = time.perf_counter()
    tmux("new-session", "-d", "-s", SESSION, "-x", "120", "-y", "40", command)
    pid = int(tmux("display-message", "-p", "-t", SESSION, "#{pane_pid}").strip())
    while time.perf_counter() - started < 60:
        screen = pane(colours=False)
        if screen.count(" 750") >= 30 and "connecting" not in screen:
            return time.perf_counter() - started, pid
        time.sleep(0.005)
    raise SystemExit(f"no full screen within 60 s:\n{pane(colours=False)}")


def key_latency(moves: int) -> tuple[float, float, float]:
    """p50, p99 and worst, in ms, of ``moves`` cursor moves."""
    latencies = []
    for i in range(moves):
        before = cursor_at(pane())
        t = time.perf_counter()
        tmux("send-keys", "-t", SESSION, "Down" if i % 2 == 0 else "Up")  # never against an edge
        while cursor_at(pane()) == before and time.perf_counter() - t < 5:
            time.sleep(0.002)
        latencies.append(time.perf_counter() - t)
    latencies.sort()
    p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))]
    return latencies[len(latencies) // 2] * 1000, p99 * 1000, latencies[-1] * 1000


def jobs_size_mb(watched: list[SimOrg]) -> float:
    """What these orgs' job listings take, as sfmonitor's models hold them."""

    async def read() -> list[object]:
        held: list[object] = []
        for org in watched:
            token = StaticToken(org.env["SF_INSTANCE_URL"], org.env["SF_ACCESS_TOKEN"])
            service = BulkService(Transport(token, timeout=30))
            try:
                await service.connect()
                held.append(await service.list_jobs())
            finally:
                await service.transport.aclose()
        return held

    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    held = asyncio.run(read())
    size = tracemalloc.get_traced_memory()[0] - before
    tracemalloc.stop()
    del held
    return size / 1024 / 1024


def watch_for(seconds: float, since: float) -> None:
    time.sleep(max(0.0, since + seconds - time.perf_counter()))


def fleet_run(count: int, seconds: float, moves: int) -> tuple[dict[str, int], float, float]:
    """Calls per org in the first ``seconds``, the dashboard's RSS then, and the jobs' own size (MB)
    of every org but the first."""
    seeds = list(range(1, count + 1))
    with orgs(seeds, faulty=seeds[-1]) as watched:
        t0 = time.perf_counter()
        first, pid = launch(watched)
        print(f"{count} orgs, tmux 120x40: first full screen {first:.2f} s (budget 2 s)")
        watch_for(seconds, t0)
        calls = {o.name: o.proxy.total for o in watched if o.proxy}
        rss = rss_of(pid)
        p50, p99, worst = key_latency(moves)
        print(f"key latency over {moves} moves: p50 {p50:.0f} ms, p99 {p99:.0f} ms, worst {worst:.0f} ms "
              "(budget p99 100 ms; tmux round trips included)")  # fmt: skip
        print("header:", *pane(colours=False).splitlines()[:4], sep="\n  ")
        subprocess.run(["tmux", "kill-session", "-t", SESSION], capture_output=True)
        return calls, rss, jobs_size_mb(watched[1:])


def alone_run(seed: int, faulty: bool, seconds: float) -> tuple[int, float]:
    with orgs([seed], faulty=seed if faulty else None) as (org,):
        t0 = time.perf_counter()
        _, pid = launch([org])
        watch_for(seconds, t0)
        calls, rss = org.proxy.total if org.proxy else 0, rss_of(pid)
        subprocess.run(["tmux", "kill-session", "-t", SESSION], capture_output=True)
        return calls, rss


def big_run(count: int, extra: int, moves: int) -> None:
    with orgs(list(range(1, count + 1)), faulty=None, extra_jobs=extra, proxies=False) as watched:
        first, pid = launch(watched)
        time.sleep(8)  # the first cycles: backfill reads under way, as an operator starts moving
        p50, p99, worst = key_latency(moves)
        print(f"{count} orgs x {extra:,} jobs more: first full screen {first:.2f} s; key latency p50 {p50:.0f} ms, "
              f"p99 {p99:.0f} ms, worst {worst:.0f} ms (budget p99 100 ms); RSS {rss_of(pid):.0f} MB")  # fmt: skip
        subprocess.run(["tmux", "kill-session", "-t", SESSION], capture_output=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--orgs", type=int, default=10)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--moves", type=int, default=50)
    parser.add_argument("--big-jobs", type=int, default=2000)
    args = parser.parse_args()
    calls, rss, others = fleet_run(args.orgs, args.seconds, args.moves)
    clean_alone, rss_alone = alone_run(1, False, args.seconds)
    faulty_alone, _ = alone_run(args.orgs, True, args.seconds)
    budget = 1.5 * rss_alone + others
    print(f"RSS: {args.orgs} orgs {rss:.0f} MB; one org alone {rss_alone:.0f} MB; the other orgs' jobs "
          f"{others:.1f} MB; budget 1.5 x {rss_alone:.0f} + {others:.1f} = {budget:.0f} MB")  # fmt: skip
    print(f"calls in {args.seconds:.0f} s, per org in the fleet: " + ", ".join(f"{k} {v}" for k, v in calls.items()))
    faulty = f"o{args.orgs}"
    print(f"o1 alone {clean_alone} (in the fleet {calls['o1']}); {faulty} (faults) alone {faulty_alone} "
          f"(in the fleet {calls[faulty]})")  # fmt: skip
    big_run(args.orgs, args.big_jobs, args.moves)
    os.environ.pop("SF_ACCESS_TOKEN", None)


if __name__ == "__main__":
    main()
