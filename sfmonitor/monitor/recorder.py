"""Orgs polled without a screen (``sfmonitor record``), each poll's jobs handed to the history writer.

The rules are the dashboard's: each org's :class:`Org` transitions (sign-in, poll, failure, the
limits' cadence), its :class:`Schedule` (interval, API budget, idle looks, backoff) and the fleet's
shared backfill. Only the driving differs: a plain asyncio task per org, sleeping the delay each
transition returns, where the app has workers, messages and timers. An org that cannot sign in or
be read is retried on the schedule's terms and does not hold up the others; its trouble is logged
once per episode (when it starts and when it ends), never at every poll.
"""

from __future__ import annotations

import asyncio
import enum
import logging
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Iterable, KeysView, Sequence
from datetime import UTC, datetime
from typing import Protocol

from ..bulk.calls import KINDS
from ..bulk.errors import BulkError
from ..bulk.models import Job
from ..bulk.service import BulkService
from ..bulk.transport import Transport
from ..numbers import eta
from .feed import Feed
from .figures import Published, Tally
from .fleet import share_backfill
from .org import Org, PollFailure
from .poller import Snapshot

log = logging.getLogger(__name__)

SignIn = Callable[[], Awaitable[BulkService]]


class HistoryWriter(Protocol):
    """Where each poll's jobs go (the store's writer, sfmonitor/store). ``poll`` must not block: it
    queues the write to the writer's own thread. ``fault``: why the history cannot be written, once
    it cannot (None while all is well). ``close``: the write under way is finished (waiting at most
    ``timeout`` seconds), then nothing more is written."""

    @property
    def fault(self) -> str | None: ...

    def poll(self, org: str, jobs: Iterable[Job], at: float) -> None: ...

    def close(self, timeout: float) -> None: ...


def to_record(snapshot: Snapshot, last: KeysView[str] | None) -> list[Job]:
    """The jobs a poll hands to the history writer, the one rule (the dashboard's and ``record``'s):
    every job when none was handed over yet (``last`` None), else those this poll read and those new
    since the poll last handed over (``last``: its ``snapshot.jobs.keys()``, kept by the caller). Any
    other job is the poller's last read, unchanged: ~0.6 ms at 20,000 jobs, where a check of each job
    would take several."""
    jobs = snapshot.jobs
    if last is None:
        return list(jobs.values())
    return [jobs[job_id] for job_id in snapshot.read | (jobs.keys() - last) if job_id in jobs]


class Ending(enum.Enum):
    STOPPED = "stopped"  # asked to stop (SIGTERM, ctrl+c)
    NO_SIGN_IN = "no org could sign in"  # at the start: every org's first sign-in failed (or its first poll's)
    HISTORY_FAULT = "the history cannot be written"


class Recorder:
    """Poll ``orgs`` (each with how it signs in) until ``stop`` is set, handing each good poll's
    jobs (``to_record``) to ``writer`` under the org's history name (``Org.remembered_as``, filled in
    by config.settings.org_model). The caller closes the writer (``run`` leaves it open).

    An org signs in at the start if its first sign-in succeeds and its first poll is not refused
    for the token (a static token is not checked until it is used: the first poll's 401 is the
    sign-in failing). When no org signs in at the start, the recording ends (Ending.NO_SIGN_IN); an
    org refused later, after good polls, is retried on the schedule's terms like any failure.

    After each poll, good or failed, the org's figures are published (``published``, monitor/figures.py):
    what a reader on another thread (``record --listen``'s /metrics) serves, never asking the org; and
    with a ``feed``, what each poll changed, for the dashboards attached (monitor/feed.py)."""

    def __init__(
        self,
        orgs: Sequence[tuple[Org, SignIn]],
        writer: HistoryWriter,
        *,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        monotonic: Callable[[], float] = time.monotonic,
        feed: Feed | None = None,
    ) -> None:
        if not orgs:
            raise ValueError("nothing to record: no org")
        nameless = [org.key or org.target for org, _ in orgs if not org.remembered_as]
        if nameless:  # the history's name for an org has one rule: config.orgs.history_name
            raise ValueError(f"no history name (Org.remembered_as; config.settings.org_model): {nameless}")
        self.orgs = list(orgs)
        self.writer = writer
        self.clock = clock
        self.monotonic = monotonic
        self.polls = 0  # good polls handed to the writer
        # org key -> why it did not sign in at the start (None: it did)
        self.first_sign_in: dict[str, str | None] = {}
        self._handed: dict[str, KeysView[str]] = {}  # org key -> the jobs of the poll last handed to the writer
        self._ended = asyncio.Event()
        self.ending = Ending.STOPPED
        self.published = Published()
        self._tallies = {org.key: Tally() for org, _ in self.orgs}
        # org key -> (its transport, the calls of the transports before it)
        self._calls: dict[str, tuple[Transport, Counter[str]]] = {}
        share_backfill([org for org, _ in self.orgs])
        self.feed = feed
        if feed is not None:
            feed.listed([org for org, _ in self.orgs])
        for org, _ in self.orgs:
            self._publish(org)

    async def run(self, stop: asyncio.Event) -> Ending:
        """Poll until ``stop`` is set (or no org could sign in, or the history cannot be written); each
        poll under way then is abandoned, and every org's connection closed."""
        if self._faulted():
            return self.ending
        tasks = [asyncio.create_task(self._drive(org, sign_in), name=f"record {org.key}") for org, sign_in in self.orgs]
        waits = [asyncio.create_task(stop.wait()), asyncio.create_task(self._ended.wait())]
        try:
            await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in [*tasks, *waits]:
                task.cancel()
            await asyncio.gather(*tasks, *waits, return_exceptions=True)
            for org, _ in self.orgs:
                if org.service is not None:
                    await org.service.transport.aclose()
        return self.ending

    def _end(self, ending: Ending) -> None:
        if not self._ended.is_set():
            self.ending = ending
            self._ended.set()

    def _faulted(self) -> bool:
        fault = self.writer.fault
        if fault is not None:
            log.error("the history cannot be written, so nothing is recorded: %s", fault)
            self._end(Ending.HISTORY_FAULT)
        return fault is not None

    async def _drive(self, org: Org, sign_in: SignIn) -> None:
        while not self._ended.is_set():
            delay = await self._step(org, sign_in)
            if delay > 0:
                await asyncio.sleep(delay)

    async def _step(self, org: Org, sign_in: SignIn) -> float:
        """One transition: a sign-in (before the first poll, and after each failed one) or a poll.
        Returns the delay to the next, as the org's model says (never paused: None does not come)."""
        org.poll_starting()
        if org.poller is None:
            return await self._sign_in(org, sign_in)
        cycle = org.state.poll_started()
        tally = self._tallies[org.key]
        began = self.monotonic()
        try:
            snapshot = await org.poller.cycle(watch=set(), look=org.schedule.idle, backfill=org.schedule.backfill())
        except BulkError as exc:
            failure = PollFailure.of(exc)
            self._signed_in(org, failure.error if failure.sign_in else None)  # its first poll: the token's test
            tally.polls = tally.polls.observed(self.monotonic() - began)
            return self._failed(org, failure)
        except Exception as exc:  # a bug must not stop the recording of every org; the log has the trace
            log.exception("%s: poll cycle failed", _label(org))
            self._signed_in(org, None)
            tally.polls = tally.polls.observed(self.monotonic() - began)
            return self._failed(org, PollFailure(f"unexpected {type(exc).__name__}; see the log"))
        tally.polls = tally.polls.observed(self.monotonic() - began)
        self._signed_in(org, None)
        trouble = org.connection.failing_since
        delay = org.polled(snapshot, cycle, self.clock(), self.monotonic())
        org.next_poll_delay = delay = org.schedule.interval if delay is None else delay  # its poll gap (idle looks)
        if trouble is not None:
            log.info("%s: read again after %s of trouble", _label(org), eta((self.clock() - trouble).total_seconds()))
        changed = to_record(snapshot, self._handed.get(org.key))
        tally.polled(org.state.jobs, changed, self.clock().timestamp())
        self.writer.poll(org.remembered_as, changed, snapshot.taken_at.timestamp())
        self._handed[org.key] = snapshot.jobs.keys()
        self.polls += 1
        if self._faulted():
            return 0.0
        if self.feed is not None:  # the dashboards' copy first: /limits, when due, is one more call to wait for
            self.feed.polled(org, snapshot)
        await self._limits(org)
        self._publish(org)
        return delay

    def _publish(self, org: Org) -> None:
        """The org's figures as they are now, for the readers on other threads (Recorder.published)."""
        calls: Counter[str] = Counter()
        if org.service is not None:
            transport = org.service.transport
            before, earlier = self._calls.get(org.key, (transport, Counter()))
            if before is not transport:  # signed in anew: the calls of the transports before still count
                earlier = earlier + before.calls.totals
            self._calls[org.key] = (transport, earlier)
            calls = earlier + transport.calls.totals
        tally = self._tallies[org.key]
        self.published.publish(tally.figures(
            org.remembered_as, org.state.jobs, org.state.index.running, self.clock().timestamp(), org.connection,
            org.poll_gap, org.usage, {kind: calls[kind] for kind, _, _ in KINDS},
        ))  # fmt: skip

    async def _sign_in(self, org: Org, sign_in: SignIn) -> float:
        try:
            service = await sign_in()
        except BulkError as exc:
            failure = PollFailure.of(exc)
            self._signed_in(org, failure.error)  # the first sign-in's failure settles it (a later one does not)
            return self._failed(org, failure)
        org.connected(service, service.username)  # signed in at the start once its first poll is not refused
        if service.username is None:  # a token given as is: the org has not said whose it is yet
            log.info("%s: connected; its first poll tells whether the access token is accepted", _label(org))
        else:
            log.info("%s: signed in as %s", _label(org), org.name)
        return 0.0  # poll at once

    def _signed_in(self, org: Org, refused: str | None) -> None:
        """Whether the org signed in at the start, settled once: ``refused`` is why not (None: it did).
        When every org is settled refused, the recording ends."""
        if org.key in self.first_sign_in:
            return
        self.first_sign_in[org.key] = refused
        if refused is not None and all(self.first_sign_in.get(each.key) for each, _ in self.orgs):
            self._end(Ending.NO_SIGN_IN)

    def _failed(self, org: Org, failure: PollFailure) -> float:
        episode = org.connection.failing_since is None  # the first failure since the last good poll
        delay = org.poll_failed(failure.error, self.clock(), self.monotonic(),
                                limit_reached=failure.limit_reached, sign_in=failure.sign_in)  # fmt: skip
        org.next_poll_delay = delay = org.schedule.interval if delay is None else delay  # its gap: backing off
        self._publish(org)
        if self.feed is not None:
            self.feed.failed(org)
        if episode and not self._ended.is_set():  # else the recording ends here, and says why
            log.warning("%s: %s (trying again in %s, then less and less often; logged once, until it is read again)",
                        _label(org), failure.error, eta(delay))  # fmt: skip
        return delay

    async def _limits(self, org: Org) -> None:
        """The org's limits at the dashboard's cadence (Org.limits_due), after the poll."""
        now = self.clock().timestamp()
        if org.service is None or not org.limits_due(now):
            return
        org.limits_read_at = now
        try:
            org.limits_arrived(await org.service.limits())
        except BulkError as exc:
            log.info("%s: limits not read: %s", _label(org), exc)


def _label(org: Org) -> str:
    """An org as the log names it: its config name or alias, and where it is reached."""
    return f"org {org.key} ({org.target})" if org.key else f"org {org.target}"
