"""The dashboard app: it wires the org's model (monitor.org) to workers, screens and keys. The rules
live in the model; what the workers do lives in org_workers; the screens draw."""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Iterable, Sequence
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
from textual.message import Message
from textual.screen import Screen
from textual.timer import Timer

from ..bulk.models import Action, Job, setup_page
from ..config import paths
from ..config import settings as config
from ..config.connection import ConnectionOptions
from ..config.orgs import OrgConfig, org_colour
from ..config.paths import export_path
from ..monitor.alerts import Alerter, flagged, told
from ..monitor.confirm import CLOSE_SUMMARY
from ..monitor.fleet import Fleet
from ..monitor.org import Org
from ..monitor.phase import waiting_on_client
from ..monitor.schedule import BACKOFF_CAP_S, Schedule
from ..notify import desktop as desktop_notify
from ..notify.event_command import run_event_command
from ..text import inert
from . import org_workers, textual_private
from .cells import COLUMN_HELP
from .gc_pauses import CalmCollector
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
    NextOrg,
    OpenFailures,
    OpenJob,
    OrgMessage,
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
from .view import Board, View

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
        Binding(
            "m", "mute", "Mute", id="mute", show=False, tooltip="mute or unmute job-end alerts (toast, bell, desktop)"
        ),
        Binding(
            "y",
            "copy_id",
            "Copy id",
            id="copy",
            show=False,
            tooltip="copy the selected job's id to the clipboard (OSC 52: over SSH too)",
        ),
        Binding(
            "O",
            "open_setup",
            "Setup page",
            id="setup",
            show=False,
            tooltip="the selected job's Setup page: address in a toast, opened where a browser is",
        ),
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
        orgs: ConnectionOptions | Sequence[OrgConfig],
        settings: config.Settings,
        *,
        clock: Callable[[], datetime] | None = None,
        schedule: Schedule | None = None,
        staleness_every: float = STALENESS_EVERY_S,
        label: str | None = None,
        colour: str | None = None,
        production: bool | None = None,
    ) -> None:
        """``orgs``: the orgs to watch (their config tables; config.in_force settles the flags held
        in ``settings`` over them), or one org's options; ``schedule``: one org's (a test's pace),
        else each org's own from its interval."""
        super().__init__()
        self.staleness_every = staleness_every
        self.settings = settings
        self.clock = clock or (lambda: datetime.now(UTC))
        if isinstance(orgs, ConnectionOptions):
            orgs = [OrgConfig("", label or "", orgs, "", colour=colour, production=production)]
        self.options = {target.name: target.options for target in orgs}
        self._collector = CalmCollector()
        self.fleet = Fleet({target.name: self._org(target, settings, schedule, single=len(orgs) == 1)
                            for target in orgs}, clock=lambda: self.clock().timestamp())  # fmt: skip
        self._binding_state: tuple[object, ...] | None = None
        self._shown_status: tuple[object, ...] = ()  # the connection words on screen
        self.theme_names: list[str] = []
        self._next_poll: dict[str, Timer] = {}
        self.alerts_muted = False
        self.set_keymap(settings.keymap)

    @staticmethod
    def _org(target: OrgConfig, settings: config.Settings, schedule: Schedule | None, *, single: bool) -> Org:
        resolved = target.options.resolved()
        rules = config.in_force(target, settings, pace=schedule.interval if schedule else None)
        if schedule is None or not single:
            schedule = Schedule(rules.interval, cap=schedule.cap if schedule else BACKOFF_CAP_S)
        schedule.budget = rules.api_budget
        return Org(
            schedule,
            key=target.name,
            name=urlsplit(resolved.instance_url or "").hostname or (resolved.target_org or "org"),
            target=resolved.instance_url or (f"sf org {resolved.target_org!r}" if resolved.target_org else "the org"),
            read_only=rules.read_only,
            read_only_why=rules.read_only_why,
            label=target.label or None,
            colour=target.colour,
            production=target.production,
            alerter=Alerter(settings.alerts_for(target.name)),
        )

    @property
    def org(self) -> Org:
        """The first org (the only one, unless several are watched)."""
        return self.fleet.first

    def _post_for(self, org: Org) -> Callable[[Message], object]:
        """How a worker for ``org`` reports: its messages carry the org's key."""

        def post(message: Message) -> bool:
            if isinstance(message, OrgMessage):
                message.org = org.key
            return self.post_message(message)

        return post

    def _of(self, message: OrgMessage) -> Org | None:
        return self.fleet.orgs.get(message.org)

    # --- start-up -----------------------------------------------------------------------------

    def pop_screen(self) -> AwaitComplete:
        """Every closed screen (detail, help, confirmation) also lets go of its widgets' rendered lines."""
        popped = super().pop_screen()
        textual_private.forget_closed_widgets()
        return popped

    def on_mount(self) -> None:
        self._collector.install()  # no 90 ms full garbage collections every few seconds at scale
        self.theme_names = install_themes(self, self.settings.theme)
        self.push_screen(DashboardScreen(several=self.fleet.several))
        self.call_after_refresh(self.render_view)  # "connecting to …" from the first frame
        self.poll_now()  # connects first: every org at once, each on its own
        self.set_interval(self.staleness_every, self._watch_staleness, name="staleness")
        if not self.is_headless:
            watch_terminal(self)

    def on_unmount(self) -> None:
        self._collector.uninstall()

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

    def _statuses(self) -> tuple[object, ...]:
        now = self.clock()
        return tuple(org.connection.status(now, org.schedule.interval) for org in self.fleet)

    def _watch_staleness(self) -> None:
        """A poll that hangs produces no event: notice it going stale, and keep the age of the data shown
        true while offline. Redraws only when those words change (never while all is well)."""
        if self._statuses() != self._shown_status:
            self.render_view()

    # --- polling --------------------------------------------------------------------------------

    def poll_now(self, full: bool = False, org: Org | None = None) -> None:
        """Start a poll cycle of ``org`` (else of every org; connecting first if need be) unless one is
        under way or polling is paused. ``full``: list the org and read every live job (r: even
        while paused, once)."""
        for each in [org] if org is not None else list(self.fleet):
            self._poll(each, full)

    def _poll(self, org: Org, full: bool) -> None:
        timer = self._next_poll.pop(org.key, None)
        if timer is not None:
            timer.stop()
        if not org.poll_starting(asked=full):
            return
        post = self._post_for(org)
        if org.poller is None:
            work = org_workers.connect(self.options[org.key], post, ask_sandbox=org.production is None)
        else:
            work = org_workers.poll(org.poller, org.state.poll_started(), self.watched(org), post,
                                    first=not org.state.polls_done, full=full)  # fmt: skip
        self.run_worker(work, group=f"poll-{org.key}", exit_on_error=False)

    def watched(self, org: Org) -> set[str]:
        """The org's jobs whose detail is open: read in full (batch list included) every cycle."""
        return {screen.job_id for screen in self.screen_stack
                if isinstance(screen, JobDetailScreen) and screen.org_key == org.key}  # fmt: skip

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

    def on_first_page(self, message: FirstPage) -> None:
        org = self._of(message)
        if org is not None and org.state.first_page(message.jobs):
            self.fleet.refresh(org)
            self.render_view()

    def on_poll_done(self, message: PollDone) -> None:
        org = self._of(message)
        if org is None:
            return
        before = org.state.jobs
        delay = org.polled(message.snapshot, message.cycle, self.clock(), time.monotonic())
        self.fleet.refresh(org)
        self._alert(org, before)
        if org.service is not None and org.limits_due(self.clock().timestamp()):  # after the poll: one stream
            org.limits_read_at = self.clock().timestamp()
            work = org_workers.read_limits(org.service, self._post_for(org))
            self.run_worker(work, group=f"limits-{org.key}", exclusive=True, exit_on_error=False)
        self._schedule(org, delay)
        self.render_view()  # after the schedule: the header says when the API budget stretches it
        for screen in self.screen_stack:
            if isinstance(screen, FailuresScreen) and screen.org_key == org.key:  # results as batches finish
                self._read_failures(org, screen.job_id)

    def _alert(self, org: Org, before: dict[str, Job]) -> None:
        """Tell the operator what this poll changed that matters: a toast, the bell, a desktop
        notification through the terminal, the --on-event command (each as the rules say)."""
        now = self.clock().timestamp()
        jobs, running = org.state.jobs, org.state.index.running
        stalled = flagged(jobs, org.history.stalled, now, running)
        waiting = flagged(jobs, waiting_on_client, now, running)
        events = org.alerter.after_poll(
            before, jobs, org=org.shown_name, stalled=stalled, waiting=waiting, unread=org.state.errors
        )
        if not events or self.alerts_muted:
            return
        rules = org.alerter.rules
        for title, text, bad in told(events, org.shown_name):
            self.notify(text, title=title, severity="error" if bad else "information", markup=False, timeout=15)
            data = desktop_notify.notification(rules.desktop, title, text, os.environ)
            if data:
                textual_private.write_to_terminal(self, data)
        for event in events if rules.on_event else ():
            work = run_event_command(rules.on_event, event.to_json(), rules.on_event_timeout_s)
            self.run_worker(work, group="on-event", exit_on_error=False)
        if rules.bell:
            self.bell()

    def action_copy_id(self) -> None:
        chosen = self.selected()
        if chosen is None:
            self.notify("no job selected: nothing to copy", severity="warning", markup=False)
            return
        self.copy_to_clipboard(chosen[1].id)
        self.notify(f"{chosen[1].id} copied (the terminal must allow OSC 52 clipboard writes)", markup=False)

    def action_open_setup(self) -> None:
        chosen = self.selected()
        if chosen is None or chosen[0].service is None:
            self.notify("no job selected, or its org is not signed in yet", severity="warning", markup=False)
            return
        url = setup_page(chosen[0].service.instance_url, chosen[1].id)
        self.notify(url, title="Setup page of the job", markup=False, timeout=30)
        self.open_url(url)

    def action_mute(self) -> None:
        self.alerts_muted = not self.alerts_muted
        self.notify("alerts muted: no toast, bell or notification until m again" if self.alerts_muted
                    else "alerts on", markup=False)  # fmt: skip
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

    # --- drawing --------------------------------------------------------------------------------

    def view(self, org: Org | None = None) -> View:
        """One org's view (the first's unless named): what its detail and failures screens draw."""
        org = org or self.org
        return View(
            org=org.shown_name,
            target=org.target,
            instance_url=org.service.instance_url if org.service else None,
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
            sort=self.fleet.index.sort,
            filter=self.fleet.index.text,
            index=org.state.index,
            read_only=org.read_only,
            errors=org.state.errors,
            top_errors=org.top_errors(),
            key=org.key,
            colour=org_colour(org.colour),
            production=org.production,
        )

    def board(self) -> Board:
        """The dashboard's view: every org's, and their rows merged."""
        fleet = self.fleet
        views = {org.key: self.view(org) for org in fleet}
        first = views[fleet.first.key]

        def locate(row: str) -> tuple[str, str] | None:
            found = fleet.locate(row)
            return (found[0].key, found[1]) if found else None

        return Board(views, fleet.jobs, fleet.index, locate, first.now, first.palette, fleet.index.sort,
                     fleet.index.text, fleet.focus, self.alerts_muted)  # fmt: skip

    def render_view(self) -> None:
        """Hand the current state to every screen that draws it, then re-check which keys apply."""
        if not self.screen_stack:
            return  # a late answer while the app closes: nothing left to draw on
        board = self.board()
        self._shown_status = self._statuses()
        for screen in self.screen_stack:
            if not screen.is_mounted:
                continue
            try:
                if isinstance(screen, DashboardScreen):
                    screen.show(board)
                elif isinstance(screen, JobDetailScreen | FailuresScreen) and screen.org_key in board.orgs:
                    screen.show(board.orgs[screen.org_key])
            except NoMatches:  # a late answer while the app closes: the widgets are gone already
                return
        self.sync_bindings()

    def sync_bindings(self) -> None:
        """Re-check which keys apply, only when that can have changed (each change redraws the key bar)."""
        chosen = self.selected()
        job = chosen[1] if chosen else None
        state = (type(self.screen).__name__, chosen[0].key if chosen else None, job.id if job else None,
                 self.refusal(Action.CLOSE), self.refusal(Action.ABORT))  # fmt: skip
        if state != self._binding_state:
            self._binding_state = state
            self.refresh_bindings()

    def watch_theme(self, theme: str) -> None:
        if self.screen_stack:
            self.render_view()

    # --- messages from the screens ---------------------------------------------------------------

    def on_open_job(self, message: OpenJob) -> None:
        org = self.fleet.orgs.get(message.org)
        if org is None:
            return
        screen = JobDetailScreen(message.job_id, org.key)
        self.push_screen(screen)
        self.call_after_refresh(screen.show, self.view(org))

    def on_open_failures(self, message: OpenFailures) -> None:
        self.open_failures(message.job_id, message.org)

    def action_failures(self) -> None:
        """Open Failures for the selected job."""
        chosen = self.selected()
        if chosen is None:
            self.notify("No job selected", severity="warning", timeout=3)
            return
        self.open_failures(chosen[1].id, chosen[0].key)

    def open_failures(self, job_id: str, org_key: str) -> None:
        """Open Failures for the job and read what is not read yet."""
        org = self.fleet.orgs.get(org_key)
        job = org.state.jobs.get(job_id) if org else None
        if org is None or job is None:
            self.notify("No job selected", severity="warning", timeout=3)
            return
        screen = FailuresScreen(job.id, org.failure_report(job), org.key)
        self.push_screen(screen)
        self.call_after_refresh(screen.show, self.view(org))
        self._read_failures(org, job.id)

    def on_read_failures(self, message: ReadFailures) -> None:
        org = self.fleet.orgs.get(message.org)
        if org is not None:
            self._read_failures(org, message.job_id, asked=True)

    def _read_failures(self, org: Org, job_id: str, *, asked: bool = False) -> None:
        job = org.state.jobs.get(job_id)
        if job is None or org.service is None:
            return
        report = org.failures_starting(job, asked=asked)
        if report is None:
            return
        work = org_workers.failures(org.service, job, report, self._post_for(org))
        self.run_worker(work, group=f"failures-{org.key}-{job_id}", exit_on_error=False)

    def on_failures_progress(self, message: FailuresProgress) -> None:
        org = self._of(message)
        if org is None:
            return
        view = self.view(org)
        for screen in self.screen_stack:
            if isinstance(screen, FailuresScreen) and screen.is_mounted and \
                    (screen.job_id, screen.org_key) == (message.job_id, org.key):  # fmt: skip
                screen.show(view)

    def on_failures_read(self, message: FailuresRead) -> None:
        if message.error:
            self.notify(inert(message.error), title="Failures not read", severity="error", markup=False, timeout=10)
        self.render_view()  # the jobs table's top-error hint too

    def on_export_failures(self, message: ExportFailures) -> None:
        org = self.fleet.orgs.get(message.org)
        job = org.state.jobs.get(message.job_id) if org else None
        if org is None or job is None or org.service is None:
            self.notify("Not connected: nothing exported", severity="warning")
            return
        path = export_path(job.id)
        self.notify(f"Exporting to {path} …", timeout=4, markup=False)
        work = org_workers.export_failures(org.service, job, path, self._post_for(org))
        self.run_worker(work, group=f"export-{org.key}-{job.id}", exclusive=True, exit_on_error=False)

    def on_failures_exported(self, message: FailuresExported) -> None:
        if message.error:
            self.notify(inert(message.error), title="Export failed", severity="error", markup=False, timeout=15)
        else:
            self.notify(inert(message.note), title="Exported", markup=False, timeout=15)

    def on_filter_changed(self, message: FilterChanged) -> None:
        self.fleet.index.set_filter(message.text)
        self.render_view()

    def on_cycle_sort(self, message: CycleSort) -> None:
        self.action_cycle_sort()

    def on_next_org(self, message: NextOrg) -> None:
        self.show_org(self.fleet.cycle_focus(), moved=True)

    def show_org(self, key: str | None, *, moved: bool = False) -> None:
        """Show one org's jobs (None: every org's)."""
        if not moved:
            self.fleet.show_org(key)
        org = self.fleet.orgs.get(key) if key is not None else None
        self.notify(f"showing {org.shown_name if org else 'all orgs'}", timeout=2, markup=False)
        self.render_view()

    # --- keys -----------------------------------------------------------------------------------

    def selected(self) -> tuple[Org, Job] | None:
        """The org and job the keys act on: the selected row, or the open detail's or failures' job."""
        screen = self.screen
        if isinstance(screen, DashboardScreen):
            chosen = screen.selected()
            org = self.fleet.orgs.get(chosen[0]) if chosen else None
            return (org, chosen[1]) if org is not None and chosen is not None else None
        if isinstance(screen, JobDetailScreen | FailuresScreen):
            org = self.fleet.orgs.get(screen.org_key)
            job = org.state.jobs.get(screen.job_id) if org else None
            return (org, job) if org is not None and job is not None else None
        return None

    def selected_job(self) -> Job | None:
        chosen = self.selected()
        return chosen[1] if chosen else None

    def refusal(self, action: Action, job: Job | None = None, org: Org | None = None) -> str | None:
        """Why ``action`` cannot be used now (on ``job`` of ``org``, else the selected one), or None."""
        if job is None or org is None:
            chosen = self.selected()
            if chosen is None:
                return (self.org if not self.fleet.several else self._any_writable()).refusal(action, None)
            org, job = chosen
        return org.refusal(action, job)

    def _any_writable(self) -> Org:
        return next((org for org in self.fleet if not org.read_only), self.org)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("close_job", "abort_job"):
            if all(org.read_only for org in self.fleet):
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
                chosen = self.selected()
                self._cannot(action, reason, chosen[0] if chosen else None)
                event.stop()

    def _cannot(self, action: Action, reason: str, org: Org | None) -> None:
        where = f" in {org.shown_name}" if org else ""  # the toast names the org
        self.notify(f"Cannot {action.value}{inert(where)}: {inert(reason)}", severity="warning", markup=False)

    def action_close_job(self) -> None:
        self._ask(Action.CLOSE)

    def action_abort_job(self) -> None:
        self._ask(Action.ABORT)

    def _ask(self, action: Action) -> None:
        chosen = self.selected()
        reason = self.refusal(action, chosen[1], chosen[0]) if chosen else self.refusal(action)
        if reason is not None or chosen is None:
            self._cannot(action, reason or "no job selected", chosen[0] if chosen else None)
            return
        org, job = chosen

        def answered(yes: bool | None) -> None:
            if yes:
                self._send(org, org.state.jobs.get(job.id, job), action)  # it may have moved on meanwhile

        screen = ConfirmScreen.for_action(
            job, action, production=org.production, org=(org.shown_name, org_colour(org.colour))
        )
        self.push_screen(screen, answered)

    def _send(self, org: Org, job: Job, action: Action) -> None:
        late = org.refusal(action, job)
        if late is not None:
            self.notify(f"Not sent to {inert(org.shown_name)}: {inert(late)}", severity="warning", markup=False)
            return
        if org.service is None or not org.state.action_sent(job.id, action):
            return  # a second confirmation for the same job sends nothing
        self.render_view()
        work = org_workers.act(org.service, job, action, self._post_for(org))
        self.run_worker(work, group=f"act-{org.key}-{job.id}", exit_on_error=False)

    def on_action_done(self, message: ActionDone) -> None:
        org = self._of(message)
        if org is None:
            return
        org.state.action_answered(message.job.id, message.job)
        self.fleet.refresh(org)
        where = f"{inert(org.shown_name)}: "  # every toast of an action names its org
        self.notify(f"{where}Job {inert(message.job.id)}: {inert(message.before)} → {inert(message.job.state)}",
                    title=f"{message.action.value.capitalize()} sent", markup=False)  # fmt: skip
        self.render_view()
        self.poll_now(org=org)

    def on_action_failed(self, message: ActionFailed) -> None:
        org = self._of(message)
        if org is None:
            return
        if message.unknown:
            org.state.action_answered(message.job.id)  # pending until the job is read again
        else:
            org.state.action_refused(message.job.id)
        title = "Outcome unknown" if message.unknown else f"{message.action.value.capitalize()} refused"
        self.notify(f"{inert(org.shown_name)}: {inert(message.error)}", title=title, severity="error", markup=False,
                    timeout=15)  # fmt: skip
        self.render_view()
        self.poll_now(org=org)

    def action_refresh(self) -> None:
        idle = [org for org in self.fleet if not org.polling]
        if not idle:
            self.notify("a poll is already running", timeout=2)
            return
        if self.org.connection.paused:
            self.notify("paused: polling once now (p resumes polling)", timeout=4, markup=False)
        for org in idle:
            self.poll_now(full=True, org=org)

    def action_pause(self) -> None:
        paused = not self.org.connection.paused
        for org in self.fleet:
            org.paused(paused)
        if paused:
            for timer in self._next_poll.values():
                timer.stop()
            self._next_poll.clear()
        self.render_view()
        self.refresh_bindings()  # the key bar says p Resume while paused
        if not paused:
            self.poll_now()

    def binding_description(self, binding: Binding) -> str | None:
        """A key's words as they are now (the key bar asks): ``p`` resumes while paused."""
        if binding.action == "pause" and self.org.connection.paused:
            return "Resume"
        return None

    def action_cycle_sort(self) -> None:
        self.fleet.next_sort()
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
        columns = COLUMN_HELP if isinstance(self.screen, DashboardScreen) else ()
        self.push_screen(HelpScreen(title, key_rows(self.screen), columns))

    def get_system_commands(self, screen: Screen[object]) -> Iterable[SystemCommand]:
        yield SystemCommand("Refresh now", "Poll every org now", self.action_refresh)
        yield SystemCommand("Pause / resume", "Stop or restart polling", self.action_pause)
        yield SystemCommand("Mute / unmute alerts", "Toasts, bell and desktop notifications of job ends",
                            self.action_mute)  # fmt: skip
        yield SystemCommand("Cycle sort", "Change the jobs table order", self.action_cycle_sort)
        yield SystemCommand("Next theme", "Switch to the next theme", self.action_next_theme)
        yield SystemCommand("Failures", "Why the selected job's rows failed, grouped by error", self.action_failures)
        yield SystemCommand("Help", "Every key of this screen", self.action_help)
        if self.fleet.several:
            yield SystemCommand("Show all orgs", "Every org's jobs in one table", lambda: self.show_org(None))
            for org in self.fleet:
                yield SystemCommand(f"Show org: {org.shown_name}", f"Only the jobs of {org.target}",
                                    lambda key=org.key: self.show_org(key))  # fmt: skip
        if not all(org.read_only for org in self.fleet):
            yield SystemCommand("Close job", f"Close the selected job ({CLOSE_SUMMARY})", self.action_close_job)
            yield SystemCommand("Abort job", "Abort the selected job", self.action_abort_job)
        yield SystemCommand("Quit", "Quit sfmonitor", self.exit)
