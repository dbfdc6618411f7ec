"""Five dashboards attached to one recorder: what the org pays, and how soon each dashboard shows a poll.

Run: ``nice -n 10 .venv/bin/python benchmarks/team.py [--window 120] [--dashboards 5] [--settle 15]``

The budget (the issue's): five dashboards attached to one recorder cost the org what the recorder
alone costs (within 10 %); each dashboard sees a change within 1 s of the recorder.

Two runs of the same org: each a fresh simulator (``sfmonitor simulate``, its own process: seed 7,
speed 5, a new job every 30 simulated seconds, so jobs keep changing) with two counting proxies in
front of it (counting_proxy.py), one for the recorder and one for the dashboards, and the real
recorder, ``python -m sfmonitor record --interval 5 --listen 127.0.0.1:0``, its org reached through
its proxy (``SF_INSTANCE_URL``), its config, data and state in a throwaway directory (XDG_*). The
org's calls are counted by kind in ``--window`` seconds after ``--settle`` seconds from the start:

- alone: the recorder only;
- attached: ``--dashboards`` dashboards started as soon as the recorder listens, each its own
  process (team_dashboard.py: the real SfMonitorApp built as ``sfmonitor --recorder URL`` builds it,
  headless at 120x40, its org's sign-in pointed at the dashboards' proxy, so a call one made would be
  counted there: must be 0), the window starting once each has its first hello;
- each dashboard's latency for each poll's event: the moment its screen was refreshed after the event
  was applied, minus the recorder's poll moment in the event (``last_good``, the same machine's
  clock): p50/p99/max over every poll event it took;
- the recorder's RSS at the end of each window; the feed's size a poll event (its lines as sent
  without gzip, read by one more plain reader).

Measured on 2026-12-06, a machine of 2 cores shared with other work (nproc 2), one run each, nice 10:

- ``--window 120`` (load average 2.17 at start): org calls/min 93.5 alone, 94.0 with five dashboards
  (ratio 1.005; listing 20.0/20.0, job read 58.0/58.5, batch list 15.5/15.5); writes 0; the
  dashboards' own calls 0; latency over 26 poll events each: p50 83-101 ms, p99 217-249 ms, worst
  254 ms (the event reaches the app's handler in 5-8 ms at p50: the rest is the board drawn, five
  dashboards at once on two cores); recorder RSS 46 MB alone, 49 MB with five dashboards; each
  dashboard 59 MB; the feed 13.8 kB a poll event before gzip (87 jobs shown);
- ``--window 60`` (load 1.02): 106.0 against 109.0 calls/min (ratio 1.028); writes 0; the
  dashboards' 0; latency p50 125-175 ms, worst 537 ms (14 events each, the first ones while five
  dashboards start at once).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from statistics import quantiles
from typing import IO, Any

import httpx
from counting_proxy import CountingProxy
from simulator_process import rss_of, start_simulator

HERE = Path(__file__).resolve().parent
LISTENING = re.compile(r"dashboards: sfmonitor --recorder (http://\S+?);")


def isolated(home: Path, instance_url: str, token: str) -> dict[str, str]:
    """The environment of the recorder and the dashboards: the org through a proxy, XDG in ``home``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SF_", "XDG_"))}
    for name in ("CONFIG", "DATA", "STATE", "CACHE"):
        (home / name.lower()).mkdir(exist_ok=True)
        env[f"XDG_{name}_HOME"] = str(home / name.lower())
    env.update(SF_INSTANCE_URL=instance_url, SF_ACCESS_TOKEN=token, TERM="xterm-256color")
    return env


def start_recorder(env: dict[str, str], interval: float) -> tuple[subprocess.Popen[str], str, list[str]]:
    """``sfmonitor record --listen 127.0.0.1:0``, its feed's address (from its stderr line) and the
    rest of its stderr (drained by a thread)."""
    proc = subprocess.Popen([sys.executable, "-m", "sfmonitor", "record", "--interval", f"{interval:g}",
                             "--listen", "127.0.0.1:0"], env=env, stderr=subprocess.PIPE, text=True)  # fmt: skip
    assert proc.stderr is not None
    said: list[str] = []
    for line in proc.stderr:
        said.append(line)
        found = LISTENING.search(line)
        if found:
            threading.Thread(target=_drain, args=(proc.stderr, said), daemon=True).start()
            return proc, found.group(1), said
    raise SystemExit("the recorder stopped before listening:\n" + "".join(said))


def _drain(stream: IO[str], into: list[str]) -> None:
    for line in stream:
        into.append(line)


class FeedReader(threading.Thread):
    """One plain reader of the feed (no gzip): the bytes of each poll's event as sent."""

    def __init__(self, url: str) -> None:
        super().__init__(daemon=True)
        self.url, self.sizes, self.stop = url, list[int](), threading.Event()

    def run(self) -> None:
        with contextlib.suppress(httpx.HTTPError):
            self._read()

    def _read(self) -> None:
        with httpx.stream("GET", f"{self.url}/api/v1/feed", headers={"Accept-Encoding": "identity"},
                          timeout=httpx.Timeout(5, read=60)) as response:  # fmt: skip
            for line in response.iter_lines():
                if self.stop.is_set():
                    return
                event = json.loads(line)
                if event.get("type") == "org" and not event.get("full"):
                    self.sizes.append(len(line.encode()) + 1)


def window(proxy: CountingProxy, seconds: float) -> Counter[str]:
    """The calls through ``proxy`` in the next ``seconds``, by kind."""
    with proxy.lock:
        before = Counter(proxy.counts)
    time.sleep(seconds)
    with proxy.lock:
        after = Counter(proxy.counts)
    after.subtract(before)
    return +after


def per_min(calls: Counter[str], seconds: float) -> float:
    return sum(calls.values()) * 60 / seconds


def kinds(calls: Counter[str], seconds: float) -> str:
    return ", ".join(f"{kind} {n * 60 / seconds:.1f}" for kind, n in sorted(calls.items())) or "none"


def cuts(values: list[float]) -> tuple[float, float, float]:
    if len(values) < 2:
        return (values[0],) * 3 if values else (float("nan"),) * 3
    q = quantiles(values, n=100, method="inclusive")
    return q[49], q[98], max(values)


def said(out: Path) -> str:
    return out.with_suffix(".err").read_text()


def attach(count: int, url: str, env: dict[str, str], home: Path) -> tuple[list[subprocess.Popen[bytes]], list[Path]]:
    outs = [home / f"dashboard{i}.json" for i in range(count)]
    procs = [subprocess.Popen([sys.executable, str(HERE / "team_dashboard.py"), "--recorder", url, "--out", str(out)],
                              env=env, stdout=subprocess.DEVNULL, stderr=out.with_suffix(".err").open("w"))
             for out in outs]  # fmt: skip
    deadline = time.monotonic() + 60
    while not all(out.with_suffix(".ready").exists() for out in outs):
        for proc in procs:
            if proc.poll() is not None:
                raise SystemExit(f"a dashboard stopped: {said(outs[procs.index(proc)])}")
        if time.monotonic() > deadline:
            raise SystemExit("the dashboards did not attach within 60 s")
        time.sleep(0.1)
    return procs, outs


def detach(procs: list[subprocess.Popen[bytes]], outs: list[Path]) -> list[dict[str, Any]]:
    for out in outs:
        out.with_suffix(".stop").touch()
    results = []
    for proc, out in zip(procs, outs, strict=True):
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        if not out.exists():
            raise SystemExit(f"{out.name} not written: {said(out)}")
        results.append(json.loads(out.read_text()))
    return results


@dataclass
class Run:
    calls: Counter[str]  # the recorder's, in the window, by kind
    dashboards_calls: int  # the dashboards' own, while they ran
    results: list[dict[str, Any]]  # each dashboard's (team_dashboard.py)
    rss: float  # the recorder's, at the end of the window
    sizes: list[int]  # the feed's poll events, bytes as sent without gzip


def run(args: argparse.Namespace, dashboards: int) -> Run:
    """A fresh simulator (seed 7) and recorder; ``dashboards`` attached as soon as it listens; the
    recorder's calls in the window after ``--settle`` seconds."""
    sim, sim_env = start_simulator("--seed", "7", "--speed", "5", "--spawn-every", "30")
    home = Path(tempfile.mkdtemp(prefix="sfmonitor-team-"))
    recorder: subprocess.Popen[str] | None = None
    try:
        with CountingProxy(sim_env["SF_INSTANCE_URL"]) as to_rec, CountingProxy(sim_env["SF_INSTANCE_URL"]) as to_dash:
            token = sim_env["SF_ACCESS_TOKEN"]
            started = time.monotonic()
            recorder, url, said = start_recorder(isolated(home, to_rec.url, token), args.interval)
            procs, outs = attach(dashboards, url, isolated(home, to_dash.url, token), home) if dashboards else ([], [])
            reader = FeedReader(url)
            reader.start()
            time.sleep(max(0.0, started + args.settle - time.monotonic()))
            calls = window(to_rec, args.window)
            rss = rss_of(recorder.pid)
            reader.stop.set()
            results = detach(procs, outs)
            trouble = [line for line in said if "error" in line.lower() or "traceback" in line.lower()]
            if trouble:
                print("recorder stderr:", *trouble, sep="\n  ")
            return Run(calls, to_dash.total, results, rss, reader.sizes)
    finally:
        if recorder is not None:
            recorder.terminate()
            recorder.wait(timeout=30)
        sim.terminate()
        sim.wait(timeout=10)
        shutil.rmtree(home, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--window", type=float, default=120.0, help="seconds measured, each run (120)")
    parser.add_argument("--dashboards", type=int, default=5)
    parser.add_argument("--settle", type=float, default=15.0, help="seconds from the start, not measured (15)")
    parser.add_argument("--interval", type=float, default=5.0, help="the recorder's --interval (5)")
    args = parser.parse_args()
    load = os.getloadavg()
    print(f"machine: nproc {len(os.sched_getaffinity(0))}, load average at start {load[0]:.2f} {load[1]:.2f} "
          f"{load[2]:.2f}; window {args.window:g} s after {args.settle:g} s, one run alone, one with "
          f"{args.dashboards} dashboards; {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}")  # fmt: skip
    alone = run(args, 0)
    attached = run(args, args.dashboards)
    report(args, alone, attached)


def report(args: argparse.Namespace, alone: Run, attached: Run) -> None:
    w = args.window
    a, b = per_min(alone.calls, w), per_min(attached.calls, w)
    writes = alone.calls["write"] + attached.calls["write"]
    ratio = b / a if a else float("inf")
    print(f"\norg calls/min (window {w:g} s)   total   by kind")
    print(f"  recorder alone            {a:6.1f}   {kinds(alone.calls, w)}")
    print(f"  with {args.dashboards} dashboards         {b:6.1f}   {kinds(attached.calls, w)}")
    print(f"  ratio {ratio:.3f} (budget <= 1.10: {'met' if ratio <= 1.10 else 'NOT met'}); writes {writes} "
          f"(must be 0); the dashboards' own calls {attached.dashboards_calls} (must be 0)")  # fmt: skip
    print("\ndashboard  events  p50 ms  p99 ms  max ms  (to handler p50)  RSS MB  jobs shown")
    worst = 0.0
    for i, result in enumerate(attached.results):
        events = result["events"]
        p50, p99, top = cuts([e["latency_s"] for e in events])
        handler = cuts([e["to_handler_s"] for e in events])[0]
        worst = max(worst, top)
        print(f"  {i + 1:8}  {len(events):6}  {p50 * 1000:6.0f}  {p99 * 1000:6.0f}  {top * 1000:6.0f}  "
              f"({handler * 1000:6.0f} ms)       {result['rss_mb']:6.0f}  {result['orgs']}")  # fmt: skip
    print(f"  worst {worst * 1000:.0f} ms (budget <= 1000 ms: {'met' if worst <= 1.0 else 'NOT met'})")
    sizes = attached.sizes
    size = sum(sizes) / len(sizes) if sizes else 0
    print(f"\nrecorder RSS {alone.rss:.0f} MB alone, {attached.rss:.0f} MB with {args.dashboards} dashboards; "
          f"feed {size:,.0f} bytes/poll event uncompressed ({len(sizes)} events)")  # fmt: skip


if __name__ == "__main__":
    main()
