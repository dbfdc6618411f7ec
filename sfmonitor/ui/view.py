"""Everything a screen needs to draw, in one immutable value the app publishes after each change
(its ``board_changed`` signal): one org's :class:`View`, the fleet's :class:`Board`, each built in
one presenter (:func:`present`, :func:`present_board`) from the org model."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime

from ..bulk.models import Action, ApiUsage, Job, Limit
from ..config.orgs import org_colour
from ..monitor.alert_log import AlertLog
from ..monitor.board import Connection, SortMode
from ..monitor.fleet import Fleet
from ..monitor.history import History
from ..monitor.index import JobIndex
from ..monitor.memory import Memory
from ..monitor.org import Org
from ..monitor.phase import working
from ..monitor.spend import Budget, Polling, Spend, SpendWords, polling, spend_words
from ..monitor.usual import Usuals
from ..numbers import ago, clock, plural, seconds_between, short_count
from .cells import Palette
from .widgets.status_bar import AlertNote, Chip, HeaderInfo

MAX_ROWS = 1000  # a live table of a week's 20,000 jobs helps nobody and costs seconds a redraw


@dataclass(frozen=True)
class View:
    org: str
    jobs: dict[str, Job]
    history: History
    now: datetime
    palette: Palette
    connection: Connection
    interval: float
    usage: ApiUsage | None = None
    limits: dict[str, Limit] = field(default_factory=dict)
    pending: dict[str, Action] = field(default_factory=dict)
    sort: SortMode = SortMode.RUNNING
    filter: str = ""
    read_only: bool = False
    errors: dict[str, str] = field(default_factory=dict)  # jobs the last poll could not read
    target: str = ""  # where the org is (URL or sf alias), for "connecting to …"
    instance_url: str | None = None  # once signed in: for links to the org's Setup pages
    spend: Spend | None = None  # sfmonitor's own API calls
    interval_in_force: float | None = None  # the interval stretched for the API budget
    budget: Budget | None = None
    looking_every: float | None = None  # idle: the org is listed this often
    gap: float | None = None  # how far apart polls are meant to be now (Org.poll_gap): stale after a few
    index: JobIndex | None = None  # order and filter of ``jobs`` (None: built here, for a one-off view)
    top_errors: dict[str, tuple[str, int]] = field(default_factory=dict)  # jobs whose failures were read
    key: str = ""  # the org's key in the fleet
    colour: str | None = None  # the config file's colour for it
    production: bool | None = None  # None: not known (no mark)
    polls: int = 0  # the org's poll cycles done: a screen that reads more each poll tells a new one
    alert: AlertNote | None = None  # the session's newest alert (any org's), for the header
    usuals: Usuals | None = None  # its jobs' usual pace (None: no history: nothing shown)
    memory: Memory = field(default_factory=Memory)  # what the history file remembers (never counted)
    listed: bool = False  # the org was listed in full once: a remembered job it lacks has left it
    recorder: str | None = None  # read through this recorder (its address), not polled from here
    recorder_lost: bool = False  # its feed is lost (what it last said stands)

    def remembered(self, job_id: str) -> Job | None:
        """The job as the history file remembers it, when the org has not brought it."""
        return self.memory.only(job_id, self.jobs)

    def memory_words(self, job_id: str) -> str:
        """What a remembered row of this org is (Memory.words): ``remembered 3h00m ago``."""
        return self.memory.words(job_id, self.now.timestamp(), listed=self.listed)

    @property
    def poll_gap(self) -> float:
        return max(self.interval, self.gap or 0.0)

    @property
    def level(self) -> str:
        return self.connection.status(self.now, self.poll_gap)[0]

    def chip(self) -> Chip:
        """This org in a few words, for a header that shows several."""
        level, _ = self.connection.status(self.now, self.poll_gap)
        last = self.connection.last_good
        age = f" {ago(seconds_between(self.now, last)).removesuffix(' ago')}" if last else ""
        words = {"ok": "ok", "paused": "paused", "stale": f"stale{age}", "offline": f"offline{age}"}[level]
        if level == "ok" and last is None:
            words = "reading…" if self.jobs else "connecting…"  # listed, not yet read through
        elif level == "offline" and last is None:
            words = "not connected"
        if self.recorder is not None:  # the recorder lost, else the org as the recorder reads it
            words = f"recorder lost{age}" if self.recorder_lost else f"{words} (recorder)"
        mine = f"{short_count(self.spend.last_hour(time.monotonic()))}/h" if self.spend and self.spend.total else ""
        return Chip(self.org, self.colour, level, words, self.usage, mine, self.read_only, self.production is True,
                    spend_warn=self.spend_words().warn, pace=self.polling().mark)  # fmt: skip

    def _index(self) -> JobIndex:
        if self.index is not None:
            return self.index
        index = JobIndex(self.sort, self.filter)
        index.update(self.jobs)
        return index

    def shown_jobs(self) -> tuple[list[Job], int]:
        """The rows to draw (at most MAX_ROWS: running ones always in) and how many matched."""
        ids, matching = self._index().shown(MAX_ROWS)
        return [self.jobs[job_id] for job_id in ids], matching

    def header(
        self, extra: tuple[str, ...] = (), marks: tuple[tuple[str, str], ...] = (), notes: tuple[str, ...] = ()
    ) -> HeaderInfo:
        """``extra``: the screen's phrases; ``marks``: (words, shorter words) that stay (read-only,
        muted); ``notes``: phrases dropped first (sort, filter) when the line is short."""
        level, trouble = self.connection.status(self.now, self.poll_gap)
        last = self.connection.last_good
        via = f" by recorder {self.recorder.split('://', 1)[-1]}" if self.recorder else ""
        if last:
            updated = f"updated {clock(last, self.now)}{via}"
        elif self.jobs:
            updated = f"reading the org: {plural(len(self.jobs), 'job')} listed so far, not read yet…"
        else:
            updated = f"connecting to recorder {self.recorder}…" if self.recorder else f"connecting to {self.target}…"
        running, waiting = working(self.jobs, self._index().running, self.now.timestamp())
        spent = self.spend_words()
        unread = sum(1 for job_id in self.errors if job_id in self.jobs)
        if unread and not trouble:
            rows = (
                "1 job could not be read; its row is"
                if unread == 1
                else f"{unread} jobs could not be read; their rows are"
            )
            level, trouble = "stale", f"{rows} marked ! and faded (older values)"
        if not trouble:  # all is well: the trouble line says how the org is polled, when not at the interval
            trouble = self.polling().words
        return HeaderInfo(
            org=self.org,
            usage=self.usage,
            batches=self.limits.get("DailyBulkApiBatches") or self.limits.get("DailyBulkApiRequests"),
            updated=updated,
            level=level,
            trouble=trouble,
            jobs=len(self.jobs),
            running=running,
            waiting=waiting,
            extra=extra,
            spend=spent.words,
            spend_warn=spent.warn,
            production=self.production is True,
            marks=marks,
            notes=notes,
            alert=self.alert,
        )

    def spend_words(self) -> SpendWords:
        """sfmonitor's own calls (:func:`~..monitor.spend.spend_words`), on the clock they were counted by."""
        if self.spend is None:
            return SpendWords("", False)
        allowance = self.usage.max if self.usage else None
        return spend_words(self.spend, time.monotonic(), allowance=allowance, budget=self.budget,
                           interval=self.interval, interval_in_force=self.interval_in_force)  # fmt: skip

    def polling(self) -> Polling:
        """How the org is polled when not at the operator's interval (:func:`~..monitor.spend.polling`)."""
        return polling(interval=self.interval, interval_in_force=self.interval_in_force, budget=self.budget,
                       looking_every=self.looking_every)  # fmt: skip


@dataclass(frozen=True)
class Board:
    """What the dashboard draws: every watched org's view and their jobs merged into one table's
    rows (by row key: the job id, or ``<org>/<job id>`` when several orgs are watched)."""

    orgs: dict[str, View]  # by org key, in order
    jobs: Mapping[str, Job]  # by row key
    index: JobIndex
    locate: Callable[[str], tuple[str, str] | None]  # row key -> (org key, job id)
    now: datetime
    palette: Palette
    sort: SortMode = SortMode.RUNNING
    filter: str = ""
    focus: str | None = None  # the one org in view, None: all
    muted: bool = False  # alerts muted (m)
    remembered: frozenset[str] = frozenset()  # rows of remembered jobs (history): faded, never counted
    left: bool = False  # H: the remembered jobs that left their org are shown
    history_fault: str | None = None  # why the history file is not used

    def memory_mark(self) -> tuple[str, str] | None:
        """The header's words for the remembered rows shown (None: none, and H off)."""
        count = len(self.remembered)
        unread = [view for view in self.orgs.values() if not view.listed and view.memory.jobs]
        if unread and count:
            age = f" as of {unread[0].memory.age(self.now.timestamp())}" if len(unread) == 1 else ""
            return f"{plural(count, 'remembered job')}{age} (history), not read yet", "remembered"
        if self.left:
            if not count:
                return "H: no remembered job has left the org", "H"
            return f"H: {plural(count, 'remembered job')} that left the org", f"+{count:,} left"
        return None

    @property
    def several(self) -> bool:
        return len(self.orgs) > 1

    @property
    def first(self) -> View:
        return next(iter(self.orgs.values()))

    def shown_rows(self) -> tuple[list[str], int]:
        """The row keys to draw (at most MAX_ROWS: running ones always in) and how many matched."""
        return self.index.shown(MAX_ROWS)

    def owner(self, row: str) -> tuple[View, str] | None:
        """The org's view and job id of a row."""
        found = self.locate(row)
        if found is None or found[0] not in self.orgs:
            return None
        return self.orgs[found[0]], found[1]

    def header(
        self, extra: tuple[str, ...] = (), marks: tuple[tuple[str, str], ...] = (), notes: tuple[str, ...] = ()
    ) -> HeaderInfo:
        if not self.several:
            return self.first.header(extra, marks, notes)
        views = list(self.orgs.values())
        troubled = []
        for view in views:
            level, words = view.connection.status(view.now, view.poll_gap)
            if level in ("offline", "stale"):
                troubled.append(f"{view.org} {words}")
        trouble = troubled[0] if troubled else ""
        if len(troubled) > 1:
            trouble += f"  (+{plural(len(troubled) - 1, 'more org')} in trouble)"
        goods = [v.connection.last_good for v in views if v.connection.last_good]
        if goods:
            updated = f"updated {clock(max(goods), self.now)}"
        elif len(self.jobs) > len(self.remembered):
            listed = len(self.jobs) - len(self.remembered)
            updated = f"reading {len(views)} orgs: {plural(listed, 'job')} listed so far, not read yet…"
        else:
            updated = f"connecting to {len(views)} orgs…"
        if self.focus is not None and self.focus in self.orgs:
            extra = (f"org: {self.orgs[self.focus].org} only (o: next)", *extra)
        running, waiting = working(self.jobs, self.index.running, self.now.timestamp())
        return HeaderInfo(
            org="",
            usage=None,
            batches=None,
            updated=updated,
            level="offline" if troubled else "ok",
            trouble=trouble,
            jobs=len(self.jobs) - len(self.remembered),
            running=running,
            waiting=waiting,
            extra=extra,
            chips=tuple(view.chip() for view in views),
            marks=marks,
            notes=notes,
            alert=self.first.alert,
        )


def present(org: Org, fleet: Fleet, now: datetime, palette: Palette) -> View:
    """One org's view: what its detail and failures screens draw."""
    return View(
        org=org.shown_name,
        target=org.target,
        instance_url=org.service.instance_url if org.service else None,
        jobs=org.state.jobs,
        history=org.history,
        now=now,
        palette=palette,
        connection=org.connection,
        interval=org.schedule.interval,
        usage=org.usage,
        spend=org.spend,
        interval_in_force=org.schedule.interval_in_force,
        budget=org.schedule.budget,
        looking_every=org.schedule.looking_every,
        gap=org.poll_gap,
        limits=org.limits,
        pending=dict(org.state.pending),
        sort=fleet.index.sort,
        filter=fleet.index.text,
        index=org.state.index,
        read_only=org.read_only,
        errors=org.state.errors,
        top_errors=org.top_errors(),
        key=org.key,
        colour=org_colour(org.colour),
        production=org.production,
        polls=org.state.polls_done,
        alert=alert_note(fleet.alerts),
        usuals=org.usuals,
        memory=org.state.memory,
        listed=org.state.listed,
        recorder=org.recorder,
        recorder_lost=org.replica.lost,
    )


def alert_note(log: AlertLog) -> AlertNote | None:
    """The header's words for the newest alert."""
    newest = log.newest()
    if newest is None:
        return None
    when = datetime.fromtimestamp(newest.at, UTC).astimezone().strftime("%H:%M:%S")
    return AlertNote(when, newest.title, newest.body, newest.bad, max(0, log.unseen - 1), log.unseen == 0)


def present_board(
    fleet: Fleet, now: datetime, palette: Palette, *, muted: bool, history_fault: str | None = None
) -> Board:
    """The dashboard's view: every org's, and their rows merged."""
    views = {org.key: present(org, fleet, now, palette) for org in fleet}

    def locate(row: str) -> tuple[str, str] | None:
        found = fleet.locate(row)
        return (found[0].key, found[1]) if found else None

    return Board(views, fleet.jobs, fleet.index, locate, now, palette, fleet.index.sort, fleet.index.text,
                 fleet.focus, muted, frozenset(fleet.index.remembered), fleet.left, history_fault)  # fmt: skip
