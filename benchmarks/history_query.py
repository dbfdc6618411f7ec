"""benchmarks/history.py, step 3: ``history``'s reads over the file step 1 built (a million jobs).

Each read is timed on a new connection (SQLite's page cache empty; the system's file cache as the
build left it: a first read after a reboot is slower) and then again on the same connection.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sfmonitor.store import reader
from sfmonitor.store.schema import connect

DAY = 86_400.0


def timed(path: Path, read: Callable[[sqlite3.Connection], list[Any]]) -> tuple[float, float, int]:
    """The read's time on a new connection, then again on it; and how many rows it gave."""
    conn = connect(path, write=False)
    try:
        started = time.perf_counter()
        rows = read(conn)
        cold = time.perf_counter() - started
        started = time.perf_counter()
        read(conn)
        warm = time.perf_counter() - started
    finally:
        conn.close()
    return cold, warm, len(rows)


def queries(path: Path) -> None:
    conn = sqlite3.connect(path)
    newest = conn.execute("SELECT max(created) FROM jobs").fetchone()[0]
    pairs = "SELECT org, object, operation, count(*) FROM jobs GROUP BY 1, 2, 3 ORDER BY 4 DESC"
    common = conn.execute(pairs).fetchall()
    conn.close()
    org, obj, operation, _ = common[0]
    rare_org, rare_obj, rare_op, rare_n = common[-1]
    print(f"query: newest job {time.strftime('%Y-%m-%d', time.gmtime(newest))}; '--since 7d' is 7 days before it; "
          f"commonest pair {org} {obj} {operation} ({common[0][3]:,} jobs), rarest {rare_org} {rare_obj} {rare_op} "
          f"({rare_n:,}); reader.jobs() lists at most 1,000 (history's default)")  # fmt: skip
    F = reader.Filter
    cases: list[tuple[str, Callable[[sqlite3.Connection], list[Any]]]] = [
        ("(no filter)", lambda c: reader.jobs(c, F())),
        (f"-o {org}", lambda c: reader.jobs(c, F(orgs=(org,)))),
        (f"-o {rare_org}", lambda c: reader.jobs(c, F(orgs=(rare_org,)))),
        (f"--object {obj.lower()}", lambda c: reader.jobs(c, F(object=obj.lower()))),
        (f"--object {rare_obj}", lambda c: reader.jobs(c, F(object=rare_obj))),
        ("--object NoSuch__c (every row looked at)", lambda c: reader.jobs(c, F(object="NoSuch__c"))),
        ("-o nosuch (an org never recorded)", lambda c: reader.jobs(c, F(orgs=("nosuch",)))),
        (f"--object {obj} --operation {operation}", lambda c: reader.jobs(c, F(object=obj, operation=operation))),
        (f"--object {rare_obj} --operation {rare_op}",
         lambda c: reader.jobs(c, F(object=rare_obj, operation=rare_op))),
        ("--state Failed", lambda c: reader.jobs(c, F(state="Failed"))),
        ("--state aborted -o dev", lambda c: reader.jobs(c, F(state="aborted", orgs=("dev",)))),
        ("--since 7d", lambda c: reader.jobs(c, F(since=newest - 7 * DAY))),
        (f"-o {org} --object {obj} --since 30d", lambda c: reader.jobs(c, F(orgs=(org,), object=obj,
                                                                          since=newest - 30 * DAY))),
        (f"-o {rare_org} --object {rare_obj} --since 30d",
         lambda c: reader.jobs(c, F(orgs=(rare_org,), object=rare_obj, since=newest - 30 * DAY))),
        ("--until 300 days ago", lambda c: reader.jobs(c, F(until=newest - 300 * DAY))),
        (f"past_runs({org}, {obj}, {operation})", lambda c: reader.past_runs(c, org, obj, operation, newest)),
        (f"past_runs({rare_org}, {rare_obj}, {rare_op})",
         lambda c: reader.past_runs(c, rare_org, rare_obj, rare_op, newest)),
        (f"last_jobs({org})", lambda c: reader.last_jobs(c, org)),
        (f"last_jobs({rare_org})", lambda c: reader.last_jobs(c, rare_org)),
        ("find(id) + timeline", lambda c: [reader.timeline(c, r) for r in reader.find(c, _some_id(c))]),
    ]  # fmt: skip
    worst = 0.0
    for name, read in cases:
        cold, warm, rows = timed(path, read)
        worst = max(worst, cold, warm)
        flag = "" if max(cold, warm) <= 1.0 else "  OVER 1 s"
        print(f"  {name:48} cold {cold * 1000:7.1f} ms  warm {warm * 1000:7.1f} ms  {rows:5,} rows{flag}")
    print(f"QUERY: slowest {worst * 1000:.0f} ms: {'within' if worst <= 1.0 else 'OVER'} the budget of 1 s")


def _some_id(conn: sqlite3.Connection) -> str:
    return str(conn.execute("SELECT id FROM jobs WHERE jid = (SELECT max(jid) / 2 FROM jobs)").fetchone()[0])
