"""What a poll changed that the operator hears of: a toast, the bell, a desktop notification through
the terminal, the --on-event command (each as the org's [alerts] rules say), unless muted (m)."""

from __future__ import annotations

import os
from collections.abc import Callable, Collection
from datetime import datetime
from typing import Any

from textual.app import App

from ..bulk.models import Job
from ..monitor.alerts import flagged, told
from ..monitor.org import Org
from ..monitor.phase import waiting_on_client
from ..notify import desktop as desktop_notify
from ..notify.event_command import EventCommands
from . import textual_private
from .toast import say


class Alerts:
    def __init__(self, app: App[Any], clock: Callable[[], datetime], hidden: Collection[str] = ()) -> None:
        self.app = app
        self.hidden = hidden  # the orgs' secret variables: never in the --on-event command's environment
        self.commands = EventCommands(hidden)  # a few at once, the rest queued; past the queue, dropped and said
        self.clock = clock
        self.muted = False

    def after_poll(self, org: Org, before: dict[str, Job]) -> None:
        """Tell the operator what this poll changed that matters: a toast, the bell, a desktop
        notification through the terminal, the --on-event command (each as the rules say)."""
        now = self.clock().timestamp()
        jobs, running = org.state.jobs, org.state.index.running
        stalled = flagged(jobs, org.history.stalled, now, running)
        waiting = flagged(jobs, waiting_on_client, now, running)
        events = org.alerter.after_poll(
            before, jobs, org=org.shown_name, stalled=stalled, waiting=waiting, unread=org.state.errors
        )
        if not events or self.muted:
            return
        rules = org.alerter.rules
        for title, text, bad in told(events, org.shown_name):
            say(self.app, text, title=title, severity="error" if bad else "information", timeout=15)
            data = desktop_notify.notification(rules.desktop, title, text, os.environ)
            if data:
                textual_private.write_to_terminal(self.app, data)
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
