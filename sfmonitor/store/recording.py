"""The history writer on its own thread: a poll costs the caller one queue put.

:meth:`Recording.poll` hands over the jobs a poll read (immutable values, nothing copied); the thread
writes them in one transaction. A fault (a newer or damaged file, a read-only one, a full disk, a
file another program keeps locked) is said once through ``on_fault`` and stored in :attr:`fault`; from
then on nothing more is written and the caller goes on without history. :meth:`close` lets the write
under way finish, then stops (SIGTERM in ``record``, quitting the dashboard).
"""

from __future__ import annotations

import contextlib
import logging
import queue
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..bulk.models import Job
from .schema import BUSY_MS, StoreError, connect, words
from .writer import Writer, prune

log = logging.getLogger(__name__)

QUEUED = 256  # polls waiting to be written; past this one is dropped and counted
PRUNE_EVERY_S = 3600.0
ANALYSE_FROM = 10_000  # jobs: below this every plan is fast
PRUNE_FIRST_S = 120.0  # the first pruning waits this long after the file opens (a start reads it first)
GiB = 1 << 30


@dataclass(frozen=True)
class Retention:
    days: float = 400.0
    max_bytes: int = GiB


_STOP = object()


class Recording:
    """Recording to the history file at ``path`` (opened on the thread: a slow or broken file costs the
    caller nothing). ``clock``: seconds since the epoch, for retention."""

    def __init__(
        self,
        path: Path,
        retention: Retention | None = None,
        *,
        on_fault: Callable[[str], object] | None = None,
        clock: Callable[[], float] = time.time,
        busy_ms: int = BUSY_MS,
    ) -> None:
        self.path = path
        self.retention = retention or Retention()
        self.on_fault = on_fault
        self.clock = clock
        self.busy_ms = busy_ms
        self.fault: str | None = None
        self.dropped = 0  # polls not recorded because the writer was this far behind
        self.polls_written = 0
        self._queue: queue.Queue[Any] = queue.Queue(QUEUED)
        self._opened = threading.Event()
        self._thread = threading.Thread(target=self._run, name="sfmonitor-history", daemon=True)
        self._thread.start()

    # --- the caller's side ---------------------------------------------------------------------

    def poll(self, org: str, jobs: Iterable[Job], at: float) -> None:
        """Record one poll of ``org``: the jobs read, at ``at`` (seconds since the epoch)."""
        self._put(("poll", org, tuple(jobs), at))

    def failures(self, org: str, job: Job, groups: Iterable[tuple[str, str, int]], at: float) -> None:
        """A failures report's groups (code, message, rows) for ``job``."""
        self._put(("failures", org, job, tuple(groups), at))

    def _put(self, item: tuple[Any, ...]) -> None:
        if self.fault is not None:
            return
        try:
            self._queue.put_nowait(item)
        except queue.Full:
            self.dropped += 1

    def flush(self, timeout: float | None = None) -> bool:
        """Wait until everything handed over so far is written (or given up on a fault)."""
        done = threading.Event()
        self._put(("flush", done))
        return done.wait(timeout) if self.fault is None else True

    def close(self, timeout: float = 10.0) -> None:
        """Finish what was handed over (at most ``timeout`` seconds), then stop the thread."""
        if self._thread.is_alive():
            with contextlib.suppress(queue.Full):
                self._queue.put(_STOP, timeout=timeout)
            self._thread.join(timeout)

    # --- the thread ----------------------------------------------------------------------------

    def _run(self) -> None:
        conn: sqlite3.Connection | None = None
        try:
            conn = connect(self.path, write=True, busy_ms=self.busy_ms)
            writer = Writer(conn)
            pruned_at = self.clock() - PRUNE_EVERY_S + PRUNE_FIRST_S  # not before the instant start's read
            while True:
                item = self._queue.get()
                if item is _STOP:
                    break
                kind, *rest = item
                if kind == "flush":
                    rest[0].set()
                elif kind == "poll":
                    writer.poll(*rest)
                    self.polls_written += 1
                else:
                    writer.failures(*rest)
                if self.clock() - pruned_at >= PRUNE_EVERY_S:
                    pruned_at = self.clock()
                    self._prune(conn, writer)
        except (sqlite3.Error, StoreError, OSError) as exc:
            self._failed(words(exc, self.path))
        except Exception as exc:  # a bug must not leave history silently off: said like any fault
            log.exception("history writer stopped")
            self._failed(f"history file {self.path}: the writer stopped ({type(exc).__name__}: {exc})")
        finally:
            if conn is not None:
                with contextlib.suppress(sqlite3.Error):  # the file whole again, not its log beside it
                    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
                conn.close()

    def _prune(self, conn: sqlite3.Connection, writer: Writer) -> None:
        gone = prune(conn, self.clock(), self.retention.days, self.retention.max_bytes)
        if gone:
            writer.forget()
            log.info("history: %d old jobs forgotten (retention %g days, %d bytes)", gone, self.retention.days,
                     self.retention.max_bytes)  # fmt: skip
        analyse(conn)

    def _failed(self, why: str) -> None:
        self.fault = why
        log.warning("history off: %s", why)
        while True:  # release anyone waiting on a flush; nothing more is written
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                break
            if isinstance(item, tuple) and item[0] == "flush":
                item[1].set()
        if self.on_fault is not None:
            self.on_fault(why)


def analyse(conn: sqlite3.Connection) -> None:
    """SQLite's statistics of the indexes, renewed once the jobs grew by a quarter: without them a
    filter on an org's object (history -o ORG --object X) walks the org's rows by date, and on a cold
    disk over a million jobs that took 2.5 s; with them, the object's index (0.3 s). ANALYZE of a
    million jobs takes ~1 s, on this thread."""
    (jobs,) = conn.execute("SELECT count(*) FROM jobs").fetchone()
    row = conn.execute("SELECT value FROM meta WHERE key = 'analysed_jobs'").fetchone()
    if jobs < ANALYSE_FROM or (row is not None and jobs < int(row[0]) * 1.25):
        return
    conn.execute("BEGIN IMMEDIATE")
    try:
        conn.execute("ANALYZE")
        conn.execute("INSERT OR REPLACE INTO meta VALUES ('analysed_jobs', ?)", (str(jobs),))
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
