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
import math
import secrets
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from ..bulk.models import ApiUsage, Batch, Job, JobKind, parse_datetime
from .poller import Snapshot, newest_first

if TYPE_CHECKING:
    from .org import Org

RING = 4096  # events kept for a dashboard that reconnects (a minute of 10 orgs polled each 5 s, many times over)
RING_BYTES = 32 * 1024 * 1024  # ... and at most this much of them (an org's first poll of 20,000 jobs is ~12 MB)
SKEW_MAX_S = 86400.0  # a recorder whose clock is further from the dashboard's than this is not believed
LATE_S = 5.0  # a recorder's poll said to end this long after the event that tells it: not believed
PING_S = 15.0  # a line at least this often on an idle stream: a dead connection is noticed (the reader's timeout)
VERSION = 1  # of the wire; a dashboard refuses another

KINDS = {kind.name.lower(): kind for kind in JobKind}


def to_wire(job: Job, before: Job | None = None) -> dict[str, Any]:
    """A job as it goes to a dashboard: its kind, Salesforce's fields as read, its batches' (None: not
    read). ``before``: the job as last sent: a batch as it was at the same place is sent as null, one
    changed as ``{"~": the fields that changed}`` (a Bulk 1.0 job of 15,000 batches changes a few
    between polls, and is not sent whole each time)."""
    out: dict[str, Any] = {"kind": job.kind.name.lower(), "fields": dict(job.fields), "batches": None}
    if job.batches is None:
        return out
    kept = before.batches if before is not None and before.batches is not None else ()
    out["batches"] = [_batch(batch, kept[i] if i < len(kept) else None) for i, batch in enumerate(job.batches)]
    if kept:
        out["batches_as_before"] = True
    return out


def _batch(batch: Batch, before: Batch | None) -> dict[str, Any] | None:
    if before is None or before.id != batch.id or not before.fields.keys() <= batch.fields.keys():
        return dict(batch.fields)
    changed = {key: value for key, value in batch.fields.items() if before.fields.get(key, _NONE) != value}
    return {"~": changed} if changed else None


_NONE = object()


def from_wire(raw: Any, before: Job | None = None) -> Job:
    """A job from the wire, built as a read builds it (``before``: the copy's, for the batches sent as
    before or as their changes); a ValueError for anything else."""
    if not isinstance(raw, dict) or not isinstance(raw.get("fields"), dict) or raw.get("kind") not in KINDS:
        raise ValueError("not a job")
    job = Job.from_fields(raw["fields"], listed_as=KINDS[raw["kind"]])
    if not job.id:
        raise ValueError("a job without an id")
    batches = raw.get("batches")
    if batches is None:
        return job
    if not isinstance(batches, list) or not all(isinstance(b, dict) or b is None for b in batches):
        raise ValueError("batches that are not a list of objects")
    kept = before.batches if before is not None and before.batches is not None and raw.get("batches_as_before") \
        else ()  # fmt: skip
    built = []
    for i, b in enumerate(batches):
        if b is None or "~" in b:
            if i >= len(kept) or (b is not None and not isinstance(b["~"], dict)):
                raise ValueError("a batch as before, and no such batch before")
            built.append(kept[i] if b is None else Batch.from_fields({**kept[i].fields, **b["~"]}))
        else:
            built.append(Batch.from_fields(b))
    return job.with_batches(tuple(built))


def _when(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()


def _moment(text: Any) -> datetime | None:
    """A time the recorder sent (ISO text, as ``_when`` writes it); a ValueError for anything else."""
    if text is None:
        return None
    moment = parse_datetime(text) if isinstance(text, str) else None
    if moment is None:
        raise ValueError("a time that is not one")
    return moment


def _dumps(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"))


@dataclass
class _Held:
    """One org as the feed last sent it: each job's wire text, the Job objects it was made from (the
    poller hands the same object for a job it did not read again), and the org's health."""

    sent: dict[str, Job]
    encoded: dict[str, str | Job]  # a job's whole wire text, or the job, encoded when an org is sent whole
    health: dict[str, Any]


class Feed:
    """The recorder's events, numbered from 1 within one ``boot`` (a new one each process)."""

    def __init__(self, ring: int = RING, ring_bytes: int = RING_BYTES, clock: Callable[[], float] = time.time) -> None:
        self.boot = secrets.token_hex(8)
        self.clock = clock  # each event says when it was sent: a dashboard tells the age of a poll by it
        self._cond = threading.Condition()
        self._seq = 0
        self._ring: deque[tuple[int, str]] = deque()
        self._ring_max, self._ring_bytes, self._ring_size = ring, ring_bytes, 0
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
        sent = [_dumps(to_wire(job, held.sent.get(job_id))) for job_id, job in changed.items()]  # off the lock
        health = _health(org, snapshot)
        with self._cond:
            held.sent = dict(jobs)
            for job_id in gone:
                held.encoded.pop(job_id, None)
            held.encoded.update(changed)  # encoded whole only if a dashboard asks for the org whole
            held.health = health
            self._emit(org.remembered_as, health, sent, gone, full=False)

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
        line = self._event(name, health, jobs, gone, full=full)
        self._ring.append((self._seq, line))
        self._ring_size += len(line)
        while len(self._ring) > 1 and (len(self._ring) > self._ring_max or self._ring_size > self._ring_bytes):
            self._ring_size -= len(self._ring.popleft()[1])  # a dashboard that missed more gets each org whole
        self._cond.notify_all()

    def _event(self, name: str, health: dict[str, Any], jobs: Any, gone: Any, *, full: bool) -> str:
        head = _dumps({"type": "org", "seq": self._seq, "org": name, "full": full, "gone": list(gone),
                       "sent": self.clock(), **health})  # fmt: skip
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
        out = []
        for name, held in self._orgs.items():
            for job_id, job in held.encoded.items():
                if isinstance(job, Job):
                    held.encoded[job_id] = _dumps(to_wire(job))
            out.append(self._event(name, held.health, held.encoded.values(), (), full=True))
        return out


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
                      deferred=snapshot.deferred)  # fmt: skip
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
        self.lost = False  # the feed is lost (Org.recorder_lost): what it last said stands, not current

    def apply(self, event: Mapping[str, Any], now: datetime | None = None) -> Update | None:
        """Take one ``org`` event; a ValueError (or KeyError, TypeError) if it is not one. None: an event
        that changes nothing a dashboard shows (before the org came whole). ``now``: the dashboard's
        clock: the recorder's moments are moved onto it by the event's ``sent`` (the two clocks may
        differ; a poll's age is the recorder's word, not the difference of two machines' clocks)."""
        full = bool(event["full"])
        raws = event["jobs"]
        if not isinstance(raws, list):
            raise ValueError("jobs is not a list")
        before = {} if full else self.jobs
        jobs = [from_wire(raw, before.get(_job_id(raw) or "")) for raw in raws]
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
        sent = _seconds(event.get("sent"))
        if sent is not None and now is not None and abs(now.timestamp() - sent) > SKEW_MAX_S:
            raise ValueError("sent at a time that is not today's on this machine's clock")
        for key in ("last_good", "failing_since"):  # a poll is never newer than the event that tells it
            moment = _moment(event.get(key))
            if moment is not None and sent is not None and moment.timestamp() > sent + LATE_S:
                raise ValueError(f"{key} after the event that tells it")
        shift = timedelta(seconds=now.timestamp() - sent) if now is not None and sent is not None else timedelta()
        update = self._update(event, copy, full, shift)  # the whole event read before the copy changes
        self.jobs, self.whole, self.failing, self.lost = copy, True, update.failing, False
        return update

    def _update(self, event: Mapping[str, Any], jobs: dict[str, Job], full: bool, shift: timedelta) -> Update:
        error = event.get("error")
        gap = event.get("gap")
        usage = event.get("usage")
        name, production = _text(event.get("name")), _flag(event.get("production"))
        gap_s = _seconds(gap)
        gap_s = gap_s if gap_s is not None and gap_s > 0 else None
        since = _moment(event.get("failing_since"))
        failing = None if error is None else (str(error), since + shift if since else None)
        good = _moment(event.get("last_good"))
        good = good + shift if good is not None else None
        if good is None or (failing is not None and not full):
            return Update(None, failing, name, production, gap_s)  # failed (its jobs stand), or not polled yet
        errors = event.get("errors") or {}
        read = event.get("read") or []
        if not isinstance(errors, dict) or not isinstance(read, list):
            raise ValueError("errors or read of the wrong shape")
        snapshot = Snapshot(
            jobs=jobs,
            api_usage=_usage(usage),
            taken_at=good,
            requests=0,  # the dashboard's own: none (the recorder reads the org)
            errors={str(k): str(v) for k, v in errors.items()},
            backlog=_count(event.get("backlog")),
            deferred=_count(event.get("deferred")),
            read=frozenset(jobs) if full else frozenset(str(job_id) for job_id in read),
        )
        return Update((snapshot, good), failing, name, production, gap_s)


def _job_id(raw: Any) -> str | None:
    fields = raw.get("fields") if isinstance(raw, dict) else None
    job_id = fields.get("id") if isinstance(fields, dict) else None
    return job_id if isinstance(job_id, str) else None


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _flag(value: Any) -> bool | None:
    return value if isinstance(value, bool) else None


def _seconds(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value) \
        else None  # fmt: skip


def _count(value: Any) -> int:
    """A count of the recorder's (0 when it gives none); a ValueError for what cannot be one."""
    if value is None:
        return 0
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError("a count that is not a whole number")
    return value


def _usage(value: Any) -> ApiUsage | None:
    """The org's API usage as the recorder read it (None: the org has not said); a ValueError for what
    cannot be one (a negative count, an allowance of 0, numbers that are not whole)."""
    if value is None:
        return None
    if not isinstance(value, list) or len(value) != 2 or any(isinstance(n, bool) or not isinstance(n, int)
                                                              for n in value):  # fmt: skip
        raise ValueError("an API usage that is not two whole numbers")
    used, most = value
    if used < 0 or most <= 0:
        raise ValueError("an API usage out of range")
    return ApiUsage(used, most)
