"""Each org's poll loop: connect, poll, read the limits now and then, schedule the next poll (or not,
paused), and take what the workers bring back into the org model. Mixed into the app (ui/app.py);
the rules are the org model's (monitor/org.py), the workers' are org_workers'."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import datetime
from functools import partial
from typing import TYPE_CHECKING

from textual import events
from textual.app import App
from textual.message import Message
from textual.timer import Timer

from ..config.connection import ConnectionOptions
from ..monitor.fleet import Fleet
from ..monitor.org import Org
from ..monitor.poller import Snapshot
from ..monitor.usual import PastRuns
from ..store.memory import HistoryReader
from . import org_workers
from .alerting import Alerts
from .messages import Connected, FirstRows, LimitsRead, OrgMessage, PollDone, PollFailed, UsualsRead
from .screens.base import JobScreen

log = logging.getLogger(__name__)


class Polling(App[None]):
    if TYPE_CHECKING:  # the app's
        fleet: Fleet
        options: dict[str, ConnectionOptions]
        clock: Callable[[], datetime]
        alerts: Alerts
        _next_poll: dict[str, Timer]
        past_runs: PastRuns | None
        history_fault: str | None

        def render_view(self) -> None: ...
        def _post_for(self, org: Org) -> Callable[[Message], object]: ...
        def _of(self, message: OrgMessage) -> Org | None: ...
        def history_poll(self, org: Org, snapshot: Snapshot) -> None: ...
        def signed_in(self, org: Org) -> None: ...
        def history_of(self, org: Org) -> HistoryReader | None: ...

    def poll_now(self, full: bool = False, org: Org | None = None) -> None:
        """Start a poll cycle of ``org`` (else of every org; connecting first if need be) unless one is
        under way or polling is paused. ``full``: list the org and read every live job (r: even
        while paused, once)."""
        for each in [org] if org is not None else list(self.fleet):
            self._poll(each, full)

    async def on_event(self, event: events.Event) -> None:
        """A key or click (not one forwarded back up): the operator is here, so an idle org's polls
        come back to the interval at once, starting with one now."""
        if isinstance(event, events.Key | events.MouseDown) and not event.is_forwarded:
            self.operator_here()
        await super().on_event(event)

    def operator_here(self) -> None:
        now = time.monotonic()
        for org in self.fleet:
            if org.schedule.stir(now) and not org.polling:
                self.poll_now(org=org)

    def _poll(self, org: Org, full: bool) -> None:
        if org.recorder is not None:
            return  # read through its recorder's feed (ui/attached.py), never polled from here
        if full:
            org.schedule.stir(time.monotonic())
        timer = self._next_poll.pop(org.key, None)
        if timer is not None:
            timer.stop()
        if not org.poll_starting(asked=full):
            return
        post = self._post_for(org)
        if org.poller is None:
            work = org_workers.connect(self.options[org.key], post, ask_sandbox=org.production is None)
        else:
            first = not org.state.polls_done
            work = org_workers.poll(org.poller, org.state.poll_started(), self.watched(org), post,
                                    first=first, full=full, look=org.schedule.idle,
                                    backfill=org.schedule.backfill(),
                                    first_reads=org.state.memory.to_read_first() if first else ())  # fmt: skip
        self.run_worker(work, group=f"poll-{org.key}", exit_on_error=False)

    def watched(self, org: Org) -> set[str]:
        """The org's jobs whose detail is open: read in full (batch list included) every cycle."""
        return {screen.job_id for screen in self.screen_stack
                if isinstance(screen, JobScreen) and screen.READ_IN_FULL and screen.org_key == org.key}  # fmt: skip

    def _schedule(self, org: Org, delay: float | None) -> None:
        if delay == 0.0:  # a close/abort answered mid-cycle: read it back now, not in an interval
            self.poll_now(org=org)
            return
        if delay is None:
            return  # paused
        org.next_poll_delay = delay
        timer = self._next_poll.pop(org.key, None)
        if timer is not None:
            timer.stop()
        self._next_poll[org.key] = self.set_timer(delay, lambda: self.poll_now(org=org), name=f"next poll {org.key}")

    def on_connected(self, message: Connected) -> None:
        org = self._of(message)
        if org is not None:
            org.connected(message.service, message.name, message.sandbox)
            self.poll_now(org=org)
            self.signed_in(org)  # what waited on an attached org's own sign-in

    def on_first_rows(self, message: FirstRows) -> None:
        org = self._of(message)
        if org is not None and org.state.first_rows(message.jobs):
            self.fleet.refresh(org)
            self.render_view()

    def on_poll_done(self, message: PollDone) -> None:
        org = self._of(message)
        if org is None:
            return
        before = org.state.jobs
        self.history_poll(org, message.snapshot)  # to the writer's thread: a queue put
        delay = org.polled(message.snapshot, message.cycle, self.clock(), time.monotonic())
        self.fleet.refresh(org)
        self.alerts.after_poll(org, before)
        self.read_usuals(org)
        if org.service is not None and org.limits_due(self.clock().timestamp()):  # after the poll: one stream
            org.limits_read_at = self.clock().timestamp()
            work = org_workers.read_limits(org.service, self._post_for(org))
            self.run_worker(work, group=f"limits-{org.key}", exclusive=True, exit_on_error=False)
        self._schedule(org, delay)
        # after the schedule: the header says when the API budget stretches it; an open Failures of
        # the org reads what batches finished since (FailuresScreen.show)
        self.render_view()

    def read_usuals(self, org: Org, opened: str | None = None) -> None:
        """Ask the history, in a thread, for the past runs the org's running jobs and open details need
        now (each object and operation at most every few minutes: Usuals.due); ``opened``: a job whose
        detail is opening. Nothing while the history is off for a fault (said once: the file is not
        opened again at every poll)."""
        remote = self.history_of(org) if org.recorder is not None else None  # its recorder's history
        read = remote.runs if remote is not None else self.past_runs
        if read is None or (remote is None and self.history_fault is not None):
            return
        now = self.clock().timestamp()
        keys = org.usuals_due(now, self.watched(org) | ({opened} if opened else set()))
        if keys:
            work = partial(org_workers.past_runs, read, org.remembered_as, keys, now, self._post_for(org))
            self.run_worker(work, thread=True, group=f"usual-{org.key}", exit_on_error=False)

    def on_usuals_read(self, message: UsualsRead) -> None:
        org = self._of(message)
        if org is None or org.usuals is None:
            return
        now = self.clock().timestamp()
        for key, runs in message.runs.items():
            if isinstance(runs, str):
                org.usuals.arrived(key, None, now, error=runs)
            else:
                org.usuals.arrived(key, runs, now)
        self.render_view()

    def on_poll_failed(self, message: PollFailed) -> None:
        org = self._of(message)
        if org is None:
            return
        log.warning("poll failed (%s): %s", org.key or org.name, message.error)
        delay = org.poll_failed(
            message.error, self.clock(), time.monotonic(), limit_reached=message.limit_reached, sign_in=message.sign_in
        )
        self.render_view()
        self._schedule(org, delay)

    def on_limits_read(self, message: LimitsRead) -> None:
        org = self._of(message)
        if org is not None:
            org.limits_arrived(message.limits)
            self.render_view()
