"""The dashboard app: bindings, workers, screens and themes. The work is done in the layers below."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import replace
from datetime import UTC, datetime
from typing import ClassVar
from urllib.parse import urlsplit

from rich.console import RenderableType
from rich.text import Text
from textual.app import App, SystemCommand
from textual.await_complete import AwaitComplete
from textual.binding import Binding, BindingType
from textual.css.query import NoMatches
from textual.events import Key
from textual.screen import Screen
from textual.timer import Timer

from .. import config, paths
from ..bulk.errors import ActionOutcomeUnknown, BulkError
from ..bulk.models import Action, ApiUsage, Job, Limit
from ..bulk.service import BulkService
from ..connection import ConnectionOptions, new_service
from ..monitor.board import Connection, SortMode
from ..monitor.history import History
from ..monitor.org import Org
from ..monitor.poller import Poller
from ..monitor.schedule import Schedule
from ..monitor.state import OrgState
from ..text import inert
from ..themes import load_themes
from . import textual_private
from .cells import Palette
from .messages import (
    ActionDone,
    ActionFailed,
    CycleSort,
    FilterChanged,
    FirstPage,
    LimitsRead,
    OpenJob,
    PollDone,
    PollFailed,
)
from .screens.confirm import ConfirmScreen
from .screens.dashboard import DashboardScreen
from .screens.detail import JobDetailScreen
from .screens.help import HelpScreen, key_rows
from .view import View

log = logging.getLogger(__name__)

STALENESS_EVERY_S = 5.0  # how often the header re-checks the age of its data between polls
FALLBACK_THEME = config.DEFAULT_THEME


def rich_colour(colour: str | None, default: str) -> str:
    """Theme colours for Rich styles: Textual's ``ansi_red`` is Rich's ``red``."""
    if not colour:
        return default
    return colour[5:] if colour.startswith("ansi_") else colour


class SfMonitorApp(App[None]):
    TITLE = "sfmonitor"
    CSS_PATH = "sfmonitor.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "c",
            "close_job",
            "Close",
            id="close",
            tooltip="close the selected job after a confirmation (2.0 ingest: UploadComplete; 1.0: Closed)",
        ),
        Binding("a", "abort_job", "Abort", id="abort", tooltip="abort the selected job after a confirmation"),
        Binding("r", "refresh", "Refresh", id="refresh", tooltip="poll the org now"),
        Binding("p", "pause", "Pause", id="pause", tooltip="pause or resume polling"),
        Binding("t", "next_theme", "Theme", id="theme", tooltip="switch to the next theme (remembered)"),
        Binding("question_mark", "help", "Help", id="help", tooltip="every key of the current screen"),
        Binding("q", "quit", "Quit", id="quit", tooltip="quit sfmonitor"),
        Binding(
            "ctrl+z",
            "suspend_process",
            "Suspend",
            show=False,
            id="suspend",
            tooltip="suspend to the shell (fg resumes)",
        ),
    ]

    def __init__(
        self,
        options: ConnectionOptions,
        settings: config.Settings,
        *,
        clock: Callable[[], datetime] | None = None,
        schedule: Schedule | None = None,
        staleness_every: float = STALENESS_EVERY_S,
    ) -> None:
        super().__init__()
        self.staleness_every = staleness_every
        self.options = options
        self.settings = settings
        self.read_only = settings.read_only
        self.clock = clock or (lambda: datetime.now(UTC))
        self.org_model = Org(schedule or Schedule(settings.interval))
        self.org_model.schedule.budget = settings.api_budget
        self._binding_state: tuple[object, ...] | None = None
        self._shown_status: tuple[str, str] = ("", "")  # the connection words on screen
        self.next_poll_delay: float | None = None
        self.theme_names: list[str] = []
        self._polling = False
        self._next_poll: Timer | None = None
        self.org = urlsplit(options.instance_url or "").hostname or (options.target_org or "org")
        resolved = options.resolved()
        self.target = resolved.instance_url or (f"sf org {resolved.target_org!r}" if resolved.target_org else "the org")
        self.set_keymap(settings.keymap)

    # --- the org's model (monitor.org), read by the screens and the tests ------------------------

    @property
    def state(self) -> OrgState:
        return self.org_model.state

    @property
    def schedule(self) -> Schedule:
        return self.org_model.schedule

    @property
    def history(self) -> History:
        return self.org_model.history

    @property
    def connection(self) -> Connection:
        return self.org_model.connection

    @property
    def service(self) -> BulkService | None:
        return self.org_model.service

    @property
    def poller(self) -> Poller | None:
        return self.org_model.poller

    @property
    def usage(self) -> ApiUsage | None:
        return self.org_model.usage

    @property
    def limits(self) -> dict[str, Limit]:
        return self.org_model.limits

    @property
    def polling(self) -> bool:
        """A poll cycle is under way."""
        return self._polling

    @property
    def jobs(self) -> dict[str, Job]:
        return self.state.jobs

    @property
    def errors(self) -> dict[str, str]:
        return self.state.errors

    @property
    def pending(self) -> dict[str, Action]:
        return self.state.pending

    # --- start-up -----------------------------------------------------------------------------

    def pop_screen(self) -> AwaitComplete:
        """Every closed screen (detail, help, confirmation) also lets go of its widgets' rendered lines."""
        popped = super().pop_screen()
        textual_private.forget_closed_widgets()
        return popped

    def on_mount(self) -> None:
        self._load_themes()
        self.push_screen(DashboardScreen())
        self.call_after_refresh(self.render_view)  # "connecting to …" from the first frame
        self.run_worker(self._connect(), group="poll", exit_on_error=False)
        self.set_interval(self.staleness_every, self._watch_staleness, name="staleness")
        if not self.is_headless:
            self._watch_terminal_setup()

    def _fatal_error(self) -> None:
        """A bug reached Textual's crash handler. Its default traceback prints every frame's local
        variables, and a request's locals hold the access token: log the traceback (no locals) to
        the log file and print it without locals. (Overrides a private Textual method; a test pins it.)"""
        from rich.traceback import Traceback

        shown: list[RenderableType] = [
            Text(f"sfmonitor crashed; details in {paths.log_file()}\n"),
            Traceback(show_locals=False, width=None),
        ]
        if not textual_private.print_crash_without_locals(self, log, shown):
            super()._fatal_error()

    # --- the terminal going away (SSH dropped, tmux pane killed) ---------------------------------

    def _watch_terminal_setup(self) -> None:
        self._tty = next((s.fileno() for s in (sys.__stdout__, sys.__stdin__) if s and s.isatty()), None)
        with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
            loop = asyncio.get_running_loop()
            loop.add_signal_handler(signal.SIGHUP, self._terminal_gone, "hang-up signal")
            # kill / systemd / tmux kill-server: leave as on q, so the terminal gets its screen,
            # cursor and mouse back (the default SIGTERM would end the process mid-screen)
            loop.add_signal_handler(signal.SIGTERM, self.exit, None, 143)
        if self._tty is not None:
            self.set_interval(0.5, self._check_terminal, name="terminal watchdog")  # isatty() is cheap

    def _check_terminal(self) -> None:
        if self._tty is not None and not os.isatty(self._tty):
            self._terminal_gone("terminal closed")

    def _terminal_gone(self, why: str) -> None:
        """Leave at once. Restoring a dead terminal can block, so a hard exit backs the clean one."""
        log.warning("%s: exiting", why)
        hard = threading.Timer(3.0, os._exit, args=(129,))
        hard.daemon = True
        hard.start()
        self.exit(return_code=129)

    def _watch_staleness(self) -> None:
        """A poll that hangs produces no event: notice it going stale, and keep the age of the data shown
        true while offline. Redraws only when those words change (never while all is well)."""
        if self.connection.status(self.clock(), self.schedule.interval) != self._shown_status:
            self.render_view()

    def _load_themes(self) -> None:
        loaded = load_themes()
        for theme in loaded.themes:
            self.register_theme(theme)
        self.theme_names = [t.name for t in loaded.themes]
        for problem in loaded.problems:
            self.notify(problem, title="Theme file skipped", severity="warning", markup=False)
        wanted = self.settings.theme
        if wanted in self.available_themes:
            self.theme = wanted
        else:
            self.theme = FALLBACK_THEME if FALLBACK_THEME in self.available_themes else "textual-dark"
            self.notify(f"no theme named {wanted!r}; using {self.theme}", severity="warning", markup=False)

    async def _connect(self) -> None:
        try:
            service = new_service(self.options)
        except BulkError as exc:
            self.post_message(PollFailed.of(exc))
            return
        try:
            await service.connect()
        except BulkError as exc:
            await service.transport.aclose()  # a retry makes a new one: do not leave this one open
            self.post_message(PollFailed.of(exc))
            return
        self.org_model.connected(service)
        self.org = service.username or urlsplit(service.instance_url).hostname or self.org
        self._polling = False
        self.poll_now()

    # --- polling --------------------------------------------------------------------------------

    def poll_now(self, full: bool = False) -> None:
        """Start a poll cycle unless one is running or polling is paused: never two at once.
        ``full``: list the org and read every live job (the operator pressed r)."""
        if self._next_poll is not None:
            self._next_poll.stop()
            self._next_poll = None
        if self._polling or self.connection.paused:
            return
        self._polling = True
        if self.poller is None:
            self.run_worker(self._connect(), group="poll", exit_on_error=False)
            return
        self.run_worker(self._poll(self.poller, self.state.poll_started(), full), group="poll", exit_on_error=False)

    async def _poll(self, poller: Poller, cycle: int, full: bool = False) -> None:
        first = not self.state.polls_done

        def on_page(jobs: dict[str, Job]) -> None:
            nonlocal first
            if first:  # the first screen shows the first page's rows, not a blank table for seconds
                first = False
                self.post_message(FirstPage(dict(jobs)))

        try:
            snapshot = await poller.cycle(watch=self.watched(), full=full, on_page=on_page)
        except BulkError as exc:
            self.post_message(PollFailed.of(exc))
        except Exception as exc:  # a bug must not take the dashboard down; the log has the trace
            log.exception("poll cycle failed")
            self.post_message(PollFailed(f"unexpected {type(exc).__name__}; see the log"))
        else:
            self.post_message(PollDone(snapshot, cycle))

    def watched(self) -> set[str]:
        """Jobs whose detail is open: read in full (batch list included) every cycle."""
        return {screen.job_id for screen in self.screen_stack if isinstance(screen, JobDetailScreen)}

    async def _read_limits(self) -> None:
        if self.service is None:
            return
        self.org_model.limits_read_at = self.clock().timestamp()
        try:
            self.post_message(LimitsRead(await self.service.limits()))
        except BulkError as exc:
            log.info("limits not read: %s", exc)

    def _schedule(self, delay: float) -> None:
        self.next_poll_delay = delay
        if self._next_poll is not None:
            self._next_poll.stop()
        self._next_poll = self.set_timer(delay, self.poll_now, name="next poll")

    def on_first_page(self, message: FirstPage) -> None:
        if self.state.first_page(message.jobs):
            self.render_view()

    def on_poll_done(self, message: PollDone) -> None:
        self._polling = False
        delay = self.org_model.polled(message.snapshot, message.cycle, self.clock(), time.monotonic())
        if self.org_model.limits_due(self.clock().timestamp()):  # after the poll: one request stream at a time
            self.run_worker(self._read_limits(), group="limits", exclusive=True, exit_on_error=False)
        if delay == 0.0:  # a close/abort answered mid-cycle: read it back now, not in an interval
            self.poll_now()
        elif delay is not None:
            self._schedule(delay)
        self.render_view()  # after the schedule: the header says when the API budget stretches it

    def on_poll_failed(self, message: PollFailed) -> None:
        self._polling = False
        log.warning("poll failed: %s", message.error)
        delay = self.org_model.poll_failed(
            message.error, self.clock(), time.monotonic(), limit_reached=message.limit_reached, sign_in=message.sign_in
        )
        self.render_view()
        if delay is not None:
            self._schedule(delay)

    def on_limits_read(self, message: LimitsRead) -> None:
        self.org_model.limits_arrived(message.limits)
        self.render_view()

    # --- drawing --------------------------------------------------------------------------------

    def palette(self) -> Palette:
        theme = self.current_theme
        return Palette(
            error=rich_colour(theme.error, "red"),
            warning=rich_colour(theme.warning, "yellow"),
            success=rich_colour(theme.success, "green"),
            accent=rich_colour(theme.accent or theme.secondary, "cyan"),
        )

    def view(self) -> View:
        return View(
            org=self.org,
            target=self.target,
            jobs=self.jobs,
            history=self.history,
            now=self.clock(),
            palette=self.palette(),
            connection=self.connection,
            interval=self.schedule.interval,
            usage=self.usage,
            spend=self.org_model.spend,
            interval_in_force=self.schedule.interval_in_force,
            budget=self.schedule.budget,
            limits=self.limits,
            pending=dict(self.pending),
            sort=self.sort,
            filter=self.filter,
            index=self.state.index,
            read_only=self.read_only,
            errors=self.errors,
        )

    def render_view(self) -> None:
        """Hand the current state to every screen that draws it, then re-check which keys apply."""
        if not self.screen_stack:
            return  # a late answer while the app closes: nothing left to draw on
        view = self.view()
        self._shown_status = view.connection.status(view.now, view.interval)
        for screen in self.screen_stack:
            if isinstance(screen, DashboardScreen | JobDetailScreen) and screen.is_mounted:
                try:
                    screen.show(view)
                except NoMatches:  # a late answer while the app closes: the widgets are gone already
                    return
        self.sync_bindings()

    def sync_bindings(self) -> None:
        """Re-check which keys apply, only when that can have changed (each change redraws the key bar)."""
        job = self.selected_job()
        state = (
            type(self.screen).__name__,
            job.id if job else None,
            self.refusal(Action.CLOSE),
            self.refusal(Action.ABORT),
        )
        if state != self._binding_state:
            self._binding_state = state
            self.refresh_bindings()

    def watch_theme(self, theme: str) -> None:
        if self.screen_stack:
            self.render_view()

    # --- messages from the screens ---------------------------------------------------------------

    def on_open_job(self, message: OpenJob) -> None:
        screen = JobDetailScreen(message.job_id)
        self.push_screen(screen)
        self.call_after_refresh(screen.show, self.view())

    @property
    def sort(self) -> SortMode:
        return self.state.index.sort

    @property
    def filter(self) -> str:
        return self.state.index.text

    def on_filter_changed(self, message: FilterChanged) -> None:
        self.state.index.set_filter(message.text)
        self.render_view()

    def on_cycle_sort(self, message: CycleSort) -> None:
        self.action_cycle_sort()

    # --- keys -----------------------------------------------------------------------------------

    def selected_job(self) -> Job | None:
        screen = self.screen
        if isinstance(screen, DashboardScreen | JobDetailScreen):
            return screen.selected_job()
        return None

    def refusal(self, action: Action, job: Job | None = None) -> str | None:
        """Why ``action`` cannot be used now (on ``job``, else the selected one), or None."""
        if self.read_only:
            return "sfmonitor runs read-only (--read-only): jobs cannot be closed or aborted"
        job = job or self.selected_job()
        if job is None:
            return "no job selected"
        if job.id in self.pending:
            return f"a {self.pending[job.id].value} request for job {job.id} is already on its way"
        return job.refusal(action)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("close_job", "abort_job"):
            if self.read_only:
                return False  # hidden, and refused in the action too
            if not isinstance(self.screen, DashboardScreen | JobDetailScreen):
                return None
            return None if self.refusal(Action.CLOSE if action == "close_job" else Action.ABORT) else True
        return True

    def on_key(self, event: Key) -> None:
        """A greyed close/abort key still says why it does nothing."""
        active = self.screen.active_bindings.get(event.key)
        if active is None or active.enabled:
            return
        action = {"close_job": Action.CLOSE, "abort_job": Action.ABORT}.get(active.binding.action)
        if action is not None:
            reason = self.refusal(action)
            if reason:
                self.notify(f"Cannot {action.value}: {inert(reason)}", severity="warning", markup=False)
                event.stop()

    def action_close_job(self) -> None:
        self._ask(Action.CLOSE)

    def action_abort_job(self) -> None:
        self._ask(Action.ABORT)

    def _ask(self, action: Action) -> None:
        reason = self.refusal(action)
        job = self.selected_job()
        if reason is not None or job is None:
            self.notify(
                f"Cannot {action.value}: {inert(reason or 'no job selected')}", severity="warning", markup=False
            )
            return
        verb = "Close (upload complete)" if action is Action.CLOSE else "Abort"
        records = "-" if job.number_records_processed is None else f"{job.number_records_processed:,}"
        details = [
            ("Job", inert(job.id)),
            ("Object", f"{inert(job.object)} ({inert(job.operation)})"),
            ("API", job.kind.label),
            ("State", inert(job.state)),
            ("Records", f"{records} processed so far"),
        ]

        def answered(yes: bool | None) -> None:
            if not yes:
                return
            now = self.jobs.get(job.id, job)  # it may have moved on while the question was open
            late = self.refusal(action, now)
            if late is not None:
                self.notify(f"Not sent: {inert(late)}", severity="warning", markup=False)
                return
            self._send(now, action)

        self.push_screen(ConfirmScreen(f"{verb} this job?", details), answered)

    def _send(self, job: Job, action: Action) -> None:
        if self.service is None or self.read_only or job.refusal(action) is not None:
            return
        if not self.state.action_sent(job.id, action):
            return  # a second confirmation for the same job sends nothing
        self.render_view()
        self.run_worker(self._act(self.service, job, action), group=f"act-{job.id}", exit_on_error=False)

    async def _act(self, service: BulkService, job: Job, action: Action) -> None:
        try:
            done = await service.act(job, action)
        except ActionOutcomeUnknown as exc:
            self.post_message(ActionFailed(job, action, str(exc), unknown=True))
        except BulkError as exc:
            self.post_message(ActionFailed(job, action, str(exc)))
        except Exception as exc:
            log.exception("%s of %s failed", action.value, job.id)
            self.post_message(ActionFailed(job, action, f"unexpected {type(exc).__name__}; see the log", unknown=True))
        else:
            self.post_message(ActionDone(done, action, job.state))

    def on_action_done(self, message: ActionDone) -> None:
        self.state.action_answered(message.job.id, message.job)
        self.notify(
            f"Job {inert(message.job.id)}: {inert(message.before)} → {inert(message.job.state)}",
            title=f"{message.action.value.capitalize()} sent",
            markup=False,
        )
        self.render_view()
        self.poll_now()

    def on_action_failed(self, message: ActionFailed) -> None:
        if message.unknown:
            self.state.action_answered(message.job.id)  # pending until the job is read again
        else:
            self.state.action_refused(message.job.id)
        title = "Outcome unknown" if message.unknown else f"{message.action.value.capitalize()} refused"
        self.notify(inert(message.error), title=title, severity="error", markup=False, timeout=15)
        self.render_view()
        self.poll_now()

    def action_refresh(self) -> None:
        if self._polling:
            self.notify("a poll is already running", timeout=2)
            return
        self.poll_now(full=True)

    def action_pause(self) -> None:
        paused = not self.connection.paused
        self.org_model.connection = replace(self.connection, paused=paused)
        if paused and self._next_poll is not None:
            self._next_poll.stop()
            self._next_poll = None
        self.render_view()
        if not paused:
            self.poll_now()

    def action_cycle_sort(self) -> None:
        self.state.index.set_sort(self.sort.next())
        self.render_view()

    def action_next_theme(self) -> None:
        names = self.theme_names or [self.theme]
        current = names.index(self.theme) if self.theme in names else -1
        self.theme = names[(current + 1) % len(names)]
        config.remember_theme(self.theme)
        self.notify(f"theme: {self.theme}", timeout=2, markup=False)

    def action_help(self) -> None:
        if isinstance(self.screen, HelpScreen):
            return
        title = "Keys: " + ("job detail" if isinstance(self.screen, JobDetailScreen) else "jobs")
        self.push_screen(HelpScreen(title, key_rows(self.screen)))

    def get_system_commands(self, screen: Screen[object]) -> Iterable[SystemCommand]:
        yield SystemCommand("Refresh now", "Poll the org now", self.action_refresh)
        yield SystemCommand("Pause / resume", "Stop or restart polling", self.action_pause)
        yield SystemCommand("Cycle sort", "Change the jobs table order", self.action_cycle_sort)
        yield SystemCommand("Next theme", "Switch to the next theme", self.action_next_theme)
        yield SystemCommand("Help", "Every key of this screen", self.action_help)
        if not self.read_only:
            yield SystemCommand("Close job", "Close (upload complete) the selected job", self.action_close_job)
            yield SystemCommand("Abort job", "Abort the selected job", self.action_abort_job)
        yield SystemCommand("Quit", "Quit sfmonitor", self.exit)
