"""``sfmonitor history``: remembered jobs, from the history file alone (no org asked, no sign-in).

The list: newest first, filtered by org, object, operation, state (Salesforce's, or the phase or
outcome word), and when created; as a table (``status``'s columns and words), JSON (a list of
:meth:`~sfmonitor.store.rows.Remembered.to_json`) or CSV (the same fields, neutral unless ``--raw``).
``--job [ORG:]ID``: one job's record, its timeline, its Bulk 1.0 batches and its failure groups.
Server text (object names, messages) is inert in the table, exact in JSON and CSV.
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import sys
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from ..bulk.errors import ConfigError
from ..bulk.failure_export import BOM, csv_cell, csv_writer, stdout_sink
from ..bulk.models import V1_ABORTABLE, V1_TERMINAL, V2_INGEST_ABORTABLE, V2_TERMINAL
from ..config import settings as config
from ..monitor.phase import Outcome, Phase
from ..numbers import parse_duration
from ..store import reader
from ..store.reader import Filter
from ..store.schema import StoreError, connect, words
from ..text import inert
from . import history_view as view
from .exits import ExitCode, fail
from .targets import JobRef, job_ref

DEFAULT_LIMIT = 1000


def history_file() -> Path:
    """Where the history file is, unless ``--history-file`` says: the config file's ``[history] path``,
    else the platform's data folder (``sfmonitor locate history``: the same answer)."""
    return config.load().history.path


def moment(text: str, now: float) -> float:
    """``--since``/``--until``: a duration ago (``7d``, ``36h``, ``1h30m``: numbers.parse_duration) or an
    ISO date or date-time (``2026-12-01``, ``2026-12-01T18:30``), local time unless it names a zone.
    Seconds since the epoch; ValueError with words."""
    try:
        return now - parse_duration(text)
    except ValueError:
        pass
    try:
        when = datetime.fromisoformat(text.strip())
    except ValueError:
        raise ValueError(
            f"{text!r} is neither a duration ago (7d, 12h, 30m) nor a date (2026-12-01, 2026-12-01T18:30)"
        ) from None
    if when.tzinfo is None:
        when = when.astimezone()  # a time naming no zone is the local clock's
    return when.timestamp()


@dataclass(frozen=True)
class Asked:
    """What the command line asks: which jobs (``which``), or one job (``ref``)."""

    which: Filter
    ref: JobRef | None
    limit: int | None  # None: every job


def asked(args: argparse.Namespace, now: float) -> Asked:
    """The options as a question; ValueError or ConfigError (a usage error) with words."""
    since = None if args.since is None else moment(args.since, now)
    until = None if args.until is None else moment(args.until, now)
    if since is not None and until is not None and since >= until:
        raise ValueError(f"--since {args.since} is not before --until {args.until}")
    ref = job_ref(args.job) if args.job else None
    orgs = tuple(dict.fromkeys(args.target_org or ()))
    if ref is not None and ref.org is not None:
        if orgs and ref.org not in orgs:
            raise ConfigError(f"org {ref.org!r} (of {ref}) is not among the orgs given ({', '.join(orgs)})")
        orgs = (ref.org,)
    limit = None if args.limit == 0 else args.limit
    which = Filter(orgs, args.object, args.operation, args.state, since, until, None if limit is None else limit + 1)
    return Asked(which, ref, limit)


def cmd_history(args: argparse.Namespace) -> int:
    now = time.time()
    try:
        question = asked(args, now)
        path: Path = args.history_file or history_file()
    except (ValueError, ConfigError) as exc:
        return fail(str(exc), ExitCode.USAGE)
    if not path.exists():  # not an error of the file: there is no answer to give, as for an unknown job
        return fail(f"nothing recorded yet: no history file at {path} (sfmonitor watch records one)", ExitCode.REFUSED)
    try:
        conn = connect(path, write=False)
    except StoreError as exc:
        return fail(str(exc), ExitCode.USAGE)
    try:
        if question.ref is not None:
            return _one(args, conn, question, now)
        return _listed(args, conn, question, now)
    except sqlite3.Error as exc:  # a page damaged past the header, a lock held past the wait
        return fail(words(exc, path), ExitCode.USAGE)
    finally:
        conn.close()


def _listed(args: argparse.Namespace, conn: sqlite3.Connection, question: Asked, now: float) -> int:
    found = reader.jobs(conn, question.which)
    more = question.limit is not None and len(found) > question.limit
    found = found[: question.limit]
    if args.format == "json":
        print(json.dumps([r.to_json() for r in found], indent=2, ensure_ascii=False, default=str))
    elif args.format == "csv":
        write_csv([r.to_json() for r in found], raw=args.raw)
    elif found:
        polled = {org: reader.last_polled(conn, org) for org in {r.org for r in found}}
        print(view.table(found, now, polled))
    sys.stdout.flush()
    if not found:
        filtered = any((args.target_org, args.object, args.operation, args.state, args.since, args.until))
        fail(("no remembered jobs match" if filtered else "no jobs remembered yet") + _unknown_state(args.state), 0)
    elif more:
        fail(f"showing the newest {question.limit:,}; --limit to see more", 0)
    return ExitCode.OK


# the words --state knows: Salesforce's states (Bulk 2.0 and 1.0), the phases, the outcomes
STATE_WORDS = (
    sorted(V2_INGEST_ABORTABLE | V2_TERMINAL | V1_ABORTABLE | V1_TERMINAL)
    + [phase.value for phase in Phase]
    + [outcome.value for outcome in Outcome]
)


def _unknown_state(word: str | None) -> str:
    """A hint when ``--state`` is a word sfmonitor does not know (it is still asked: Salesforce may
    add states), else nothing."""
    if word is None or word.casefold() in {known.casefold() for known in STATE_WORDS}:
        return ""
    return f"; {inert(word)!r} is no state, phase or outcome sfmonitor knows ({', '.join(STATE_WORDS)})"


def _one(args: argparse.Namespace, conn: sqlite3.Connection, question: Asked, now: float) -> int:
    ref = question.ref
    assert ref is not None
    found = reader.find(conn, ref.job_id, question.which.orgs)
    if not found:
        where = f"org {inert(ref.org)}'s" if ref.org else "the"
        among = f" (among {', '.join(question.which.orgs)})" if question.which.orgs and not ref.org else ""
        return fail(f"no job {ref.job_id} in {where} history{among}", ExitCode.REFUSED)
    if len(found) > 1:
        where = ", ".join(inert(r.org) for r in found)
        which = " or ".join(inert(f"{r.org}:{ref.job_id}") for r in found)
        return fail(f"job {ref.job_id} is remembered in {len(found)} orgs ({where}): say which, as {which}",
                    ExitCode.USAGE)  # fmt: skip
    story = reader.timeline(conn, found[0])
    if args.format == "json":
        print(json.dumps(view.job_json(story), indent=2, ensure_ascii=False, default=str))
    elif args.format == "csv":
        write_csv(view.timeline_rows(story), raw=args.raw, first=())
    else:
        print(view.job_text(story, now, reader.last_polled(conn, story.job.org), every_batch=args.all))
    return ExitCode.OK


# the CSV's columns, in this order; any other field a job has follows them (a list, as "batches", is not a cell)
CSV_FIRST = (
    "org", "id", "apiKind", "jobType", "object", "operation", "state", "phase", "outcome", "createdDate",
    "endedDate", "durationSeconds", "numberRecordsProcessed", "numberRecordsFailed", "errorMessage",
)  # fmt: skip


def csv_columns(rows: list[dict[str, Any]], first: tuple[str, ...] = CSV_FIRST) -> list[str]:
    """``first`` (those the rows have, or all when there are no rows), then the rows' other fields."""
    columns = dict.fromkeys(c for c in first if not rows or any(c in row for row in rows))
    for row in rows:
        columns.update((name, None) for name, value in row.items() if not isinstance(value, list | dict))
    return list(columns)


def write_csv(rows: list[dict[str, Any]], *, raw: bool, first: tuple[str, ...] = CSV_FIRST) -> None:
    """The rows on standard output as CSV: the failures export's rules (a BOM, CRLF, a ``'`` before a
    value a spreadsheet would run, unless ``raw``; inert on a terminal)."""
    columns = csv_columns(rows, first)
    sink = stdout_sink(sys.stdout)
    cell = csv_cell(raw=raw, terminal=sys.stdout.isatty())
    sink.write(BOM)
    writer = csv_writer(sink)
    writer.writerow([cell(c) for c in columns])
    for row in rows:
        writer.writerow([cell("" if row.get(c) is None else str(row[c])) for c in columns])
    sink.flush()
