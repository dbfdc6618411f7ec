"""``sfmonitor [watch]``: everything that can be checked before the screen is taken, then the dashboard."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from ..bulk.errors import (
    ConfigError,
)
from ..config import settings as config
from ..config.orgs import OrgConfig
from .exits import ExitCode, fail
from .targets import orgs_of

if TYPE_CHECKING:
    from ..config.history import HistorySettings
    from ..ui.remembering import HistoryOptions


def cmd_watch(args: argparse.Namespace) -> int:
    try:
        orgs = orgs_of(args)
    except ConfigError as exc:
        return fail(str(exc), ExitCode.USAGE)
    return run_dashboard(orgs, args)


def run_dashboard(orgs: list[OrgConfig], args: argparse.Namespace) -> int:
    """Check everything that can be checked before the screen is taken, then run the app. With
    several orgs, one that cannot sign in is shown as such; the others run."""
    from ..ui.app import SfMonitorApp
    from ..ui.keys import check_keymap

    try:
        settings = config.load(
            interval=args.interval,
            theme=args.theme,
            read_only=args.read_only,
            api_budget=args.api_budget,
            on_event=args.on_event,
            no_history=args.no_history,
        )
        check_keymap(settings.keymap, settings.where)
        if len(orgs) == 1:
            resolved = orgs[0].options.resolved()
            resolved.token_source()
            resolved.verify()
    except ConfigError as exc:
        return fail(str(exc), ExitCode.USAGE)
    for name, stream in (("input", sys.stdin), ("output", sys.stdout)):
        if stream is None or not stream.isatty():
            return fail(
                f"the dashboard needs a terminal, and its {name} is not one; "
                "for a snapshot in a script or a pipe use: sfmonitor status",
                ExitCode.USAGE,
            )
    app = SfMonitorApp(orgs, settings, history=history_options(settings.history))  # each org's interval, budget…
    app.run()
    return app.return_code or ExitCode.OK


def history_options(history: HistorySettings) -> HistoryOptions | None:
    """The dashboard's history file and retention, or None when history is off (--no-history,
    ``history = false``): nothing recorded, nothing remembered, no usual pace."""
    from ..store.recording import Retention
    from ..ui.remembering import HistoryOptions

    if history.off is not None:
        return None
    return HistoryOptions(history.path, Retention(days=history.days, max_bytes=history.max_bytes))
