"""The recorder's history for the dashboards attached to it: ``GET /api/v1/history/runs`` (a job's past
runs: ``org``, ``object``, ``operation``, ``before``, ``limit``), ``/timeline`` (``org``, ``id``) and
``/last`` (an org's newest remembered jobs: ``org``, ``limit``), JSON (store/wire.py), read from the
recorder's history file, never from the org. What the file cannot answer is a JSON ``error`` with its
words: 404 for a job it has not, 503 for a file it cannot read, 400 for a question it cannot take."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qs

from ..store.memory import Forgotten, Memory
from ..store.schema import StoreError
from ..store.wire import remembered_to_wire, timeline_to_wire

PREFIX = "/api/v1/history/"
LIMIT = 2000


def answer(memory: Memory, path: str, query: str) -> tuple[int, bytes]:
    """(status, JSON body) for one request under :data:`PREFIX`."""
    asked = {key: values[0] for key, values in parse_qs(query).items()}
    try:
        status, body = 200, _read(memory, path.removeprefix(PREFIX), asked)
    except (KeyError, ValueError) as exc:
        status, body = 400, {"error": f"a question this recorder cannot take: {exc}"}
    except StoreError as exc:
        status, body = 404 if isinstance(exc, Forgotten) else 503, {"error": str(exc)}
    return status, (json.dumps(body, separators=(",", ":")) + "\n").encode()


def _read(memory: Memory, what: str, asked: dict[str, str]) -> Any:
    org = asked["org"]
    limit = max(1, min(int(asked.get("limit", LIMIT)), LIMIT))  # SQLite takes a negative limit for none
    if what == "runs":
        runs = memory.past_runs(org, asked["object"], asked["operation"], float(asked["before"]), limit)
        return [remembered_to_wire(run) for run in runs]
    if what == "timeline":
        return timeline_to_wire(memory.timeline(memory.job(org, asked["id"])))
    if what == "last":
        jobs, polled = memory.last_jobs(org, limit)
        return {"jobs": [remembered_to_wire(run) for run in jobs], "polled": polled}
    raise ValueError(f"no such history read: {what[:40]!r}")
