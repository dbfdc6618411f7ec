"""What is worth telling the operator after a poll, without a screen: a watched job reaching its final
state, a Bulk 1.0 batch failing, a job flagged stalled, failed records crossing a threshold, a job
starting to wait on its client (an upload never closed, a Bulk 1.0 job nobody closed), and, when asked
for (:data:`OPT_IN`), a job turning slow against its usual pace (:mod:`.usual`).

An org's first poll only learns the jobs: what had ended before sfmonitor looked is not news, and a
job that poll could not read (its row holds the listing's older values) is learned at its first
good read, not alerted on. Each event is raised once (a job stays stalled for many polls; its alert
comes when it stalls; a job is told slow once, however often its pace dips under the line and back).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

from ..bulk.models import Job, JobKind
from ..numbers import count, duration
from .phase import REASONS, ended, ended_badly
from .usual import Slow

EVENTS = ("ended", "batch_failed", "stalled", "failures", "waiting", "slow")
OPT_IN = frozenset({"slow"})  # off unless [alerts] events names them: a judgement, not a fact the org states
DEFAULT_EVENTS = frozenset(EVENTS) - OPT_IN
DESKTOP_KINDS = ("auto", "osc9", "osc777", "osc99", "off")
T = TypeVar("T")


@dataclass(frozen=True)
class AlertRules:
    """``[alerts]`` in the config file (and ``[alerts.ORG]`` over it for one org)."""

    events: frozenset[str] = DEFAULT_EVENTS
    bell: bool = True
    desktop: str = "auto"  # auto | osc9 | osc777 | osc99 | off
    min_duration_s: float = 0.0  # a job that ended quicker than this does not alert
    failures_at: int = 1000  # failed records: an alert when a job's count reaches this
    on_event: tuple[str, ...] = ()  # a command handed each event as JSON on stdin (never a shell)
    on_event_timeout_s: float = 10.0


@dataclass(frozen=True)
class Event:
    kind: str  # one of EVENTS
    org: str  # the org's label or name
    job: Job
    duration_s: float | None = None  # created to last change, for an ended job
    stalled_s: float | None = None
    waiting: str | None = None  # why the job waits on its client (a key of phase.REASONS)
    slow: Slow | None = None  # the figures of a job well below its usual pace

    @property
    def bad(self) -> bool:
        return self.kind in ("batch_failed", "stalled", "failures", "waiting", "slow") or ended_badly(self.job)

    def title(self) -> str:
        what = {"ended": self.job.state, "batch_failed": "batch failed", "stalled": "stalled",
                "failures": "failures", "waiting": f"waiting on its client: {self.waiting}",
                "slow": "slow against its usual pace"}[self.kind]  # fmt: skip
        where = f"{self.org}: " if self.org else ""
        return f"{where}{self.job.object or 'job'} {self.job.operation} {what}".replace("  ", " ")

    def body(self) -> str:
        job = self.job
        parts = [f"job {job.id} ({job.kind.label})", f"state {job.state}"]
        parts.append(f"{count(job.number_records_processed)} processed, {count(job.number_records_failed)} failed")
        if job.kind is JobKind.CLASSIC and job.number_batches_failed:
            parts.append(f"{job.number_batches_failed} of {count(job.number_batches_total)} batches failed")
        if self.duration_s is not None:
            parts.append(f"took {duration(int(self.duration_s * 1000))}")
        if self.stalled_s is not None:
            parts.append(f"no progress for {duration(int(self.stalled_s * 1000))}")
        if self.waiting is not None:
            parts.append(REASONS.get(self.waiting, self.waiting))
        if self.slow is not None:
            parts.append(self.slow.words())
        return "; ".join(parts)

    def to_json(self) -> dict[str, Any]:
        return {"event": self.kind, "org": self.org, "title": self.title(), "text": self.body(),
                "durationSeconds": self.duration_s, "stalledSeconds": self.stalled_s,
                "waitingOnClient": self.waiting, "slow": self.slow.to_json() if self.slow else None,
                "job": self.job.to_json()}  # fmt: skip


BURST = 3  # this many events from one poll make one desktop notification, not a stack


def told(events: list[Event], org: str) -> list[tuple[str, str, bool]]:
    """What the operator is shown for one poll's events: (title, text, bad) each; a burst is folded
    into one, naming the first few (the event command still gets every event)."""
    if len(events) < BURST:
        return [(e.title(), e.body(), e.bad) for e in events]
    where = f"{org}: " if org else ""
    named = [e.title().removeprefix(where) + f" ({e.job.id})" for e in events[:4]]
    more = f"; and {len(events) - 4} more" if len(events) > 4 else ""
    return [(f"{where}{len(events)} alerts", "; ".join(named) + more, any(e.bad for e in events))]


def _took(job: Job) -> float | None:
    if job.created_date is None or job.system_modstamp is None:
        return None
    return max(0.0, (job.system_modstamp - job.created_date).total_seconds())


@dataclass
class Alerter:
    """One org's alerts: what the last poll changed, against what was known before it."""

    rules: AlertRules = field(default_factory=AlertRules)
    _stalled: set[str] = field(default_factory=set)
    _waiting: set[str] = field(default_factory=set)
    _slow: set[str] = field(default_factory=set)  # told slow once: never again while the job is listed
    _learned: bool = False
    _unlearned: set[str] = field(default_factory=set)  # there at the first poll, not read yet

    def after_poll(
        self,
        before: Mapping[str, Job],
        after: Mapping[str, Job],
        *,
        org: str,
        stalled: Mapping[str, float],
        waiting: Mapping[str, str],
        unread: Collection[str] = (),
        slow: Mapping[str, Slow] | None = None,
    ) -> list[Event]:
        """The events of one poll; ``stalled``: the jobs flagged stalled now, and for how long;
        ``waiting``: the jobs waiting on their client now, and why; ``unread``: the jobs this
        poll could not read; ``slow``: the jobs well below their usual pace now, with the figures."""
        slow = slow or {}
        if not self._learned:  # the first look at the org: nothing has happened yet
            self._learned = True
            self._stalled, self._waiting, self._slow = set(stalled), set(waiting), set(slow)
            self._unlearned = {job_id for job_id in unread if job_id in after}
            return []
        # the first poll's unread jobs stay quiet until read, and the poll that reads them only learns them
        quiet, self._unlearned = self._unlearned, {job_id for job_id in self._unlearned if job_id in unread}
        rules, out = self.rules, []
        for job_id, job in after.items():
            was = before.get(job_id)
            if was is job or job_id in quiet:
                continue
            if ended(job) and (was is None or not ended(was)):
                took = _took(job)
                if "ended" in rules.events and (took is None or took >= rules.min_duration_s):
                    out.append(Event("ended", org, job, duration_s=took))
                continue  # its end says the rest
            if was is None:
                continue
            if (job.kind is JobKind.CLASSIC and "batch_failed" in rules.events
                    and (job.number_batches_failed or 0) > (was.number_batches_failed or 0)):  # fmt: skip
                out.append(Event("batch_failed", org, job))
            failed, had = job.number_records_failed or 0, was.number_records_failed or 0
            if "failures" in rules.events and had < rules.failures_at <= failed:
                out.append(Event("failures", org, job))

        def newly(marks: Mapping[str, Any], known: set[str]) -> list[str]:  # flagged now, not before
            return [job_id for job_id in marks if job_id not in known and job_id in after and job_id not in quiet]

        if "stalled" in rules.events:
            out += [Event("stalled", org, after[j], stalled_s=stalled[j]) for j in newly(stalled, self._stalled)]
        if "waiting" in rules.events:
            out += [Event("waiting", org, after[j], waiting=waiting[j]) for j in newly(waiting, self._waiting)]
        if "slow" in rules.events:
            out += [Event("slow", org, after[j], slow=slow[j]) for j in newly(slow, self._slow)]
        self._stalled, self._waiting = set(stalled), set(waiting)
        self._slow = {job_id for job_id in self._slow if job_id in after} | {j for j in slow if j not in quiet}
        return out


def flagged(
    jobs: Mapping[str, Job], flag: Callable[[Job, float], T | None], now: float, ids: Collection[str]
) -> dict[str, T]:
    """The jobs among ``ids`` that ``flag(job, now)`` marks (History.stalled: for how long;
    waiting_on_client: why), with the mark."""
    out = {}
    for job_id in ids:
        job = jobs.get(job_id)
        mark = flag(job, now) if job is not None else None
        if mark is not None:
            out[job_id] = mark
    return out
