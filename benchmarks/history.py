"""History: the budgets of the SQLite history store (issue 24), measured.

Run: ``.venv/bin/python benchmarks/history.py [--jobs 1000000] [--poll-s 10] [--keep PATH]
[--only size,poll,query,soak] [--hours 24] [--speed 360]``.

1. size: ``--jobs`` jobs of three orgs over a year (the mix is printed; benchmarks/history_mix.py) are
   recorded through the real :class:`~sfmonitor.store.writer.Writer`, poll by poll, each poll one
   transaction, timelines thinned as they grow; a running job is read every ``--poll-s`` simulated
   seconds (10: the dashboard's 5 s interval reads a running job every other poll; 30 makes fewer
   points a job, and builds a million in a third of the time). Printed: the file's size on disk as a
   user gets it (no VACUUM), bytes per job, and what each table and index takes. Budget: 1,000,000
   jobs in 600 MB. ``--keep PATH`` keeps the file, and a later run with the same arguments reuses it.
2. poll: what handing a poll to :class:`~sfmonitor.store.recording.Recording` costs the caller (its
   event loop): ``Recording.poll()`` timed for polls of 20 changed running jobs, of 2,000 jobs with 20
   changed, and first polls of 2,000 jobs, p50/p99; and how late a 1 ms timer on the loop fires while
   the writer thread writes (it shares the interpreter lock), against the same loop with no
   recording. Budget: under 2 ms. The thread's write time is informational.
3. query: ``history``'s reads over the file from step 1: reader.jobs() for the filters an operator
   types, past_runs() and last_jobs(), on a new connection (cold) and again (warm). Budget: 1 s.
4. soak: the simulator in its own process at ``--speed``, polled by the real Poller as fast as it
   answers, every poll handed to a real Recording; this process's RSS each simulated hour for
   ``--hours``, and the growth of the last 6 hours over the first 6. Budget: flat.

Figures depend on the machine; each is printed with what it was measured on.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sqlite3
import time
from pathlib import Path

from history_mix import POLL_S, describe, polls

from sfmonitor.store.recording import analyse
from sfmonitor.store.schema import connect
from sfmonitor.store.writer import Writer

END = 1_796_000_000.0  # the newest job's moment: 2026-11-30
MB = 1_000_000


def machine() -> str:
    load = os.getloadavg()[0]
    return f"{os.cpu_count()} cores, load {load:.1f}, SQLite {sqlite3.sqlite_version}"


def on_disk(path: Path) -> int:
    return sum(p.stat().st_size for p in (path, Path(f"{path}-wal"), Path(f"{path}-shm")) if p.exists())


def build(path: Path, jobs: int, days: float, poll_s: float) -> None:
    for stale in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
        stale.unlink(missing_ok=True)
    writer = Writer(connect(path, write=True))
    started = time.perf_counter()
    count = sights = 0
    for poll in polls(jobs, END, days, poll_s=poll_s):
        writer.poll(poll.org, poll.jobs, poll.at)
        for job, groups in poll.failures:
            writer.failures(poll.org, job, groups, poll.at)
        count += 1
        sights += len(poll.jobs)
        if count % 100_000 == 0:
            recorded = writer.conn.execute("SELECT max(jid) FROM jobs").fetchone()[0]
            print(f"  {recorded:,} jobs recorded, {time.perf_counter() - started:.0f} s", flush=True)
    analyse(writer.conn)  # as a recording does after its pruning: the index statistics the planner reads
    writer.conn.close()
    elapsed = time.perf_counter() - started
    print(f"built: {count:,} polls (one transaction each), {sights:,} job sights, {elapsed:.0f} s "
          f"({sights / elapsed:,.0f} sights/s; {machine()})")  # fmt: skip


def size(path: Path, jobs: int, days: float, poll_s: float) -> None:
    print(describe(poll_s))
    marker, built = Path(f"{path}.built"), f"--jobs {jobs} --days {days:g} --poll-s {poll_s:g}"
    if path.exists() and marker.exists() and marker.read_text().strip() == built:
        print(f"reusing {path} (built by an earlier run with {built})")
    else:
        print(f"building {jobs:,} jobs over {days:g} days into {path} through the Writer ...", flush=True)
        marker.unlink(missing_ok=True)
        build(path, jobs, days, poll_s)
        marker.write_text(built)
    total = on_disk(path)
    conn = sqlite3.connect(path)
    counts = {t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
              for t in ("jobs", "points", "batches", "failure_groups")}  # fmt: skip
    recorded = counts["jobs"]
    print("rows: " + ", ".join(f"{t} {n:,}" for t, n in counts.items()) +
          f" ({counts['points'] / max(1, recorded):.1f} timeline points a job)")  # fmt: skip
    try:
        parts = conn.execute("SELECT name, sum(pgsize) FROM dbstat GROUP BY name ORDER BY 2 DESC").fetchall()
        print("space: " + ", ".join(f"{name} {pages / MB:.1f} MB" for name, pages in parts if pages >= MB // 10))
    except sqlite3.OperationalError:
        pass  # this SQLite has no dbstat
    free = conn.execute("PRAGMA freelist_count").fetchone()[0] * conn.execute("PRAGMA page_size").fetchone()[0]
    conn.close()
    verdict = "within" if total <= 600 * MB * recorded / 1_000_000 else "OVER"
    print(f"SIZE: {recorded:,} jobs in {total / MB:.1f} MB on disk (no VACUUM; {free / MB:.1f} MB of it free pages), "
          f"{total / max(1, recorded):.0f} bytes a job -> {total / max(1, recorded) * 1_000_000 / MB:.0f} MB per "
          f"1,000,000: {verdict} the budget of 600 MB per million")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=1_000_000, help="jobs recorded for size and query (1000000)")
    parser.add_argument("--days", type=float, default=360.0, help="over how many days they were created (360)")
    parser.add_argument("--poll-s", type=float, default=POLL_S, help=f"running jobs read every (sim. s; {POLL_S:g})")
    parser.add_argument("--keep", type=Path, help="the history file to build, or reuse (default: a temporary one)")
    parser.add_argument("--only", default="size,poll,query,soak", help="steps to run (size,poll,query,soak)")
    parser.add_argument("--hours", type=float, default=24.0, help="soak: simulated hours (24)")
    parser.add_argument("--speed", type=float, default=360.0, help="soak: simulated seconds per real second (360)")
    parser.add_argument("--no-record", action="store_true", help="soak: poll the same way, recording nothing")
    args = parser.parse_args()
    steps = set(args.only.split(","))
    print(f"machine: {machine()}; figures vary with what else runs")
    work = args.keep or Path(f"/tmp/sfmonitor-history-bench-{os.getpid()}.sqlite3")
    if "size" in steps or "query" in steps:
        size(work, args.jobs, args.days, args.poll_s)
    if "poll" in steps:
        from history_poll import poll_cost

        asyncio.run(poll_cost())
    if "query" in steps:
        from history_query import queries

        queries(work)
    if "soak" in steps:
        from history_soak import soak

        asyncio.run(soak(args.hours, args.speed, record=not args.no_record))


if __name__ == "__main__":
    main()
