"""The dashboard app: it wires the orgs' model (monitor/) to workers, screens and keys, and routes.
The rules live in the model; each org's poll loop in polling.py; close and abort in actions.py; what
the operator hears of a poll in alerting.py; what a screen draws is presented in view.py and published
to the screens (board_changed, failures_changed), which subscribe on mount (screens/base.py)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime
from typing import ClassVar

from rich.console import RenderableType
from rich.text import Text
from textual.app import SystemCommand
from textual.await_complete import AwaitComplete
from textual.binding import Binding, BindingType
from textual.markup import escape
from textual.message import Message
from textual.screen import Screen
from textual.signal import Signal
from textual.timer import Timer

from ..bulk.calls import breakdown
from ..bulk.models import Action, Job, setup_page
from ..config import paths
from ..config import settings as config
from ..config.connection import ConnectionOptions
from ..config.orgs import OrgConfig, secret_variables
from ..monitor.confirm import CLOSE_SUMMARY
from ..monitor.fleet import Fleet
from ..monitor.org import Org
from ..monitor.schedule import Schedule
from ..monitor.usual import PastRuns, Usuals
from ..serve.attach import RecorderAddress
from ..store.memory import Memory
from ..text import inert
from . import org_workers, textual_private
from .actions import CloseAndAbort
from .alerting import AlertKeys, Alerts
from .attached import Attached
from .gc_pauses import CalmCollector
from .messages import (
    CycleSort,
    FailuresExported,
    FailuresProgress,
    FailuresRead,
    FilterChanged,
    NextOrg,
    OpenFailures,
    OpenJob,
    OrgMessage,
)
from .palette import key_commands
from .polling import Polling
from .remembering import HistoryOptions, Remembering
from .screens.base import BoardScreen, Stage
from .screens.dashboard import DashboardScreen
from .screens.detail import JobDetailScreen
from .screens.failures import FailuresScreen
from .screens.help import HelpScreen, key_rows
from .terminal_watch import watch_terminal
from .theming import install_themes, palette
from .toast import say
from .view import Board, View, present, present_board

log = logging.getLogger(__name__)

STALENESS_EVERY_S = 5.0  # how often the header re-checks the age of its data between polls


class SfMonitorApp(Polling, CloseAndAbort, AlertKeys, Remembering, Attached):
    TITLE = "sfmonitor"
    CSS_PATH = "sfmonitor.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "c",
            "close_job",
            "Close",
            id="close",
            tooltip=f"close the selected job after a confirmation ({CLOSE_SUMMARY})",
        ),
        Binding("a", "abort_job", "Abort", id="abort", tooltip="abort the selected job after a confirmation"),
        Binding("r", "refresh", "Refresh", id="refresh", tooltip="poll the org now"),
        Binding("p", "pause", "Pause", id="pause", tooltip="pause or resume polling"),
        Binding(
            "m",
            "mute",
            "Mute",
            id="mute",
            show=False,
            tooltip="mute or unmute alerts' bell, desktop notification and --on-event command",
        ),
        Binding(
            "exclamation_mark",
            "alerts",
            "Alerts",
            id="alerts",
            show=False,
            tooltip="the session's alerts, newest first (enter opens the job)",
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
        Binding(
            "h",
            "job_history",
            "History",
            id="history",
            show=False,
            tooltip="the selected job's past runs (same object and operation, this org), from the history file",
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
        past_runs: PastRuns | None = None,
        history: HistoryOptions | None = None,
        recorders: dict[str, RecorderAddress] | None = None,
    ) -> None:
        """``orgs``: the orgs to watch (their config tables, their interval and budget already
        settled against the flags), or one org's options; ``schedule``: one org's (a test's pace),
        else each org's own from its interval; ``past_runs``: the history's past runs of an org's
        object and operation (blocking: called in a thread), for its jobs' usual pace (None: no
        usual shown); ``history``: the history file recorded to and remembered from (None: none);
        ``recorders``: where the orgs read through a recorder (OrgConfig.recorder) are read from."""
        super().__init__()
        self.history_options = history
        self.recorders = recorders or {}
        self.staleness_every = staleness_every
        self.settings = settings
        self.clock = clock or (lambda: datetime.now(UTC))
        if isinstance(orgs, ConnectionOptions):
            orgs = [OrgConfig("", label or "", orgs, "", colour=colour, production=production)]
        self.options = {target.name: target.options for target in orgs}
        self._collector = CalmCollector()
        self.fleet = Fleet({target.name: config.org_model(target, settings, schedule, single=len(orgs) == 1)
                            for target in orgs}, clock=lambda: self.clock().timestamp())  # fmt: skip
        self.history_memory = (
            Memory(history.path, history.busy_ms) if history is not None else None
        )  # h, the usual pace
        self.past_runs = past_runs or (self.history_memory.runs if self.history_memory is not None else None)
        for org in self.fleet if self.past_runs is not None else ():
            org.usuals = Usuals()
        self._binding_state: tuple[object, ...] | None = None
        self._shown_status: tuple[object, ...] = ()  # the connection words on screen
        self.theme_names: list[str] = []
        self._next_poll: dict[str, Timer] = {}
        self.alerts = Alerts(self, self.clock, self.fleet.alerts, secret_variables([*settings.orgs.values(), *orgs]))
        self.board_changed: Signal[Board] = Signal(self, "board_changed")
        self.failures_changed: Signal[tuple[str, View]] = Signal(self, "failures_changed")
        self.set_keymap(settings.keymap)

    @property
    def org(self) -> Org:
        """The first org (the only one, unless several are watched)."""
        return self.fleet.first

    def _post_for(self, org: Org) -> Callable[[Message], object]:
        """How a worker for ``org`` reports: its messages carry the org's key."""
        return org_workers.poster(org.key, self.post_message)

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
        self.start_history()  # each org's remembered jobs, read in a thread while it connects
        self.poll_now()  # connects first: every org at once, each on its own
        self.attach()  # the orgs read through a recorder: its feed
        self.set_interval(self.staleness_every, self._watch_staleness, name="staleness")
        if not self.is_headless:
            watch_terminal(self)

    def on_unmount(self) -> None:
        self._collector.uninstall()
        self.alerts.close()  # no --on-event command outlives sfmonitor
        self.stop_history()  # what was handed over is written (bounded)
        self.detach()

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
        return tuple(org.connection.status(now, org.poll_gap) for org in self.fleet)

    def _watch_staleness(self) -> None:
        """A poll that hangs produces no event: notice it going stale, and keep the age of the data shown
        true while offline. Redraws only when those words change (never while all is well)."""
        if self._statuses() != self._shown_status:
            self.render_view()

    # --- drawing --------------------------------------------------------------------------------

    def view(self, org: Org | None = None) -> View:
        """One org's view (the first's unless named): what its detail and failures screens draw."""
        return present(org or self.org, self.fleet, self.clock(), palette(self))

    def render_view(self) -> None:
        """Publish the current state to the screens (each draws what concerns it), then re-check which
        keys apply."""
        if not self.screen_stack:
            return  # a late answer while the app closes: nothing left to draw on
        board = present_board(self.fleet, self.clock(), palette(self), muted=self.alerts.muted,
                              history_fault=self.history_fault)  # fmt: skip
        self._shown_status = self._statuses()
        self.board_changed.publish(board)
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

    # --- routing: what the screens ask, what the failures workers bring --------------------------

    def on_open_job(self, message: OpenJob) -> None:
        org = self.fleet.orgs.get(message.org)
        if org is None or self.open_remembered(org, message.job_id):  # a ~ row: read-only, from history
            return
        screen = JobDetailScreen(message.job_id, org.key)
        self.push_screen(screen)
        self.call_after_refresh(screen.show, self.view(org))
        self.read_usuals(org, opened=message.job_id)  # an ended job's usual too, once its detail is open

    def on_open_failures(self, message: OpenFailures) -> None:
        self.open_failures(message.job_id, message.org)

    def action_failures(self) -> None:
        """Open Failures for the selected job."""
        chosen = self.selected()
        if chosen is None:
            say(self, "No job selected", severity="warning", timeout=3)
            return
        self.open_failures(chosen[1].id, chosen[0].key)

    def open_failures(self, job_id: str, org_key: str) -> None:
        """Open Failures for the job (the screen reads what is not read yet)."""
        org = self.fleet.orgs.get(org_key)
        job = org.state.jobs.get(job_id) if org else None
        if org is None or job is None:
            remembered = org is not None and org.state.memory.only(job_id, org.state.jobs) is not None
            say(self, f"job {job_id} is only remembered (history): its failures are read once the org lists it"
                if remembered else "No job selected", severity="warning", timeout=3)  # fmt: skip
            return
        screen = FailuresScreen(job, org)
        self.push_screen(screen)
        self.call_after_refresh(screen.show, self.view(org))

    def on_failures_progress(self, message: FailuresProgress) -> None:
        org = self._of(message)
        if org is not None:
            self.failures_changed.publish((message.job_id, self.view(org)))

    def on_failures_read(self, message: FailuresRead) -> None:
        org = self._of(message)
        if message.error:
            say(self, message.error, title="Failures not read", severity="error", timeout=10)
        elif org is not None:
            self.history_failures(org, message.job_id)
        self.render_view()  # the jobs table's top-error hint too

    def on_failures_exported(self, message: FailuresExported) -> None:
        if message.error:
            say(self, message.error, title="Export failed", severity="error", timeout=15)
        else:
            say(self, message.note, title="Exported", timeout=15)

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
        say(self, f"showing {org.shown_name if org else 'all orgs'}", timeout=2)
        self.render_view()

    # --- keys -----------------------------------------------------------------------------------

    def selected(self) -> tuple[Org, Job] | None:
        """The org and job the keys act on: the selected row, or the open detail's or failures' job."""
        screen = self.screen
        picked = screen.picked() if isinstance(screen, BoardScreen) else None
        org = self.fleet.orgs.get(picked[0]) if picked else None
        job = org.state.job(picked[1]) if org and picked else None  # a remembered one too: refused with words
        return (org, job) if org is not None and job is not None else None

    def action_copy_id(self) -> None:
        chosen = self.selected()
        if chosen is None:
            say(self, "no job selected: nothing to copy", severity="warning")
            return
        copied = inert(chosen[1].id)  # the clipboard gets the id as shown, never a control character
        self.copy_to_clipboard(copied)
        say(self, f"{copied} copied (the terminal must allow OSC 52 clipboard writes)")

    def action_open_setup(self) -> None:
        chosen = self.selected()
        if chosen is None or chosen[0].service is None:
            say(self, "no job selected, or its org is not signed in yet", severity="warning")
            return
        url = setup_page(chosen[0].service.instance_url, chosen[1].id)
        say(self, url, title="Setup page of the job", timeout=30)
        self.open_url(url)

    def action_mute(self) -> None:
        self.alerts.muted = not self.alerts.muted
        say(self, "alerts muted: no bell, notification or command until m again (still listed: !)"
            if self.alerts.muted else "alerts on")  # fmt: skip
        self.render_view()

    def action_refresh(self) -> None:
        idle = [org for org in self.fleet if not org.polling]
        if not idle:
            say(self, "a poll is already running", timeout=2)
            return
        if self.org.connection.paused:
            say(self, "paused: polling once now (p resumes polling)", timeout=4)
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
        say(self, f"theme: {self.theme}", timeout=2)

    def action_help(self) -> None:
        if isinstance(self.screen, HelpScreen):
            return
        screen = self.screen
        where, columns = (screen.HELP_TITLE, screen.HELP_COLUMNS) if isinstance(screen, BoardScreen) else ("jobs", ())
        self.alerts.decide_afresh()  # what the help says of notifications is true now
        notes = (f"Desktop notifications: {self.desktop_words()} (n on the alerts screen (!) sends a test)",
                 self.history_note())  # fmt: skip
        calls = tuple((org.shown_name, breakdown(org.service.transport.calls.last_hour()) if org.service
                       else "none: read through its recorder" if org.recorder else "not signed in yet")
                      for org in self.fleet)  # fmt: skip
        self.push_screen(HelpScreen(f"Keys: {where}", key_rows(self.screen), columns, notes, calls))

    def get_system_commands(self, screen: Screen[object]) -> Iterable[SystemCommand]:
        yield from key_commands(self, screen)  # every key's action there, made from its bindings
        if self.fleet.several:
            yield SystemCommand("Show all orgs", "Every org's jobs in one table", lambda: self.show_org(None))
            for org in self.fleet:  # the palette reads its words as markup: a label is data, shown as it is
                yield SystemCommand(f"Show org: {escape(inert(org.shown_name))}",
                                    f"Only the jobs of {escape(inert(org.target))}",
                                    lambda key=org.key: self.show_org(key))  # fmt: skip


def _stage(app: SfMonitorApp) -> Stage:
    return app  # mypy checks here that the app is what the screens take it for
