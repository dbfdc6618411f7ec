"""The dashboard app: it wires the org's model (monitor.org) to workers, screens and keys. The rules
live in the model; what the workers do lives in org_workers; the screens draw."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
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

from .. import config, failure_output, paths
from ..bulk.models import Action, Job
from ..connection import ConnectionOptions
from ..monitor.org import Org
from ..monitor.schedule import Schedule
from ..text import inert
from . import org_workers, textual_private
from .messages import (
    ActionDone,
    ActionFailed,
    Connected,
    CycleSort,
    ExportFailures,
    FailuresExported,
    FailuresProgress,
    FailuresRead,
    FilterChanged,
    FirstPage,
    LimitsRead,
    OpenFailures,
    OpenJob,
    PollDone,
    PollFailed,
    ReadFailures,
)
from .screens.confirm import ConfirmScreen
from .screens.dashboard import DashboardScreen
from .screens.detail import JobDetailScreen
from .screens.failures import FailuresScreen
from .screens.help import HelpScreen, key_rows
from .terminal_watch import watch_terminal
from .theming import install_themes, palette
from .view import View

log = logging.getLogger(__name__)

STALENESS_EVERY_S = 5.0  # how often the header re-checks the age of its data between polls


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
        label: str | None = None,
        colour: str | None = None,
        production: bool | None = None,
    ) -> None:
        super().__init__()
        self.staleness_every = staleness_every
        self.options = options
        self.settings = settings
        self.clock = clock or (lambda: datetime.now(UTC))
        resolved = options.resolved()
        self.org = Org(
            schedule or Schedule(settings.interval),
            name=urlsplit(options.instance_url or "").hostname or (options.target_org or "org"),
            target=resolved.instance_url or (f"sf org {resolved.target_org!r}" if resolved.target_org else "the org"),
            read_only=settings.read_only,
            label=label,
            colour=colour,
            production=production,
        )
        self.org.schedule.budget = settings.api_budget
        self._binding_state: tuple[object, ...] | None = None
        self._shown_status: tuple[str, str] = ("", "")  # the connection words on screen
        self.theme_names: list[str] = []
        self._next_poll: Timer | None = None
        self.set_keymap(settings.keymap)

    # --- start-up -----------------------------------------------------------------------------

    def pop_screen(self) -> AwaitComplete:
        """Every closed screen (detail, help, confirmation) also lets go of its widgets' rendered lines."""
        popped = super().pop_screen()
        textual_private.forget_closed_widgets()
        return popped

    def on_mount(self) -> None:
        self.theme_names = install_themes(self, self.settings.theme)
        self.push_screen(DashboardScreen())
        self.call_after_refresh(self.render_view)  # "connecting to …" from the first frame
        self.poll_now()  # connects first
        self.set_interval(self.staleness_every, self._watch_staleness, name="staleness")
        if not self.is_headless:
            watch_terminal(self)

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

    def _watch_staleness(self) -> None:
        """A poll that hangs produces no event: notice it going stale, and keep the age of the data shown
        true while offline. Redraws only when those words change (never while all is well)."""
        if self.org.connection.status(self.clock(), self.org.schedule.interval) != self._shown_status:
            self.render_view()

    # --- polling --------------------------------------------------------------------------------

    def poll_now(self, full: bool = False) -> None:
        """Start a poll cycle (connecting first if need be) unless one is under way or polling is
        paused. ``full``: list the org and read every live job (the operator pressed r)."""
        if self._next_poll is not None:
            self._next_poll.stop()
            self._next_poll = None
        org = self.org
        if not org.poll_starting():
            return
        if org.poller is None:
            work = org_workers.connect(self.options, self.post_message, ask_sandbox=org.production is None)
            self.run_worker(work, group="poll", exit_on_error=False)
            return
        work = org_workers.poll(org.poller, org.state.poll_started(), self.watched(), self.post_message,
                                first=not org.state.polls_done, full=full)  # fmt: skip
        self.run_worker(work, group="poll", exit_on_error=False)

    def watched(self) -> set[str]:
        """Jobs whose detail is open: read in full (batch list included) every cycle."""
        return {screen.job_id for screen in self.screen_stack if isinstance(screen, JobDetailScreen)}

    def _schedule(self, delay: float | None) -> None:
        if delay == 0.0:  # a close/abort answered mid-cycle: read it back now, not in an interval
            self.poll_now()
            return
        if delay is None:
            return  # paused
        self.org.next_poll_delay = delay
        if self._next_poll is not None:
            self._next_poll.stop()
        self._next_poll = self.set_timer(delay, self.poll_now, name="next poll")

    def on_connected(self, message: Connected) -> None:
        self.org.connected(message.service, message.name, message.sandbox)
        self.poll_now()

    def on_first_page(self, message: FirstPage) -> None:
        if self.org.state.first_page(message.jobs):
            self.render_view()

    def on_poll_done(self, message: PollDone) -> None:
        org = self.org
        delay = org.polled(message.snapshot, message.cycle, self.clock(), time.monotonic())
        if org.service is not None and org.limits_due(self.clock().timestamp()):  # after the poll: one stream
            org.limits_read_at = self.clock().timestamp()
            work = org_workers.read_limits(org.service, self.post_message)
            self.run_worker(work, group="limits", exclusive=True, exit_on_error=False)
        self._schedule(delay)
        self.render_view()  # after the schedule: the header says when the API budget stretches it
        for screen in self.screen_stack:
            if isinstance(screen, FailuresScreen):  # open: results as a running job's batches finish
                self._read_failures(screen.job_id)

    def on_poll_failed(self, message: PollFailed) -> None:
        log.warning("poll failed: %s", message.error)
        delay = self.org.poll_failed(
            message.error, self.clock(), time.monotonic(), limit_reached=message.limit_reached, sign_in=message.sign_in
        )
        self.render_view()
        self._schedule(delay)

    def on_limits_read(self, message: LimitsRead) -> None:
        self.org.limits_arrived(message.limits)
        self.render_view()

    # --- drawing --------------------------------------------------------------------------------

    def view(self) -> View:
        org = self.org
        return View(
            org=org.label or org.name,
            target=org.target,
            jobs=org.state.jobs,
            history=org.history,
            now=self.clock(),
            palette=palette(self),
            connection=org.connection,
            interval=org.schedule.interval,
            usage=org.usage,
            spend=org.spend,
            interval_in_force=org.schedule.interval_in_force,
            budget=org.schedule.budget,
            limits=org.limits,
            pending=dict(org.state.pending),
            sort=org.state.index.sort,
            filter=org.state.index.text,
            index=org.state.index,
            read_only=org.read_only,
            errors=org.state.errors,
            top_errors=org.top_errors(),
        )

    def render_view(self) -> None:
        """Hand the current state to every screen that draws it, then re-check which keys apply."""
        if not self.screen_stack:
            return  # a late answer while the app closes: nothing left to draw on
        view = self.view()
        self._shown_status = view.connection.status(view.now, view.interval)
        for screen in self.screen_stack:
            if isinstance(screen, DashboardScreen | JobDetailScreen | FailuresScreen) and screen.is_mounted:
                try:
                    screen.show(view)
                except NoMatches:  # a late answer while the app closes: the widgets are gone already
                    return
        self.sync_bindings()

    def sync_bindings(self) -> None:
        """Re-check which keys apply, only when that can have changed (each change redraws the key bar)."""
        job = self.selected_job()
        state = (type(self.screen).__name__, job.id if job else None, self.refusal(Action.CLOSE),
                 self.refusal(Action.ABORT))  # fmt: skip
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

    def on_open_failures(self, message: OpenFailures) -> None:
        self.action_failures(message.job_id)

    def action_failures(self, job_id: str | None = None) -> None:
        """Open Failures for the job (else the selected one) and read what is not read yet."""
        job = self.org.state.jobs.get(job_id) if job_id else self.selected_job()
        if job is None:
            self.notify("No job selected", severity="warning", timeout=3)
            return
        screen = FailuresScreen(job.id, self.org.failure_report(job))
        self.push_screen(screen)
        self.call_after_refresh(screen.show, self.view())
        self._read_failures(job.id)

    def on_read_failures(self, message: ReadFailures) -> None:
        self._read_failures(message.job_id, asked=True)

    def _read_failures(self, job_id: str, *, asked: bool = False) -> None:
        org = self.org
        job = org.state.jobs.get(job_id)
        if job is None or org.service is None:
            return
        report = org.failures_starting(job, asked=asked)
        if report is None:
            return
        work = org_workers.failures(org.service, job, report, self.post_message)
        self.run_worker(work, group=f"failures-{job_id}", exit_on_error=False)

    def _redraw_failures(self, job_id: str) -> None:
        view = self.view()
        for screen in self.screen_stack:
            if isinstance(screen, FailuresScreen) and screen.job_id == job_id and screen.is_mounted:
                screen.show(view)

    def on_failures_progress(self, message: FailuresProgress) -> None:
        self._redraw_failures(message.job_id)

    def on_failures_read(self, message: FailuresRead) -> None:
        if message.error:
            self.notify(inert(message.error), title="Failures not read", severity="error", markup=False, timeout=10)
        self.render_view()  # the jobs table's top-error hint too

    def on_export_failures(self, message: ExportFailures) -> None:
        org = self.org
        job = org.state.jobs.get(message.job_id)
        if job is None or org.service is None:
            self.notify("Not connected: nothing exported", severity="warning")
            return
        path = failure_output.default_export_path(job.id)
        self.notify(f"Exporting to {path} …", timeout=4, markup=False)
        work = org_workers.export_failures(org.service, job, path, self.post_message)
        self.run_worker(work, group=f"export-{job.id}", exclusive=True, exit_on_error=False)

    def on_failures_exported(self, message: FailuresExported) -> None:
        if message.error:
            self.notify(inert(message.error), title="Export failed", severity="error", markup=False, timeout=15)
        else:
            self.notify(inert(message.note), title="Exported", markup=False, timeout=15)

    def on_filter_changed(self, message: FilterChanged) -> None:
        self.org.state.index.set_filter(message.text)
        self.render_view()

    def on_cycle_sort(self, message: CycleSort) -> None:
        self.action_cycle_sort()

    # --- keys -----------------------------------------------------------------------------------

    def selected_job(self) -> Job | None:
        screen = self.screen
        if isinstance(screen, DashboardScreen | JobDetailScreen):
            return screen.selected_job()
        if isinstance(screen, FailuresScreen):
            return self.org.state.jobs.get(screen.job_id)
        return None

    def refusal(self, action: Action, job: Job | None = None) -> str | None:
        """Why ``action`` cannot be used now (on ``job``, else the selected one), or None."""
        return self.org.refusal(action, job or self.selected_job())

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("close_job", "abort_job"):
            if self.org.read_only:
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
        job = self.selected_job()
        reason = self.refusal(action, job)
        if reason is not None or job is None:
            self.notify(f"Cannot {action.value}: {inert(reason or 'no job selected')}", severity="warning",
                        markup=False)  # fmt: skip
            return

        def answered(yes: bool | None) -> None:
            if yes:
                self._send(self.org.state.jobs.get(job.id, job), action)  # it may have moved on meanwhile

        org = self.org
        screen = ConfirmScreen.for_action(job, action, careful=org.careful, org=(org.label or org.name, org.colour))
        self.push_screen(screen, answered)

    def _send(self, job: Job, action: Action) -> None:
        org = self.org
        late = org.refusal(action, job)
        if late is not None:
            self.notify(f"Not sent: {inert(late)}", severity="warning", markup=False)
            return
        if org.service is None or not org.state.action_sent(job.id, action):
            return  # a second confirmation for the same job sends nothing
        self.render_view()
        work = org_workers.act(org.service, job, action, self.post_message)
        self.run_worker(work, group=f"act-{job.id}", exit_on_error=False)

    def on_action_done(self, message: ActionDone) -> None:
        self.org.state.action_answered(message.job.id, message.job)
        self.notify(f"Job {inert(message.job.id)}: {inert(message.before)} → {inert(message.job.state)}",
                    title=f"{message.action.value.capitalize()} sent", markup=False)  # fmt: skip
        self.render_view()
        self.poll_now()

    def on_action_failed(self, message: ActionFailed) -> None:
        if message.unknown:
            self.org.state.action_answered(message.job.id)  # pending until the job is read again
        else:
            self.org.state.action_refused(message.job.id)
        title = "Outcome unknown" if message.unknown else f"{message.action.value.capitalize()} refused"
        self.notify(inert(message.error), title=title, severity="error", markup=False, timeout=15)
        self.render_view()
        self.poll_now()

    def action_refresh(self) -> None:
        if self.org.polling:
            self.notify("a poll is already running", timeout=2)
            return
        self.poll_now(full=True)

    def action_pause(self) -> None:
        paused = not self.org.connection.paused
        self.org.paused(paused)
        if paused and self._next_poll is not None:
            self._next_poll.stop()
            self._next_poll = None
        self.render_view()
        if not paused:
            self.poll_now()

    def action_cycle_sort(self) -> None:
        self.org.state.index.set_sort(self.org.state.index.sort.next())
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
        where = {JobDetailScreen: "job detail", FailuresScreen: "failures"}.get(type(self.screen), "jobs")
        title = f"Keys: {where}"
        self.push_screen(HelpScreen(title, key_rows(self.screen)))

    def get_system_commands(self, screen: Screen[object]) -> Iterable[SystemCommand]:
        yield SystemCommand("Refresh now", "Poll the org now", self.action_refresh)
        yield SystemCommand("Pause / resume", "Stop or restart polling", self.action_pause)
        yield SystemCommand("Cycle sort", "Change the jobs table order", self.action_cycle_sort)
        yield SystemCommand("Next theme", "Switch to the next theme", self.action_next_theme)
        yield SystemCommand("Failures", "Why the selected job's rows failed, grouped by error", self.action_failures)
        yield SystemCommand("Help", "Every key of this screen", self.action_help)
        if not self.org.read_only:
            yield SystemCommand("Close job", "Close (upload complete) the selected job", self.action_close_job)
            yield SystemCommand("Abort job", "Abort the selected job", self.action_abort_job)
        yield SystemCommand("Quit", "Quit sfmonitor", self.exit)
