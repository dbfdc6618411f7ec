"""Close and abort (c, a): why one is refused now, the confirmation, the request, its answer. Mixed
into the app (ui/app.py); the rule of when each may be sent is the org model's (Org.refusal)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from textual.app import App
from textual.binding import Binding
from textual.events import Key
from textual.message import Message

from ..bulk.models import Action, Job
from ..config.orgs import org_colour
from ..config.settings import Settings
from ..monitor.fleet import Fleet
from ..monitor.org import Org
from . import org_workers
from .messages import ActionDone, ActionFailed, OrgMessage
from .screens.base import BoardScreen
from .screens.confirm import ConfirmScreen
from .toast import say

ACTIONS = {"close_job": Action.CLOSE, "abort_job": Action.ABORT}


class CloseAndAbort(App[None]):
    if TYPE_CHECKING:  # the app's
        fleet: Fleet
        settings: Settings

        @property
        def org(self) -> Org: ...
        def selected(self) -> tuple[Org, Job] | None: ...
        def render_view(self) -> None: ...
        def poll_now(self, full: bool = False, org: Org | None = None) -> None: ...
        def _post_for(self, org: Org) -> Callable[[Message], object]: ...
        def _of(self, message: OrgMessage) -> Org | None: ...
        def sign_in_then(self, org: Org, then: Callable[[], object], *, asked: bool = False) -> bool: ...

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
            if not isinstance(self.screen, BoardScreen):
                return None  # a confirmation or the help over the board: greyed, as it was
            if not self.screen.OFFERS_ACTIONS:
                return False  # not offered here (past runs, a remembered job, failures, alerts): not shown
            return None if self.refusal(Action.CLOSE if action == "close_job" else Action.ABORT) else True
        if action in ("refresh", "pause"):  # polls of the dashboard's own: none when a recorder reads every org
            return not all(org.recorder for org in self.fleet)
        return True

    def on_key(self, event: Key) -> None:
        """A greyed close/abort key still says why it does nothing; so does a hidden one (every org
        read-only), where close and abort are offered: the toast names where read-only comes from,
        in the command line's words (monitor/confirm.py's read_only_refusal)."""
        active = self.screen.active_bindings.get(event.key)
        if active is not None and active.enabled:
            return
        if active is None and not (isinstance(self.screen, BoardScreen) and self.screen.OFFERS_ACTIONS):
            return  # not offered on this screen (help, a confirmation): nothing to explain
        action = ACTIONS.get(active.binding.action) if active else self._hidden_action(event.key)
        if action is not None:
            reason = self.refusal(action)
            if reason:
                chosen = self.selected()
                self._cannot(action, reason, chosen[0] if chosen else None)
                event.stop()

    def _hidden_action(self, key: str) -> Action | None:
        """The close or abort ``key`` is bound to (as the keymap has it), if the key shows nothing."""
        for binding in self.BINDINGS:
            if isinstance(binding, Binding) and binding.action in ACTIONS:
                keys = self.settings.keymap.get(binding.id or "", binding.key)
                if key in (k.strip() for k in keys.split(",")):
                    return ACTIONS[binding.action]
        return None

    def _cannot(self, action: Action, reason: str, org: Org | None) -> None:
        where = f" in {org.shown_name}" if org else ""  # the toast names the org
        say(self, f"Cannot {action.value}{where}: {reason}", severity="warning")

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
            say(self, f"Not sent to {org.shown_name}: {late}", severity="warning")
            return
        if org.service is None and org.recorder is not None:  # read through a recorder: the operator's own sign-in
            self.sign_in_then(org, lambda: self._send(org, org.state.jobs.get(job.id, job), action))
            return  # (one that cannot work was refused above: Org.refusal)
        if org.service is None or not org.state.action_sent(job.id, action):
            return  # a second confirmation for the same job sends nothing
        self.render_view()
        work = org_workers.act(org.service, job, action, self._post_for(org))
        self.run_worker(work, group=f"act-{org.key}-{job.id}", exit_on_error=False)

    def on_action_done(self, message: ActionDone) -> None:
        org = self._of(message)
        if org is None:
            return
        org.action_answered(message.job.id, message.job)
        self.fleet.refresh(org)
        where = f"{org.shown_name}: "  # every toast of an action names its org
        say(self, f"{where}Job {message.job.id}: {message.before} → {message.job.state}",
            title=f"{message.action.value.capitalize()} sent")  # fmt: skip
        self.render_view()
        self.poll_now(org=org)

    def on_action_failed(self, message: ActionFailed) -> None:
        org = self._of(message)
        if org is None:
            return
        if message.unknown:
            org.action_answered(message.job.id)  # pending until the job is read again
        else:
            org.state.action_refused(message.job.id)
        title = "Outcome unknown" if message.unknown else f"{message.action.value.capitalize()} refused"
        say(self, f"{org.shown_name}: {message.error}", title=title, severity="error", timeout=15)
        self.render_view()
        self.poll_now(org=org)
