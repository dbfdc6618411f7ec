"""One poll's changes, written in one transaction; timelines thinned as jobs age; retention.

Only what changed is written: a job whose values are the ones last written is skipped without SQL
(a cache of what this writer wrote: bounded, and a job not handed over for :data:`FORGET_S` is
dropped from it, so a recorder's memory stays that of the jobs its orgs hold), and a timeline point
is added only when the job's state or counts differ from the file's points just before and just
after it in time (and it is not within a second of one of the same state), so two processes
recording the same org add each change once. A job id seen with another creation time than the
file's is another job: the old record goes. Every job keeps its state changes; count-only points
are halved, oldest half first, whenever a job holds more than :data:`MAX_POINTS`, so a day-long job
stays small."""

from __future__ import annotations

import sqlite3
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from operator import itemgetter
from typing import Any

from ..bulk.models import Job, JobKind
from .rows import JOB_COLUMNS, batch_row, job_row, point_at, point_state

MAX_POINTS = 120  # a job's timeline past this is thinned
NEAR_MS = 1000  # a point this close to one of the same state is another process's sight of that moment
CACHE = 50_000  # jobs whose last written values are remembered (a miss costs one SELECT, not a wrong write)
# A job not handed over for this long (it left the org) is dropped from the cache. Kept, every job ever
# seen stayed until CACHE (~500 bytes each, ~25 MB): a day's soak at speed grew RSS 0.13 MB an hour.
FORGET_S = 3600.0
DAY_S = 86_400.0
# A job unchanged since this writer wrote it costs Python alone (no SQL call lets go of the interpreter
# lock): a poll handing 2,000 such jobs held it ~8 ms at a stretch, and the event loop's thread, wanting
# it, waited the interpreter's 5 ms switch interval (a 1 ms timer 5 ms late at p99). Every this many
# jobs (~0.2 ms) the lock is let go.
YIELD_EVERY = 50

_UPDATED = [c for c in JOB_COLUMNS if c not in ("org", "id", "seen_first", "ended")]
UPSERT = (
    f"INSERT INTO jobs ({', '.join(JOB_COLUMNS)}) VALUES ({', '.join(':' + c for c in JOB_COLUMNS)}) "
    f"ON CONFLICT (org, id) DO UPDATE SET {', '.join(f'{c} = excluded.{c}' for c in _UPDATED)}, "
    "ended = CASE WHEN excluded.ended IS NULL THEN NULL ELSE COALESCE(jobs.ended, excluded.ended) END "
    "RETURNING jid, seen_first"
)


@dataclass(slots=True)
class Written:
    jid: int
    values: tuple[Any, ...]  # what decides whether the row changed
    batches_done: int  # terminal batches written
    created: float | None  # the job's createdDate: the same id created at another moment is another job
    handed: float  # when a poll last handed the job over


# a row's values that decide whether it is written again (picked at C speed: a poll hands every job it holds)
_values: Callable[[dict[str, Any]], tuple[Any, ...]] = itemgetter(*(c for c in _UPDATED if c != "seen_last"))


class Writer:
    """The writes of one connection (the recording thread's own)."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn
        self._written: OrderedDict[tuple[str, str], Written] = OrderedDict()

    def poll(self, org: str, jobs: Iterable[Job], at: float) -> int:
        """Record one poll of ``org`` (the jobs it read, at ``at`` seconds since the epoch). Returns how
        many jobs changed."""
        changed = 0
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            self.conn.execute(
                "INSERT INTO orgs (org, polled) VALUES (?, ?) ON CONFLICT (org) DO UPDATE SET polled = excluded.polled",
                (org, at),
            )
            for count, job in enumerate(jobs, 1):
                changed += self._job(org, job, at)
                if count % YIELD_EVERY == 0:
                    time.sleep(0)  # the interpreter lock to the event loop's thread, if it waits (see YIELD_EVERY)
            self.conn.execute("COMMIT")
        except BaseException:
            self._written.clear()  # what was "written" in the rolled-back transaction was not
            self.conn.execute("ROLLBACK")
            raise
        while self._written:  # least recently handed first: jobs that left their org
            key, oldest = next(iter(self._written.items()))
            if oldest.handed >= at - FORGET_S:
                break
            del self._written[key]
        return changed

    @property
    def remembered(self) -> int:
        """How many jobs' last written values this writer holds (its memory of the file)."""
        return len(self._written)

    def _job(self, org: str, job: Job, at: float) -> bool:
        key = (org, job.id)
        row = job_row(org, job, at)
        values = _values(row)
        done = job.batch_summary.terminal if job.batch_summary is not None else 0
        before = self._written.get(key)
        if before is not None and before.values == values and before.batches_done >= done:
            before.handed = at
            self._written.move_to_end(key)
            return False
        if before is None or before.created != row["created"]:
            self._replaced(org, job.id, row["created"])
        jid, seen_first = self.conn.execute(UPSERT, row).fetchone()
        self._point(jid, job, point_at(at, seen_first))
        if job.kind is JobKind.CLASSIC and job.batches and (before is None or done > before.batches_done):
            self.conn.executemany(
                "INSERT OR REPLACE INTO batches VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (batch_row(jid, b) for b in job.batches if b.terminal),
            )
        self._written[key] = Written(jid, values, done, row["created"], at)
        self._written.move_to_end(key)
        if len(self._written) > CACHE:
            self._written.popitem(last=False)
        return True

    def _replaced(self, org: str, job_id: str, created: float | None) -> None:
        """A job id the file holds with another creation time is another job (an org reset, a simulator
        started again): the old record goes, never merged into the new one."""
        held = self.conn.execute("SELECT jid, created FROM jobs WHERE id = ? AND org = ?", (job_id, org)).fetchone()
        if held is not None and created is not None and held[1] is not None and abs(held[1] - created) >= 1.0:
            _delete(self.conn, [held[0]])

    def _point(self, jid: int, job: Job, at_ms: int) -> None:
        point = (point_state(job.state), job.number_records_processed, job.number_records_failed)
        for order, compare in (("DESC", "<="), ("ASC", ">")):  # its neighbours in time: another process's sight
            near = self.conn.execute(
                "SELECT at, state, processed, failed FROM points "
                f"WHERE jid = ? AND at {compare} ? ORDER BY at {order} LIMIT 1",
                (jid, at_ms),
            ).fetchone()
            if near is not None and (
                tuple(near[1:]) == point or (near[1] == point[0] and abs(near[0] - at_ms) < NEAR_MS)
            ):
                return  # the same sight, or the same state within a second of it: another process's poll
        self.conn.execute("INSERT OR REPLACE INTO points VALUES (?, ?, ?, ?, ?)", (jid, at_ms, *point))
        (count,) = self.conn.execute("SELECT count(*) FROM points WHERE jid = ?", (jid,)).fetchone()
        if count > MAX_POINTS:
            thin(self.conn, jid)

    def forget(self) -> None:
        """Forget what this writer wrote (jobs were pruned: the next sight of one writes it again)."""
        self._written.clear()

    def failures(self, org: str, job: Job, groups: Iterable[tuple[str, str, int]], at: float) -> None:
        """A failures report's groups (code, message, rows) for ``job``, replacing any read before."""
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            row = job_row(org, job, at)
            jid = self.conn.execute(UPSERT, row).fetchone()[0]
            self.conn.execute("DELETE FROM failure_groups WHERE jid = ?", (jid,))
            self.conn.executemany(
                "INSERT OR REPLACE INTO failure_groups VALUES (?, ?, ?, ?, ?)",
                ((jid, code, message, rows, at) for code, message, rows in groups),
            )
            self.conn.execute("COMMIT")
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        self._written.pop((org, job.id), None)


def thin(conn: sqlite3.Connection, jid: int) -> None:
    """Halve a job's count-only points in the older half of its timeline (state changes, the first and
    the newest half stay): resolution falls as the job ages, never the states it went through."""
    points = conn.execute("SELECT at, state FROM points WHERE jid = ? ORDER BY at", (jid,)).fetchall()
    older = points[: len(points) // 2]
    drop = []
    keep_next = False
    for index, (at, state) in enumerate(older):
        state_change = index == 0 or state != older[index - 1][1]
        if state_change:
            keep_next = False
            continue
        if keep_next:
            keep_next = False
            continue
        drop.append((jid, at))
        keep_next = True
    conn.executemany("DELETE FROM points WHERE jid = ? AND at = ?", drop)


def prune(conn: sqlite3.Connection, now: float, days: float, max_bytes: int, *, step: int = 1000) -> int:
    """Forget jobs older than ``days`` (by their end, else last sight), then the oldest until the file's
    used pages fit ``max_bytes``. Returns how many jobs were forgotten."""
    forgotten = _forget(conn, "SELECT jid FROM jobs WHERE COALESCE(ended, seen_last) < ?", (now - days * DAY_S,))
    while used_bytes(conn) > max_bytes:
        gone = _forget(conn, "SELECT jid FROM jobs ORDER BY COALESCE(ended, seen_last) LIMIT ?", (step,))
        if not gone:
            break
        forgotten += gone
    return forgotten


def used_bytes(conn: sqlite3.Connection) -> int:
    pages = conn.execute("PRAGMA page_count").fetchone()[0] - conn.execute("PRAGMA freelist_count").fetchone()[0]
    return int(pages * conn.execute("PRAGMA page_size").fetchone()[0])


def _delete(conn: sqlite3.Connection, jids: list[int]) -> None:
    for table in ("points", "batches", "failure_groups", "jobs"):
        conn.executemany(f"DELETE FROM {table} WHERE jid = ?", ((jid,) for jid in jids))


def _forget(conn: sqlite3.Connection, select: str, args: tuple[Any, ...]) -> int:
    conn.execute("BEGIN IMMEDIATE")
    try:
        jids = [row[0] for row in conn.execute(select, args).fetchall()]
        _delete(conn, jids)
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    return len(jids)
