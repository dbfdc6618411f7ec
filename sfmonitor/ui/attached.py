"""Orgs read through a recorder (``sfmonitor --recorder URL``, ``recorder = "…"``): each recorder's feed
followed by one worker (serve/attach.py's Link), its events applied to the org's model by the same
transitions a poll of the dashboard's own goes through (Org.fed); no poll of the org is made here.
Mixed into the app (ui/app.py).

A close, an abort or a failures read still goes to the org, with the operator's own sign-in: made
when first needed (never at start: an attached dashboard asks nothing of the org until then), the
request waiting on it; a sign-in that fails says so and sends nothing.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from datetime import datetime
from functools import partial
from typing import TYPE_CHECKING, Any

from textual.app import App
from textual.message import Message

from ..bulk.auth import SfCliAlias
from ..bulk.errors import BulkError
from ..config.connection import ConnectionOptions
from ..monitor.fleet import Fleet
from ..monitor.org import Org
from ..monitor.usual import Usuals
from ..serve.attach import Link, RecorderAddress, RemoteHistory
from ..store.memory import HistoryReader
from ..store.memory import Memory as StoreMemory
from ..text import clip, inert
from . import org_workers
from .alerting import Alerts
from .messages import OrgMessage, RecorderEvent, RecorderHello, RecorderLost, SignInFailed
from .toast import say

log = logging.getLogger(__name__)

SIGN_IN_AGAIN_S = 60.0  # a failed sign-in of the operator's own is tried again only after this (or r on failures)


def cannot_sign_in(options: ConnectionOptions) -> str | None:
    """Why an attached org's own sign-in cannot work, known without trying: a table with only
    ``recorder``, an sf alias with no sf CLI on PATH (said before a close/abort's question)."""
    try:
        source = options.token_source()
    except BulkError as exc:
        return str(exc)
    return source.unavailable() if isinstance(source, SfCliAlias) else None


class Attached(App[None]):
    if TYPE_CHECKING:  # the app's
        fleet: Fleet
        options: dict[str, ConnectionOptions]
        clock: Callable[[], datetime]
        alerts: Alerts

        def render_view(self) -> None: ...
        def _post_for(self, org: Org) -> Callable[[Message], object]: ...
        def _of(self, message: OrgMessage) -> Org | None: ...
        def read_usuals(self, org: Org, opened: str | None = None) -> None: ...

        history_memory: StoreMemory | None  # this machine's history file (None: off)

    recorders: dict[str, RecorderAddress]  # url -> where and how: the app's

    def attach(self) -> None:
        """Follow each recorder's feed, a worker each (on mount); its history answers ``h`` and the
        usual pace of the orgs it records."""
        self._links: dict[str, Link] = {}
        self._histories = {url: RemoteHistory(address) for url, address in self.recorders.items()}
        for org in self.fleet:
            if org.recorder is not None:
                org.usuals = Usuals()
                org.sign_in_refused = cannot_sign_in(self.options[org.key])
        self._waiting: dict[str, list[Callable[[], object]]] = {}  # org key -> what waits on its sign-in
        self._lost: set[str] = set()  # recorders whose loss was logged (once an episode)
        for url, address in self.recorders.items():
            link = Link(address, partial(self._hello, url), partial(self._event, url), partial(self._lost_it, url))
            self._links[url] = link
            self.run_worker(link.follow(), group=f"recorder-{url}", exit_on_error=False)

    def history_of(self, org: Org) -> HistoryReader | None:
        """Where ``org``'s past runs are read: its recorder's history, else this machine's file."""
        return self._histories[org.recorder] if org.recorder is not None else self.history_memory

    def detach(self) -> None:
        """At quit: the recorders' history connections let go (the feeds' workers end with the app)."""
        for history in self._histories.values():
            history.close()

    def _hello(self, url: str, hello: Mapping[str, Any]) -> None:
        self.post_message(RecorderHello(url, frozenset(str(org.get("org")) for org in hello["orgs"])))

    def _event(self, url: str, event: Mapping[str, Any]) -> None:
        self.post_message(RecorderEvent(url, event))

    def _lost_it(self, url: str, words: str) -> None:
        self.post_message(RecorderLost(url, words))

    def _attached(self, url: str) -> list[Org]:
        return [org for org in self.fleet if org.recorder == url]

    def on_recorder_hello(self, message: RecorderHello) -> None:
        if message.url in self._lost:
            self._lost.discard(message.url)
            log.info("recorder %s: connected again", message.url)
        recorded = ", ".join(sorted(inert(name) for name in message.orgs)) or "none"
        for org in self._attached(message.url):
            if org.remembered_as in message.orgs:
                org.recorder_back()
            else:
                org.recorder_lost(f"recorder {message.url} does not record {inert(org.remembered_as)!r} "
                                  f"(it records: {clip(recorded, 200)})", self.clock())  # fmt: skip
        self.render_view()

    def on_recorder_event(self, message: RecorderEvent) -> None:
        event = message.event
        org = next((org for org in self._attached(message.url) if org.remembered_as == event.get("org")), None)
        if org is None:
            return  # an org this dashboard does not show
        before = org.state.jobs
        try:
            update = org.replica.apply(event, self.clock())
        except (ValueError, KeyError, TypeError, IndexError, OverflowError) as exc:  # asked for whole again
            why = clip(inert(str(exc)), 200)
            log.warning("recorder %s: an event of %s not read (%s): asking for it whole", message.url,
                        inert(org.remembered_as), why)  # fmt: skip
            org.recorder_lost(f"recorder {message.url} sent what this dashboard cannot read ({why})", self.clock())
            self._links[message.url].resync()
            self.render_view()
            return
        if update is None:
            return
        org.fed(update, time.monotonic())
        self.fleet.refresh(org)
        if update.polled is not None:
            self.alerts.after_poll(org, before)
            self.read_usuals(org)
        self.render_view()

    def on_recorder_lost(self, message: RecorderLost) -> None:
        if message.url not in self._lost:  # logged once an episode, not at each try
            self._lost.add(message.url)
            log.warning("%s (trying again on its own)", message.words)
        for org in self._attached(message.url):
            org.recorder_lost(message.words, self.clock())
        self.render_view()

    # --- the operator's own sign-in, for what goes to the org ------------------------------------------

    def sign_in_then(self, org: Org, then: Callable[[], object], *, asked: bool = False) -> bool:
        """Run ``then`` once ``org`` (attached to a recorder) is signed in with this dashboard's own
        options; the first such call signs in, later ones wait with it. False (nothing tried): its
        sign-in failed a moment ago (Org.sign_in_refused), unless the operator ``asked`` again."""
        if org.sign_in_refused is not None and not (asked and not cannot_sign_in(self.options[org.key])):
            return False
        org.sign_in_refused = None
        waiting = self._waiting.setdefault(org.key, [])
        waiting.append(then)
        if len(waiting) == 1:
            say(self, f"{org.shown_name}: signing in (read through the recorder until now)…", timeout=4)
            work = org_workers.sign_in(self.options[org.key], self._post_for(org))
            self.run_worker(work, group=f"sign-in-{org.key}", exit_on_error=False)
        return True

    def signed_in(self, org: Org) -> None:
        """``org`` is signed in (Polling.on_connected): what waited on it runs now."""
        for then in self._waiting.pop(org.key, []):
            then()

    def _may_sign_in_again(self, org: Org, refused: str) -> None:
        if org.sign_in_refused == refused and not cannot_sign_in(self.options[org.key]):
            org.sign_in_refused = None  # an sf login since, a variable set: the next close or abort tries
            self.render_view()

    def on_sign_in_failed(self, message: SignInFailed) -> None:
        org = self._of(message)
        if org is None:
            return
        dropped = len(self._waiting.pop(org.key, []))
        log.warning("sign-in to %s failed: %s", inert(org.shown_name), message.error)
        org.sign_in_refused = message.error  # close, abort and failures say so at once, not after a question
        self.set_timer(SIGN_IN_AGAIN_S, lambda: self._may_sign_in_again(org, message.error))
        self.render_view()
        say(self, f"{org.shown_name}: {message.error}; nothing sent" if dropped else message.error,
            title="Sign-in failed", severity="error", timeout=15)  # fmt: skip
