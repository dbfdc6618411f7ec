"""What a poll changed that the operator hears of: a line in the header (the session's alerts are
logged, and ``!`` lists them), the bell, a desktop notification through the terminal, the --on-event
command (each as the org's [alerts] rules say). Muted (m): logged and shown, nothing else."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Collection, Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

from textual.app import App

from ..bulk.models import Job
from ..monitor.alert_log import AlertLog
from ..monitor.alerts import flagged, told
from ..monitor.fleet import Fleet
from ..monitor.org import Org
from ..monitor.phase import waiting_on_client
from ..notify import desktop as desktop_notify
from ..notify.event_command import EventCommands
from . import textual_private
from .screens.alerts import AlertsScreen
from .toast import say

DELIVERY_FRESH_S = 60.0  # how long a decision of how notifications travel stands (tmux's settings change)


class Alerts:
    def __init__(
        self,
        app: App[Any],
        clock: Callable[[], datetime],
        log: AlertLog,
        hidden: Collection[str] = (),
        env: Mapping[str, str] | None = None,
        tmux: desktop_notify.Runner = desktop_notify.run_tmux,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.app = app
        self.hidden = hidden  # the orgs' secret variables: never in the --on-event command's environment
        self.commands = EventCommands(hidden)  # a few at once, the rest queued; past the queue, dropped and said
        self.clock = clock
        self.log = log
        self.muted = False
        self.env = os.environ if env is None else env
        self.tmux = tmux  # how tmux is asked about its client terminal (a test's answers)
        self.monotonic = monotonic  # when a decision was made (a test's clock)
        self._deliveries: dict[str, tuple[float, desktop_notify.Delivery]] = {}

    def delivery(self, kind: str = "auto") -> desktop_notify.Delivery:
        """How ``[alerts] desktop = kind`` reaches the desktop here: decided again after
        :meth:`decide_afresh` (n, opening the help or the alerts screen) or when the last decision is
        ``DELIVERY_FRESH_S`` old, so a tmux setting turned on, or a client attached, is seen."""
        now = self.monotonic()
        known = self._deliveries.get(kind)
        if known is None or now - known[0] >= DELIVERY_FRESH_S:
            known = (now, desktop_notify.decide(kind, self.env, self.tmux))
            self._deliveries[kind] = known
        return known[1]

    def decide_afresh(self) -> None:
        """Every kind is decided again when next asked."""
        self._deliveries.clear()

    def close(self) -> None:
        """The app quits: every --on-event command still running is killed with what it started."""
        self.commands.stop()

    def notify_desktop(self, kind: str, title: str, text: str) -> bool:
        """Write a desktop notification to the terminal; False when nothing can be delivered."""
        data = self.delivery(kind).notification(title, text)
        return bool(data) and textual_private.write_to_terminal(self.app, data)

    def after_poll(self, org: Org, before: dict[str, Job]) -> None:
        """Log what this poll changed that matters (the header shows the newest), and tell the operator
        through the bell, a desktop notification and the --on-event command (each as the rules say)."""
        now = self.clock().timestamp()
        jobs, running = org.state.jobs, org.state.index.running
        stalled = flagged(jobs, org.history.stalled, now, running)
        waiting = flagged(jobs, waiting_on_client, now, running)
        usuals, unread = org.usuals, org.state.errors
        slow = flagged(jobs, lambda job, at: usuals.slow(job, at, org.history, unread=job.id in unread),
                       now, running) if usuals else {}  # fmt: skip
        events = org.alerter.after_poll(
            before, jobs, org=org.shown_name, stalled=stalled, waiting=waiting, unread=unread, slow=slow
        )
        self.log.add(events, at=now, org_key=org.key)
        if not events or self.muted:
            return
        rules = org.alerter.rules
        for title, text, _ in told(events, org.shown_name):
            self.notify_desktop(rules.desktop, title, text)
        dropped = 0
        for event in events if rules.on_event else ():
            work = self.commands.submit(rules.on_event, event.to_json(), rules.on_event_timeout_s)
            if work is None:
                dropped += 1
            else:
                self.app.run_worker(work, group="on-event", exit_on_error=False)
        if dropped:
            say(self.app, f"--on-event: {dropped} events not handed to the command: {self.commands.pending} "
                "commands running or queued already (the log names each)", title="Events dropped",
                severity="warning", timeout=15)  # fmt: skip
        if rules.bell:
            self.app.bell()


class AlertKeys(App[None]):
    """The alerts screen (!) and the test notification (n there), mixed into the app (ui/app.py)."""

    if TYPE_CHECKING:  # the app's
        fleet: Fleet
        alerts: Alerts

        @property
        def org(self) -> Org: ...
        def render_view(self) -> None: ...

    def action_alerts(self) -> None:
        if not isinstance(self.screen, AlertsScreen):
            self.alerts.decide_afresh()  # what it says of notifications is true now
            self.push_screen(AlertsScreen(self.fleet.alerts, self.desktop_words), lambda _: self.render_view())
            self.call_after_refresh(self.render_view)  # its first drawing

    def desktop_words(self) -> str:
        """How each org's desktop notifications reach the desktop (or why they do not)."""
        kinds = dict.fromkeys(org.alerter.rules.desktop for org in self.fleet)
        return "; ".join(f"{kind}: {self.alerts.delivery(kind).why}" if len(kinds) > 1 else
                         self.alerts.delivery(kind).why for kind in kinds)  # fmt: skip

    def action_test_notification(self) -> None:
        kind = self.org.alerter.rules.desktop
        self.alerts.decide_afresh()  # tmux's settings as they are now
        delivery = self.alerts.delivery(kind)
        sent = self.alerts.notify_desktop(kind, "sfmonitor", "a test notification")
        why = delivery.why if sent or delivery.kind == "off" else "no terminal"
        say(self, f"{'sent' if sent else 'not sent'}: {why}", title="Desktop notification", timeout=8)
        self.render_view()  # the alerts screen's line says it too
