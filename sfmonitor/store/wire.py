"""The history as it goes over the wire to a dashboard attached to a recorder (``/api/v1/history/…``):
a remembered job and a job's timeline as JSON, and back. A job is the feed's (monitor/feed.py's
``to_wire``: Salesforce's fields as read); what cannot be one raises ValueError."""

from __future__ import annotations

from typing import Any

from ..monitor.feed import from_wire as job_from_wire
from ..monitor.feed import to_wire as job_to_wire
from .reader import BatchRow, Point, Timeline
from .rows import Remembered


def remembered_to_wire(run: Remembered) -> dict[str, Any]:
    return {"org": run.org, "job": job_to_wire(run.job), "phase": run.phase, "outcome": run.outcome,
            "ended": run.ended, "seen_first": run.seen_first, "seen_last": run.seen_last}  # fmt: skip


def remembered_from_wire(raw: Any) -> Remembered:
    if not isinstance(raw, dict):
        raise ValueError("a remembered job that is not an object")
    return Remembered(
        org=_text(raw["org"]),
        job=job_from_wire(raw["job"]),
        phase=_text(raw["phase"]),
        outcome=None if raw["outcome"] is None else _text(raw["outcome"]),
        ended=_moment(raw["ended"]),
        seen_first=_moment(raw["seen_first"]) or 0.0,
        seen_last=_moment(raw["seen_last"]) or 0.0,
    )


def timeline_to_wire(found: Timeline) -> dict[str, Any]:
    return {
        "job": remembered_to_wire(found.job),
        "points": [[p.at, p.state, p.processed, p.failed] for p in found.points],
        "batches": [
            [b.id, b.state, b.message, b.created, b.ended, b.processed, b.failed, b.total_ms] for b in found.batches
        ],
        "failure_groups": [list(group) for group in found.failure_groups],
        "failures_read_at": found.failures_read_at,
    }


def timeline_from_wire(raw: Any) -> Timeline:
    if not isinstance(raw, dict):
        raise ValueError("a timeline that is not an object")
    return Timeline(
        remembered_from_wire(raw["job"]),
        [
            Point(_moment(at) or 0.0, _maybe(state), _count(processed), _count(failed))
            for at, state, processed, failed in raw["points"]
        ],
        [
            BatchRow(_text(i), _text(s), _text(m), _moment(c), _moment(e), _count(p), _count(f), _count(t))
            for i, s, m, c, e, p, f, t in raw["batches"]
        ],
        [(_text(code), _text(message), _count(rows) or 0) for code, message, rows in raw["failure_groups"]],
        _moment(raw["failures_read_at"]),
    )


def _text(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError("text expected")
    return value


def _maybe(value: Any) -> str | None:
    return None if value is None else _text(value)


def _moment(value: Any) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError("a moment that is not a number")
    return float(value)


def _count(value: Any) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError("a count that is not a whole number")
    return value
