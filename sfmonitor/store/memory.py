"""Asking the history file from a program that runs on: one read connection, opened when first
asked, shared by the threads that ask (one at a time), and a fault said in words, never raised
into a screen."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path
from typing import Protocol

from ..monitor.usual import PastRun
from .reader import Timeline, find, last_jobs, last_polled, past_runs, timeline
from .rows import Remembered
from .schema import BUSY_MS, StoreError, connect, words


def as_past_runs(runs: list[Remembered]) -> list[PastRun]:
    """Remembered runs as the usual pace reads them (``monitor.usual.PastRun``): ended, with a creation time."""
    return [
        PastRun(
            r.org,
            r.job.id,
            r.job.created_date.timestamp(),
            r.ended,
            r.job.number_records_processed,
            r.job.number_records_failed,
            r.outcome or "",
        )
        for r in runs
        if r.ended is not None and r.job.created_date is not None
    ]


class Forgotten(StoreError):
    """The job is not in the history file: never recorded, or pruned by its retention."""


class HistoryReader(Protocol):
    """What the dashboard asks of a history: this machine's file (:class:`Memory`), or a recorder's
    over HTTP (serve/attach.py's RemoteHistory). Each method raises :class:`StoreError` with words;
    each may block (the dashboard asks from a thread)."""

    def past_runs(
        self, org: str, object_name: str, operation: str, before: float, limit: int = 50
    ) -> list[Remembered]: ...
    def runs(self, org: str, object_name: str, operation: str, before: float) -> list[PastRun]: ...
    def timeline(self, job: Remembered) -> Timeline: ...
    def last_jobs(self, org: str, limit: int = 2000) -> tuple[list[Remembered], float | None]: ...
    def close(self) -> None: ...


class Memory:
    """The history file at ``path``, read. Each method raises :class:`StoreError` with words."""

    def __init__(self, path: Path, busy_ms: int = BUSY_MS) -> None:
        self.path = path
        self.busy_ms = busy_ms
        self._conn: sqlite3.Connection | None = None
        self._lock = threading.Lock()

    def _connection(self) -> sqlite3.Connection:
        if self._conn is None:
            self._conn = connect(self.path, write=False, busy_ms=self.busy_ms)
        return self._conn

    def past_runs(self, org: str, object_name: str, operation: str, before: float, limit: int = 50) -> list[Remembered]:
        with self._lock:
            try:
                return past_runs(self._connection(), org, object_name, operation, before, limit)
            except sqlite3.Error as exc:
                raise StoreError(words(exc, self.path)) from exc

    def runs(self, org: str, object_name: str, operation: str, before: float) -> list[PastRun]:
        """The past runs that make the usual pace (``monitor.usual.PastRuns``): ended, with a creation time."""
        return as_past_runs(self.past_runs(org, object_name, operation, before))

    def job(self, org: str, job_id: str) -> Remembered:
        """The job as remembered; a StoreError when the file has it not (never recorded, or pruned)."""
        with self._lock:
            try:
                found = find(self._connection(), job_id, [org])
            except sqlite3.Error as exc:
                raise StoreError(words(exc, self.path)) from exc
        if not found:
            raise Forgotten(f"job {job_id} of {org} is not in the history file")
        return found[0]

    def timeline(self, job: Remembered) -> Timeline:
        with self._lock:
            try:
                return timeline(self._connection(), job)
            except LookupError as exc:  # the job is gone (pruned meanwhile)
                raise Forgotten(str(exc)) from exc
            except sqlite3.Error as exc:
                raise StoreError(words(exc, self.path)) from exc

    def last_jobs(self, org: str, limit: int = 2000) -> tuple[list[Remembered], float | None]:
        """The org's newest remembered jobs and when it was last polled."""
        with self._lock:
            try:
                conn = self._connection()
                return last_jobs(conn, org, limit), last_polled(conn, org)
            except sqlite3.Error as exc:
                raise StoreError(words(exc, self.path)) from exc

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None
