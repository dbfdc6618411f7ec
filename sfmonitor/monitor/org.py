"""One org's monitoring, without Textual: what was read, how the polls go, and when to poll next.

The app owns one of these per org and hands it what its workers bring back (a snapshot, a failure,
the limits); each transition returns what the app must do next, so the rules are tested without a
screen.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field, replace
from datetime import datetime

from ..bulk.errors import AuthError, BulkError, ConfigError, RequestLimitExceeded
from ..bulk.failures import FailureReport
from ..bulk.models import Action, ApiUsage, Job, Limit
from ..bulk.service import BulkService
from .alerts import Alerter
from .board import Connection
from .confirm import needs_typed, production_of, read_only_refusal
from .failure_store import FailureStore
from .feed import Replica, Update
from .history import History
from .phase import Phase, phase, working
from .poller import BACKFILL, Poller, Snapshot
from .schedule import Schedule
from .spend import Spend
from .state import OrgState
from .usual import Key, Usuals

LIMITS_EVERY_S = 300.0  # /limits is accurate to ~5 minutes; no point asking every poll
LIMITS_IDLE_EVERY_S = 1800.0  # idle: no batches are being spent; the calls come with every answer


@dataclass(frozen=True)
class PollFailure:
    """A failed sign-in or poll in words, and what it means for the next try (Org.poll_failed)."""

    error: str
    limit_reached: bool = False
    sign_in: bool = False  # the org refused the token, or none could be had: retry slowly

    @classmethod
    def of(cls, error: BulkError) -> PollFailure:
        if isinstance(error, RequestLimitExceeded):
            return cls(f"the org's daily API limit is reached ({error.message})", limit_reached=True)
        return cls(str(error), sign_in=isinstance(error, AuthError | ConfigError))


@dataclass
class Org:
    """``name``: the org as the header names it (its user name once connected); ``target``: where
    it is reached, for "connecting to …"; ``read_only``: no close or abort is ever sent."""

    schedule: Schedule
    key: str = ""  # how the app and the config file know it (its [orgs.NAME], its sf alias)
    name: str = "org"
    target: str = "the org"
    read_only: bool = False
    read_only_why: str | None = None  # why, when not the --read-only flag
    label: str | None = None  # the config file's name for it, shown instead of ``name``
    colour: str | None = None  # the config file's colour for it
    production: bool | None = None  # None: not known (yet); treated as production, the careful answer
    remembered_as: str = ""  # the history file's name for it (config.orgs.history_name)
    state: OrgState = field(default_factory=OrgState)
    history: History = field(default_factory=History)
    spend: Spend = field(default_factory=Spend)
    connection: Connection = field(default_factory=Connection)
    usage: ApiUsage | None = None
    limits: dict[str, Limit] = field(default_factory=dict)
    service: BulkService | None = None
    poller: Poller | None = None
    limits_read_at: float | None = None
    polling: bool = False  # a poll cycle (or the connection before the first) is under way
    next_poll_delay: float | None = None
    failures: FailureStore = field(default_factory=FailureStore)  # read on demand, kept while they fit
    alerter: Alerter = field(default_factory=Alerter)  # what its polls change that the operator hears of
    backfill: int = BACKFILL  # finished jobs of a big org's history read per cycle (a fleet shares it)
    usuals: Usuals | None = None  # its jobs' usual pace, from past runs (None: no history to ask)
    recorder: str | None = None  # read through this recorder (its feed), never polled from here
    replica: Replica = field(default_factory=Replica)  # the recorder's copy of it, kept from the feed
    sign_in_refused: str | None = None  # read through a recorder: why this dashboard's own sign-in failed
    _requests_seen: int = 0
    _results_seen: int = 0
    _asked: bool = False  # the poll under way was asked for (r): no pace for the day to come

    def connected(self, service: BulkService, name: str | None = None, sandbox: bool | None = None) -> None:
        """Signed in; ``sandbox`` is the org's ``IsSandbox`` (a setting of production wins over it)."""
        self.service = service
        if self.recorder is not None:  # signed in for close, abort and failures: read through the recorder still
            return
        self.poller = Poller(service, backfill=self.backfill)
        self.name = name or self.name
        self.polling = False
        self.production = production_of(self.production, sandbox)

    @property
    def shown_name(self) -> str:
        return self.label or self.name

    @property
    def poll_gap(self) -> float:
        """How far apart good polls are meant to be now: the interval, or the delay scheduled (an
        idle org's looks, the API budget's stretch); data older than a few of these is stale."""
        return max(self.schedule.interval, self.next_poll_delay or 0.0)

    @property
    def careful(self) -> bool:
        """Whether a close or abort asks for the job id's last characters, not only y: production,
        or not known to be a sandbox."""
        return needs_typed(self.production)

    def failure_report(self, job: Job) -> FailureReport:
        """The job's failures as read so far (an empty report before the first read, or once dropped
        from the session's bounded store), now the most recently used."""
        return self.failures.report(job)

    def failures_starting(self, job: Job, *, asked: bool = False) -> FailureReport | None:
        """The report to bring up to date if a read of the job's failures may start now (it then
        has), else None: never two reads at once, none once the results are complete; after a
        failed read only when the operator asks (``asked``), so a broken file is not fetched each poll."""
        report = self.failure_report(job)
        if report.reading or report.complete or (report.error and not asked):
            return None
        report.reading = True
        return report

    def top_errors(self) -> dict[str, tuple[str, int]]:
        """Per job whose failures were read: its largest group's code and rows (no call is made for it)."""
        return self.failures.top_errors()

    def poll_starting(self, asked: bool = False) -> bool:
        """Whether a poll may start now (never two at once; none while paused, unless the operator
        ``asked``: r polls once); if so it has."""
        if self.polling or (self.connection.paused and not asked):
            return False
        self.polling, self._asked = True, asked
        return True

    def refusal(self, action: Action, job: Job | None) -> str | None:
        """Why ``action`` cannot be sent for ``job`` now, or None: the one place for this rule."""
        if self.read_only:
            return read_only_refusal(self.shown_name, self.read_only_why)
        if self.service is None and self.sign_in_refused is not None:  # asked before the question, not after
            return f"this dashboard has no sign-in of its own for {self.shown_name}: {self.sign_in_refused}"
        if job is None:
            return "no job selected"
        remembered = self.state.memory.refusal(job.id, self.state.jobs, listed=self.state.listed)
        if remembered is not None:
            return remembered
        pending = self.state.pending.get(job.id)
        if pending is not None:
            return f"a {pending.value} request for job {job.id} is already on its way"
        return job.refusal(action)

    def paused(self, paused: bool) -> None:
        self.connection = replace(self.connection, paused=paused)

    def polled(self, snapshot: Snapshot, cycle: int, now: datetime, monotonic: float) -> float | None:
        """A cycle's snapshot arrived. Returns the delay to the next poll: 0 for at once (a close or
        abort answered mid-cycle waits to be read back), None while paused."""
        self.polling = False
        known = self.state.jobs.keys() if self.state.polls_done else None
        appeared = known is not None and not snapshot.jobs.keys() <= known
        self.state.polled(snapshot, cycle)
        self.usage = snapshot.api_usage
        self.count_spend(monotonic, paced=self.state.polls_done > 1 and not self._asked)  # the first read every job
        self.history.record(now.timestamp(), self.state.jobs, read=snapshot.read)
        self.connection = replace(self.connection, last_good=now, error=None, failing_since=None)
        if self.connection.paused:
            return None
        if self.state.awaiting_read:
            return 0.0
        # a job in the running phase (what the header counts as running): else idle pace
        running = working(self.state.jobs, self.state.index.running, now.timestamp())[0] > 0
        first = self.state.polls_done <= 1  # it read every job once: not the pace of the polls to come
        calls = None if first else snapshot.requests
        return self.schedule.after_success(
            running, calls, appeared=appeared, settled=snapshot.backlog == 0 or snapshot.deferred > 0, now=monotonic
        )

    def fed(self, update: Update, monotonic: float) -> None:
        """An event of the recorder's feed (``recorder``): its poll taken, then its failure, by the
        transitions a poll of the dashboard's own makes (what the recorder reads is shown as read)."""
        self.name = update.name or self.name
        self.production = self.production if self.production is not None else update.production
        self.next_poll_delay = update.gap if update.gap is not None else self.next_poll_delay
        if update.polled is not None:
            snapshot, at = update.polled
            self.polled(snapshot, self.state.poll_started(), at, monotonic)
        if update.failing is not None:
            error, since = update.failing
            since = since or self.connection.failing_since
            self.connection = replace(self.connection, error=error, failing_since=since)

    def action_answered(self, job_id: str, answer: Job | None = None) -> None:
        """The org answered a close/abort (``answer``: the job as it said; None: the answer was lost).
        A read older than the answer by the org's clock is set aside (OrgState.polled). With no answer
        to compare, read through a recorder, the next event may come from a poll the recorder began
        before the request went out: it is set aside too (the recorder polls an org one cycle at a
        time, so the event after it is read after the request)."""
        later = 1 if self.recorder is not None and answer is None else 0
        self.state.action_answered(job_id, answer, later=later)

    def recorder_lost(self, words: str, now: datetime) -> None:
        """The recorder's feed is lost: what it last said stands, marked as not current (OFFLINE)."""
        self.replica.lost = True
        self.connection = replace(self.connection, error=words, failing_since=self.connection.failing_since or now)

    def recorder_back(self) -> None:
        """The feed is back: the org is as the recorder last said (its events bring what changed since)."""
        self.replica.lost = False
        failing = self.replica.failing
        self.connection = replace(self.connection, error=failing[0] if failing else None,
                                  failing_since=failing[1] if failing else None)  # fmt: skip

    def poll_failed(
        self, error: str, now: datetime, monotonic: float, *, limit_reached: bool = False, sign_in: bool = False
    ) -> float | None:
        """A cycle failed. Returns the delay to the next try (backing off), None while paused."""
        self.polling = False
        self.count_spend(monotonic)
        self.connection = replace(self.connection, error=error, failing_since=self.connection.failing_since or now)
        if self.connection.paused:
            return None
        return self.schedule.after_failure(limit_reached, sign_in=sign_in)

    def count_spend(self, monotonic: float, paced: bool = True) -> None:
        """Every request made for this org since the last count (polls, /limits, close/abort).
        ``paced``: a poll of the schedule's, not the sign-in and first read or one the operator asked
        for (r); result files read (failures, on demand) are never the pace of the day to come."""
        if self.service is None:
            return
        transport = self.service.transport
        made, results = transport.requests_made, transport.calls.totals["results"]
        if self.usage is not None:  # first: a share's budget is known from the answers it counts
            self.schedule.allowance = self.usage.max
        asked = min(results - self._results_seen, made - self._requests_seen)
        self.spend.record(monotonic, made - self._requests_seen - asked, paced)
        self.spend.record(monotonic, asked, paced=False)
        self.schedule.spent(made - self._requests_seen, monotonic)  # the budget counts every call
        self._requests_seen, self._results_seen = made, results

    def usuals_due(self, now: float, watched: Collection[str] = ()) -> list[Key]:
        """The objects and operations whose past runs to read now (each at most every few minutes):
        those of the jobs in the running phase, and of the jobs whose detail is open (``watched``)."""
        if self.usuals is None:
            return []
        jobs = self.state.jobs
        wanted = [jobs[job_id] for job_id in watched if job_id in jobs]
        wanted += [jobs[job_id] for job_id in self.state.index.running
                   if job_id in jobs and phase(jobs[job_id], now) is Phase.RUNNING]  # fmt: skip
        return self.usuals.due(wanted, now)

    def limits_due(self, now: float) -> bool:
        every = LIMITS_IDLE_EVERY_S if self.schedule.idle else LIMITS_EVERY_S
        return self.limits_read_at is None or now - self.limits_read_at >= every

    def limits_arrived(self, limits: dict[str, Limit]) -> None:
        self.limits = limits
        if self.service is not None:
            self.usage = self.service.transport.api_usage or self.usage
