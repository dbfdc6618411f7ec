"""The history file: where it is opened, which schema it holds, and how it moves forward.

The schema's version is SQLite's ``user_version``. Each entry of :data:`MIGRATIONS` takes the file
from its index to the next version, in one transaction; a file whose version is newer than this
program knows was written by a newer sfmonitor and is refused with words, never written to.

The file is the user's alone (0600 in a 0700 folder; SQLite gives its ``-wal`` and ``-shm`` files
the database's permissions) and holds no token: only what the org said of its jobs.
"""

from __future__ import annotations

import errno
import os
import shutil
import sqlite3
import time
from pathlib import Path

LOW_DISK = 1 << 20  # an I/O error with less free than this on the disk: the disk is full
BUSY_MS = 5000  # another process's write: wait this long for it before calling the file locked

MIGRATIONS: tuple[str, ...] = (
    # 0 -> 1
    """
    CREATE TABLE jobs (
        jid INTEGER PRIMARY KEY,
        org TEXT NOT NULL,
        id TEXT NOT NULL,
        job_type TEXT NOT NULL,
        api TEXT NOT NULL,
        object TEXT NOT NULL,
        operation TEXT NOT NULL,
        state TEXT NOT NULL,
        phase TEXT NOT NULL,
        outcome TEXT,
        created REAL,
        ended REAL,
        modstamp REAL,
        seen_first REAL NOT NULL,
        seen_last REAL NOT NULL,
        processed INTEGER,
        failed INTEGER,
        retries INTEGER,
        total_ms INTEGER,
        api_ms INTEGER,
        apex_ms INTEGER,
        error TEXT NOT NULL DEFAULT '',
        api_version TEXT,
        content_type TEXT,
        created_by TEXT,
        batches_queued INTEGER,
        batches_in_progress INTEGER,
        batches_completed INTEGER,
        batches_failed INTEGER,
        batches_total INTEGER,
        UNIQUE (id, org)  -- id first: history --job ID finds it without naming the org
    );
    CREATE INDEX jobs_created ON jobs (created);
    CREATE INDEX jobs_org ON jobs (org, created);  -- an org's newest first: history -o, the instant start
    -- an org's object and operation in any case (history --object, the usual pace's past runs)
    CREATE INDEX jobs_usual ON jobs (org, object COLLATE NOCASE, operation COLLATE NOCASE, created);
    CREATE TABLE points (
        jid INTEGER NOT NULL,
        at INTEGER NOT NULL,  -- ms after the job's seen_first (rows.point_at)
        state,
        processed INTEGER,
        failed INTEGER,
        PRIMARY KEY (jid, at)
    ) WITHOUT ROWID;  -- state: rows.POINT_STATES's index, or the text (no type: neither is converted)
    CREATE TABLE batches (
        jid INTEGER NOT NULL,
        id TEXT NOT NULL,
        state TEXT NOT NULL,
        message TEXT NOT NULL,
        created REAL,
        ended REAL,
        processed INTEGER,
        failed INTEGER,
        total_ms INTEGER,
        PRIMARY KEY (jid, id)
    ) WITHOUT ROWID;
    CREATE TABLE meta (
        key TEXT PRIMARY KEY,
        value TEXT NOT NULL
    ) WITHOUT ROWID;
    CREATE TABLE orgs (
        org TEXT PRIMARY KEY,
        polled REAL NOT NULL
    ) WITHOUT ROWID;
    CREATE TABLE failure_groups (
        jid INTEGER NOT NULL,
        code TEXT NOT NULL,
        message TEXT NOT NULL,
        rows INTEGER NOT NULL,
        read_at REAL NOT NULL,
        PRIMARY KEY (jid, code, message)
    ) WITHOUT ROWID;
    """,
)
VERSION = len(MIGRATIONS)


class StoreError(Exception):
    """The history file cannot be used; the message says why in the operator's words."""


def words(exc: BaseException, path: Path) -> str:
    """What an SQLite failure means to the operator, naming the file."""
    text = str(exc).lower()
    if isinstance(exc, StoreError):
        return str(exc)
    if "locked" in text or "busy" in text:
        return f"history file {path} is locked by another program"
    if "readonly" in text or "read-only" in text:
        return f"history file {path} is read-only"
    if "full" in text or "disk i/o" in text or getattr(exc, "errno", None) == errno.ENOSPC:
        try:
            free: int | None = shutil.disk_usage(path.parent).free
        except OSError:
            free = None
        if "full" in text or getattr(exc, "errno", None) == errno.ENOSPC or (free is not None and free < LOW_DISK):
            return f"history file {path}: the disk is full"
        return f"history file {path}: the disk could not read or write it (disk I/O error)"
    if "not a database" in text or "malformed" in text or "corrupt" in text:
        return f"history file {path} is damaged (not a readable SQLite database)"
    if "unable to open" in text or isinstance(exc, OSError):
        return f"history file {path} cannot be opened: {exc}"
    return f"history file {path}: {exc}"


def connect(path: Path, *, write: bool, busy_ms: int = BUSY_MS) -> sqlite3.Connection:
    """The history file, at this program's schema (created or moved forward when ``write``).

    Raises :class:`StoreError` with words: a newer schema, a damaged file, a locked or read-only one.
    A reader never creates the file (``history`` with nothing recorded says so)."""
    try:
        if write:
            _create_private(path)
        elif not path.exists():
            raise StoreError(f"nothing recorded yet: no history file at {path}")
        uri = f"{path.resolve().as_uri()}?mode={'rwc' if write else 'ro'}"
        conn = sqlite3.connect(uri, uri=True, timeout=busy_ms / 1000, isolation_level=None, check_same_thread=False)
        try:
            conn.execute(f"PRAGMA busy_timeout = {int(busy_ms)}")
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            if version > VERSION:
                raise StoreError(
                    f"history file {path} was written by a newer sfmonitor (schema {version}; this one knows "
                    f"{VERSION}): left as it is"
                )
            if write:
                _prepare(conn, path, busy_ms)
            elif version < VERSION:
                raise StoreError(f"history file {path} is from an older sfmonitor: run sfmonitor record or watch once")
            conn.execute("PRAGMA foreign_keys = OFF")
            return conn
        except BaseException:
            conn.close()
            raise
    except (sqlite3.Error, OSError) as exc:
        raise StoreError(words(exc, path)) from exc


def _prepare(conn: sqlite3.Connection, path: Path, busy_ms: int) -> None:
    """WAL mode and this schema. Two processes opening a new file at once: SQLite answers the second's
    switch to WAL "locked" at once, without waiting (its busy handler is not asked for that lock), so
    the switch and the migration are tried again for as long as a write would wait."""
    deadline = time.monotonic() + busy_ms / 1000
    while True:
        try:
            conn.execute("PRAGMA journal_mode = WAL")
            conn.execute("PRAGMA synchronous = NORMAL")
            _migrate(conn, path)
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc).lower() or time.monotonic() >= deadline:
                raise
            time.sleep(0.02)


def _create_private(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW, 0o600)
    try:
        if os.fstat(fd).st_mode & 0o077:
            os.fchmod(fd, 0o600)
    finally:
        os.close(fd)


def _migrate(conn: sqlite3.Connection, path: Path) -> None:
    conn.execute("BEGIN IMMEDIATE")  # two processes opening a new file: one migrates, the other waits
    try:
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        if version > VERSION:
            raise StoreError(f"history file {path} was written by a newer sfmonitor (schema {version}): left as it is")
        for step in range(version, VERSION):
            for statement in MIGRATIONS[step].split(";"):
                if statement.strip():
                    conn.execute(statement)
            conn.execute(f"PRAGMA user_version = {step + 1}")
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
