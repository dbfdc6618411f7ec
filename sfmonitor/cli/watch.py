"""``sfmonitor [watch]``: everything that can be checked before the screen is taken, then the dashboard."""

from __future__ import annotations

import argparse
import os
import sys
from dataclasses import replace
from typing import TYPE_CHECKING

from ..bulk.errors import (
    ConfigError,
)
from ..config import settings as config
from ..config.orgs import OrgConfig, history_name
from .exits import ExitCode, fail
from .targets import orgs_of

if TYPE_CHECKING:
    from ..config.history import HistorySettings
    from ..serve.attach import RecorderAddress
    from ..ui.remembering import HistoryOptions

ORG_VARIABLES = ("SF_INSTANCE_URL", "SF_ACCESS_TOKEN", "SF_TARGET_ORG")


def cmd_watch(args: argparse.Namespace) -> int:
    from ..serve.attach import RecorderError, RecorderRefused

    try:
        every = getattr(args, "recorder", None) and not (args.target_org or args.all_orgs)  # every org it records
        orgs = recorded(args) if every else orgs_of(args)
    except ConfigError as exc:
        return fail(str(exc), ExitCode.USAGE)
    except RecorderRefused as exc:
        return fail(str(exc), ExitCode.CONNECT)
    except RecorderError as exc:
        return fail(f"{exc}; name the orgs (-o NAME) to start anyway and wait for it", ExitCode.CONNECT)
    return run_dashboard(orgs, args)


def recorded(args: argparse.Namespace) -> list[OrgConfig]:
    """The orgs ``--recorder`` records, asked of it, in its order. Each signs in (for close, abort,
    failures) as the org of the flags or environment does when it is that org (the same history
    name), else as the config file's table of that name says, else as the sf CLI alias of that name."""
    from ..serve.attach import recorded_orgs, recorder_address

    address = recorder_address(args.recorder, args.recorder_token_file)
    names = recorded_orgs(address)
    if not names:
        raise ConfigError(f"the recorder at {address.url} records no org yet")
    own: dict[str, OrgConfig] = {}
    if args.instance_url or args.access_token or any(os.environ.get(name) for name in ORG_VARIABLES):
        [flags_org] = orgs_of(args)  # resolved: its history name is the one the recorder would give it
        name = history_name(flags_org, flags_org.options)
        own[name] = replace(flags_org, label=flags_org.label or name)  # shown by the recorder's name for it
    args.target_org = [name for name in names if name not in own]
    named = {org.name: org for org in orgs_of(args)} if args.target_org else {}
    return [own.get(name) or named[name] for name in names]


def recorders_of(orgs: list[OrgConfig], args: argparse.Namespace) -> tuple[list[OrgConfig], dict[str, RecorderAddress]]:
    """Each org read through a recorder (``--recorder`` for every org, else its table's ``recorder``),
    and each recorder's address checked (http only on loopback) with its token read: a ConfigError."""
    from ..serve.attach import recorder_address

    flag = getattr(args, "recorder", None)
    every = recorder_address(flag, args.recorder_token_file) if flag else None  # its token file read once
    addresses: dict[str, RecorderAddress] = {}
    out = []
    for org in orgs:
        if every is not None:
            address = every
        elif org.recorder:
            where = f"[orgs.{org.table or org.name}] recorder"
            address = recorder_address(org.recorder, org.recorder_token_file, where=where)
        else:
            out.append(org)
            continue
        addresses.setdefault(address.url, address)
        out.append(replace(org, recorder=address.url))
    return out, addresses


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
        orgs, recorders = recorders_of(orgs, args)
        if len(orgs) == 1 and not recorders:  # read through a recorder: signed in when first needed
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
    attached = all(org.recorder for org in orgs)  # the recorder keeps their history
    history = None if attached else history_options(settings.history)
    app = SfMonitorApp(orgs, settings, history=history, recorders=recorders)  # each org's interval, budget…
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
