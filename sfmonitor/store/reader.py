"""What is asked of the history file: ``history``'s lists, one job's timeline, an org's last jobs for
the dashboard's instant start, and the past runs that make "the usual". Reads only."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from ..bulk.ids import same_id
from .rows import JOB_COLUMNS, Remembered, moment_of_point, remembered, state_of_point

SELECT = f"SELECT {', '.join(JOB_COLUMNS)} FROM jobs"


@dataclass(frozen=True)
class Filter:
    """Which remembered jobs: every field optional; text matches ignore case."""

    orgs: Sequence[str] = ()
    object: str | None = None
    operation: str | None = None
    state: str | None = None  # Salesforce's state, or the phase or outcome word (running, failed, ...)
    since: float | None = None  # created at or after (seconds since the epoch)
    until: float | None = None  # created before
    limit: int | None = 1000


def jobs(conn: sqlite3.Connection, which: Filter) -> list[Remembered]:
    """Remembered jobs, newest first."""
    where: list[str] = []
    args: list[Any] = []
    if which.orgs:
        where.append(f"org IN ({', '.join('?' * len(which.orgs))})")
        args += which.orgs
    for column, value in (("object", which.object), ("operation", which.operation)):
        if value is not None:
            where.append(f"{column} = ? COLLATE NOCASE")
            args.append(value)
    if which.state is not None:
        where.append("(state = ? COLLATE NOCASE OR phase = ? COLLATE NOCASE OR outcome = ? COLLATE NOCASE)")
        args += [which.state] * 3
    if which.since is not None:
        where.append("created >= ?")
        args.append(which.since)
    if which.until is not None:
        where.append("created < ?")
        args.append(which.until)
    sql = SELECT + (" WHERE " + " AND ".join(where) if where else "") + " ORDER BY created DESC, id"
    if which.limit is not None:
        sql += f" LIMIT {int(which.limit)}"
    return [remembered(row) for row in conn.execute(sql, args)]


def find(conn: sqlite3.Connection, job_id: str, orgs: Sequence[str] = ()) -> list[Remembered]:
    """The remembered jobs with this id (one per org that has it), optionally in ``orgs``; a 15-character
    id finds its 18-character form, as the org would (bulk.ids.same_id)."""
    prefix = job_id[:15]  # an index range: the id's 15 characters, then any checksum ("~" sorts after them)
    rows = conn.execute(SELECT + " WHERE id >= ? AND id < ?", (prefix, prefix + "~")).fetchall()
    found = sorted((remembered(row) for row in rows), key=lambda r: r.org)
    return [r for r in found if same_id(job_id, r.job.id) and (not orgs or r.org in orgs)]


def last_jobs(conn: sqlite3.Connection, org: str, limit: int = 2000) -> list[Remembered]:
    """An org's newest remembered jobs (the dashboard's first screen, before the org answers)."""
    rows = conn.execute(SELECT + " WHERE org = ? ORDER BY created DESC LIMIT ?", (org, limit)).fetchall()
    return [remembered(row) for row in rows]


def last_polled(conn: sqlite3.Connection, org: str) -> float | None:
    """When the org was last polled by any recording process (seconds since the epoch)."""
    row = conn.execute("SELECT polled FROM orgs WHERE org = ?", (org,)).fetchone()
    return None if row is None else float(row[0])


@dataclass(frozen=True, slots=True)
class Point:
    at: float  # seconds since the epoch
    state: str | None
    processed: int | None
    failed: int | None


@dataclass(frozen=True, slots=True)
class BatchRow:
    id: str
    state: str
    message: str
    created: float | None
    ended: float | None
    processed: int | None
    failed: int | None
    total_ms: int | None


@dataclass(frozen=True)
class Timeline:
    job: Remembered
    points: list[Point] = field(default_factory=list)
    batches: list[BatchRow] = field(default_factory=list)
    failure_groups: list[tuple[str, str, int]] = field(default_factory=list)  # code, message, rows
    failures_read_at: float | None = None


def timeline(conn: sqlite3.Connection, job: Remembered) -> Timeline:
    """The job's recorded changes, its Bulk 1.0 batches at their final state, its failure groups."""
    held = conn.execute("SELECT jid, seen_first FROM jobs WHERE org = ? AND id = ?", (job.org, job.job.id)).fetchone()
    if held is None:
        raise LookupError(f"job {job.job.id} is no longer in the history file (pruned by its retention)")
    jid, seen_first = held
    points = [
        Point(moment_of_point(at, seen_first), state_of_point(state), processed, failed)
        for at, state, processed, failed in conn.execute(
            "SELECT at, state, processed, failed FROM points WHERE jid = ? ORDER BY at", (jid,)
        )
    ]
    batches = [
        BatchRow(*row)
        for row in conn.execute(
            "SELECT id, state, message, created, ended, processed, failed, total_ms FROM batches WHERE jid = ? "
            "ORDER BY created, id",
            (jid,),
        )
    ]
    groups = conn.execute(
        "SELECT code, message, rows, read_at FROM failure_groups WHERE jid = ? ORDER BY rows DESC, code", (jid,)
    ).fetchall()
    return Timeline(
        job,
        points,
        batches,
        [(code, message, rows) for code, message, rows, _ in groups],
        max((row[3] for row in groups), default=None),
    )


def past_runs(
    conn: sqlite3.Connection, org: str, object_name: str, operation: str, before: float, limit: int = 50
) -> list[Remembered]:
    """The newest ended runs of the same object and operation in the org, created before ``before``."""
    rows = conn.execute(
        SELECT + " WHERE org = ? AND object = ? COLLATE NOCASE AND operation = ? COLLATE NOCASE AND created < ? "
        "AND ended IS NOT NULL ORDER BY created DESC LIMIT ?",
        (org, object_name, operation, before, limit),
    ).fetchall()
    return [remembered(row) for row in rows]
