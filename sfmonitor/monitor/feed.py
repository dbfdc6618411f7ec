"""The recorder's changes, for the dashboards attached to it (``sfmonitor --recorder URL``): what each
poll of each org changed, as numbered events, and a dashboard's copy of the org rebuilt from them.

:class:`Feed` (the recorder's side) turns each poll into one event: the jobs whose read changed (a
job the poller did not read again is the same object, and is not sent), the ids that left the org,
and the org's health (its last good poll, its failure in words, its API usage, its poll gap). A poll
that failed is an event with the failure. Events are numbered; the newest are kept (``RING``) so a
dashboard that reconnects is sent what it missed, and one that missed more (or a recorder that
restarted: another ``boot``) is sent each org whole. Its readers are other threads (the recorder's
HTTP server): they wait on :meth:`Feed.after`; the recorder's loop is the only writer.

:class:`Replica` (the dashboard's side) applies an org's events to its copy and hands back what the
dashboard's own poll would have: a :class:`Snapshot` to give ``Org.polled``, or a failure for
``Org.poll_failed`` (the one set of transitions, whoever reads the org).

The wire: one JSON object a line (NDJSON). A job is its kind, Salesforce's fields as read and its
batches' (``to_wire``); the dashboard builds it with the same ``Job.from_fields`` a read uses.
"""

from __future__ import annotations

import json
import secrets
import threading
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from ..bulk.models import ApiUsage, Batch, Job, JobKind
from .poller import Snapshot, newest_first

if TYPE_CHECKING:
    from .org import Org

RING = 4096  # events kept for a dashboard that reconnects (a minute of 10 orgs polled each 5 s, many times over)
PING_S = 15.0  # a line at least this often on an idle stream: a dead connection is noticed (the reader's timeout)
VERSION = 1  # of the wire; a dashboard refuses another

KINDS = {kind.name.lower(): kind for kind in JobKind}


def to_wire(job: Job) -> dict[str, Any]:
    """A job as it goes to a dashboard: its kind, Salesforce's fields as read, its batches' (None: not read)."""
    batches = None if job.batches is None else [dict(batch.fields) for batch in job.batches]
    return {"kind": job.kind.name.lower(), "fields": dict(job.fields), "batches": batches}


def from_wire(raw: Any) -> Job:
    """A job from the wire, built as a read builds it; a ValueError for anything else."""
    if not isinstance(raw, dict) or not isinstance(raw.get("fields"), dict) or raw.get("kind") not in KINDS:
        raise ValueError("not a job")
    job = Job.from_fields(raw["fields"], listed_as=KINDS[raw["kind"]])
    if not job.id:
        raise ValueError("a job without an id")
    batches = raw.get("batches")
    if batches is None:
        return job
    if not isinstance(batches, list) or not all(isinstance(b, dict) for b in batches):
        raise ValueError("batches that are not a list of objects")
    return job.with_batches(tuple(Batch.from_fields(b) for b in batches))


def _when(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()


def _moment(text: Any) -> datetime | None:
    if text is None:
        return None
    if not isinstance(text, str):
        raise ValueError("a time that is not text")
    moment = datetime.fromisoformat(text)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _dumps(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"))


@dataclass
class _Held:
    """One org as the feed last sent it: each job's wire text, the Job objects it was made from (the
    poller hands the same object for a job it did not read again), and the org's health."""

    sent: dict[str, Job]
    encoded: dict[str, str]
    health: dict[str, Any]


class Feed:
    """The recorder's events, numbered from 1 within one ``boot`` (a new one each process)."""

    def __init__(self, ring: int = RING) -> None:
        self.boot = secrets.token_hex(8)
        self._cond = threading.Condition()
        self._seq = 0
        self._ring: deque[tuple[int, str]] = deque(maxlen=ring)
        self._orgs: dict[str, _Held] = {}
        self._info: list[dict[str, Any]] = []
        self.closed = False

    # --- the recorder's loop ----------------------------------------------------------------------

    def listed(self, orgs: list[Org]) -> None:
        """The orgs recorded, before their first poll (the hello's list)."""
        with self._cond:
            self._info = [{"org": org.remembered_as, "label": org.label, "target": org.target} for org in orgs]
            for org in orgs:
                self._orgs.setdefault(org.remembered_as, _Held({}, {}, _health(org)))

    def polled(self, org: Org, snapshot: Snapshot) -> None:
        """A good poll: the jobs whose read changed since the last event, and the ids gone."""
        with self._cond:  # an org not listed is added under the lock: a reader may be iterating the orgs
            held = self._orgs.setdefault(org.remembered_as, _Held({}, {}, {}))
        jobs = snapshot.jobs
        changed = {job_id: job for job_id, job in jobs.items() if held.sent.get(job_id) is not job}
        gone = [job_id for job_id in held.sent if job_id not in jobs]
        encoded = {job_id: _dumps(to_wire(job)) for job_id, job in changed.items()}  # off the lock
        health = _health(org, snapshot)
        with self._cond:
            held.sent = dict(jobs)
            for job_id in gone:
                held.encoded.pop(job_id, None)
            held.encoded.update(encoded)
            held.health = health
            self._emit(org.remembered_as, health, encoded.values(), gone, full=False)

    def failed(self, org: Org) -> None:
        """A failed poll (or sign-in): the org's health says why; its jobs stand as last sent."""
        health = _health(org)
        with self._cond:
            held = self._orgs.setdefault(org.remembered_as, _Held({}, {}, health))
            held.health = {**held.health, **health}  # sent whole: the last good poll's unread jobs still marked
            self._emit(org.remembered_as, health, (), (), full=False)

    def close(self) -> None:
        """The recorder stops: every reader's wait ends (their streams close)."""
        with self._cond:
            self.closed = True
            self._cond.notify_all()

    def _emit(self, name: str, health: dict[str, Any], jobs: Any, gone: Any, *, full: bool) -> None:
        self._seq += 1
        self._ring.append((self._seq, self._event(name, health, jobs, gone, full=full)))
        self._cond.notify_all()

    def _event(self, name: str, health: dict[str, Any], jobs: Any, gone: Any, *, full: bool) -> str:
        head = _dumps({"type": "org", "seq": self._seq, "org": name, "full": full, "gone": list(gone), **health})
        return f'{head[:-1]},"jobs":[{",".join(jobs)}]}}'

    # --- the readers (other threads) ------------------------------------------------------------

    def hello(self) -> str:
        with self._cond:
            return _dumps({"type": "hello", "version": VERSION, "boot": self.boot, "seq": self._seq,
                           "orgs": list(self._info)})  # fmt: skip

    def start(self, boot: str | None, after: int | None) -> tuple[list[str], int]:
        """The lines a reader starts with, and the number it has then: the hello, then what it missed
        since ``after`` when this is the recorder it read (``boot``) and the events are still kept,
        else each org whole."""
        hello = self.hello()
        with self._cond:
            if boot == self.boot and after is not None and self._kept_after(after):
                return [hello, *(line for seq, line in self._ring if seq > after)], self._seq
            return [hello, *self._whole()], self._seq

    def after(self, seq: int, timeout: float = PING_S) -> tuple[list[str], int] | None:
        """The events after ``seq`` (waiting up to ``timeout`` for one: [] when none came), each org
        whole if the reader fell further behind than the events kept; None once the feed is closed."""
        with self._cond:
            self._cond.wait_for(lambda: self._seq > seq or self.closed, timeout)
            if self.closed:
                return None
            if not self._kept_after(seq):
                return self._whole(), self._seq
            return [line for number, line in self._ring if number > seq], self._seq

    def _kept_after(self, seq: int) -> bool:
        oldest = self._ring[0][0] if self._ring else self._seq + 1
        return seq <= self._seq and seq >= oldest - 1

    def _whole(self) -> list[str]:
        orgs = self._orgs.items()
        return [self._event(name, held.health, held.encoded.values(), (), full=True) for name, held in orgs]


def _health(org: Org, snapshot: Snapshot | None = None) -> dict[str, Any]:
    """What a dashboard shows of the org beside its jobs: how its polls go, its API usage, the poll's
    unread jobs and backlog (``snapshot``: the poll just done)."""
    connection, usage = org.connection, org.usage
    health: dict[str, Any] = {
        "name": org.name,
        "production": org.production,
        "last_good": _when(connection.last_good),
        "error": connection.error,
        "failing_since": _when(connection.failing_since),
        "gap": org.poll_gap,
        "usage": None if usage is None else [usage.used, usage.max],
    }
    if snapshot is not None:
        health.update(read=sorted(snapshot.read), errors=dict(snapshot.errors), backlog=snapshot.backlog,
                      deferred=snapshot.deferred, taken_at=_when(snapshot.taken_at))  # fmt: skip
    return health


@dataclass(frozen=True)
class Update:
    """What one event means to the dashboard's org: a poll to take (``polled``: its snapshot, and when
    the recorder took it), then a failure (``failing``: its words, and since when), either or both
    (an org whole while failing: its last good poll's jobs, then why it fails now);
    ``name``/``production``/``gap`` as the recorder has them."""

    polled: tuple[Snapshot, datetime] | None
    failing: tuple[str, datetime | None] | None
    name: str | None
    production: bool | None
    gap: float | None


class Replica:
    """A dashboard's copy of one org, kept from the feed's events (the dashboard's side)."""

    def __init__(self) -> None:
        self.jobs: dict[str, Job] = {}
        self.whole = False  # an event with the org whole has come (the copy is the recorder's)
        self.failing: tuple[str, datetime | None] | None = None  # the recorder's last word on the org's trouble

    def apply(self, event: Mapping[str, Any]) -> Update | None:
        """Take one ``org`` event; a ValueError (or KeyError, TypeError) if it is not one. None: an event
        that changes nothing a dashboard shows (before the org came whole)."""
        full = bool(event["full"])
        jobs = [from_wire(raw) for raw in event["jobs"]]
        gone = event["gone"]
        if not isinstance(gone, list):
            raise ValueError("gone is not a list")
        if full:
            copy = dict(sorted(((job.id, job) for job in jobs), key=newest_first))
        elif not self.whole:
            return None
        else:
            merged = dict(self.jobs)
            for job_id in gone:
                merged.pop(job_id, None)
            new = False
            for job in jobs:
                new = new or job.id not in merged
                merged[job.id] = job
            copy = dict(sorted(merged.items(), key=newest_first)) if new else merged
        update = self._update(event, copy, full)  # the whole event read before the copy changes
        self.jobs, self.whole = copy, True
        return update

    def _update(self, event: Mapping[str, Any], jobs: dict[str, Job], full: bool) -> Update:
        error = event.get("error")
        gap = event.get("gap")
        usage = event.get("usage")
        name, production = _text(event.get("name")), _flag(event.get("production"))
        gap_s = float(gap) if isinstance(gap, int | float) else None
        failing = None if error is None else (str(error), _moment(event.get("failing_since")))
        good = _moment(event.get("last_good"))
        if good is None or (failing is not None and not full):
            return Update(None, failing, name, production, gap_s)  # failed (its jobs stand), or not polled yet
        errors = event.get("errors") or {}
        read = event.get("read") or []
        if not isinstance(errors, dict) or not isinstance(read, list):
            raise ValueError("errors or read of the wrong shape")
        snapshot = Snapshot(
            jobs=jobs,
            api_usage=ApiUsage(int(usage[0]), int(usage[1])) if isinstance(usage, list) and len(usage) == 2 else None,
            taken_at=good,
            requests=0,  # the dashboard's own: none (the recorder reads the org)
            errors={str(k): str(v) for k, v in errors.items()},
            backlog=int(event.get("backlog") or 0),
            deferred=int(event.get("deferred") or 0),
            read=frozenset(jobs) if full else frozenset(str(job_id) for job_id in read),
        )
        return Update((snapshot, good), failing, name, production, gap_s)


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _flag(value: Any) -> bool | None:
    return value if isinstance(value, bool) else None
