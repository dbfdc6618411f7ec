"""Settings: flags > environment > remembered choices > the config file > defaults.

The config file (``sfmonitor locate config``) is the user's and is never rewritten; choices made
in the app (the theme picked with ``t``) are remembered in a separate state file.

.. code-block:: toml

    interval = 5            # seconds between polls (floor 2)
    theme = "sfmonitor-dark"
    read_only = false
    api_budget = "10%"      # sfmonitor's calls a day: a number, a share of the org's allowance, or "off"

    [history]               # what is remembered: see config/history.py
    days = 400

    [keymap]                # binding id = "keys" (comma-separated)
    abort = "A"
    close = "C"

    [orgs.prod]             # one table per org: see org_config.py
    sf_alias = "prod"
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from ..bulk.errors import ConfigError
from ..monitor.alerts import Alerter, AlertRules
from ..monitor.org import Org
from ..monitor.schedule import BACKOFF_CAP_S, Schedule, clamp_interval
from ..monitor.spend import Budget
from . import files, paths
from .alerts import parse_alerts
from .files import read_toml, shown
from .history import HistorySettings, parse_history
from .orgs import OrgConfig, history_name, parse_orgs

DEFAULT_THEME = "sfmonitor-dark"
DEFAULT_BUDGET = Budget(percent=10.0)  # bounded out of the box: a tenth of the org's daily allowance


@dataclass(frozen=True)
class Settings:
    interval: float = 5.0
    theme: str = DEFAULT_THEME
    read_only: bool = False
    keymap: dict[str, str] = field(default_factory=dict)
    api_budget: Budget | None = DEFAULT_BUDGET  # Budget(off=True): none
    orgs: dict[str, OrgConfig] = field(default_factory=dict)  # the [orgs.NAME] tables
    alerts: AlertRules = field(default_factory=AlertRules)  # [alerts]
    org_alerts: dict[str, AlertRules] = field(default_factory=dict)  # [alerts.ORG], over [alerts]
    history: HistorySettings = field(default_factory=HistorySettings)  # [history], or history = false
    flags: frozenset[str] = frozenset()  # the settings a flag gave (they win over an org's table)
    where: str = "config file"  # the file they were read from, as its errors name it

    def alerts_for(self, org: str) -> AlertRules:
        return self.org_alerts.get(org, self.alerts)


def read_file(path: Path) -> dict[str, Any]:
    """The config file's tables; {} only when nothing is at its path (see config.files)."""
    return read_toml(path, f"config file {path}") or {}


def load(
    *,
    interval: float | None = None,
    theme: str | None = None,
    read_only: bool = False,
    api_budget: str | None = None,
    on_event: str | None = None,
    no_history: bool = False,
    env: Mapping[str, str] | None = None,
    path: Path | None = None,
) -> Settings:
    """The settings in force, checked: a bad file or value is one clear ConfigError."""
    import os

    env = os.environ if env is None else env
    path = path or paths.config_file()
    data = read_file(path)
    known = {"interval", "theme", "read_only", "keymap", "api_budget", "orgs", "alerts", "history"}
    unknown = set(data) - known
    if unknown:
        raise ConfigError(
            f"config file {path}: unknown setting {shown(sorted(unknown)[0])} (known: {', '.join(sorted(known))})"
        )
    file_interval = files.interval(data.get("interval", Settings.interval), f"config file {path}")
    file_theme = data.get("theme", None)
    if file_theme is not None and not isinstance(file_theme, str):
        raise ConfigError(f"config file {path}: theme must be a name in quotes")
    file_read_only = data.get("read_only", False)
    if not isinstance(file_read_only, bool):
        raise ConfigError(f"config file {path}: read_only must be true or false")
    keymap = parse_keymap(data.get("keymap", {}), f"config file {path}")
    budget_text = api_budget if api_budget is not None else data.get("api_budget")
    if isinstance(budget_text, bool) or not isinstance(budget_text, str | int | float | None):
        raise ConfigError(f'config file {path}: api_budget is calls per day (5000), a share ("5%") or "off"')
    try:
        budget = Budget.parse(budget_text) if budget_text is not None else DEFAULT_BUDGET
    except ConfigError as exc:
        where = "--api-budget" if api_budget is not None else f"config file {path}: api_budget"
        raise ConfigError(f"{where}: {exc}") from None
    alerts, org_alerts = parse_alerts(data.get("alerts", {}), f"config file {path}", on_event)
    flagged = {"interval": interval is not None, "read_only": read_only, "api_budget": api_budget is not None}
    chosen = theme or env.get("SFMONITOR_THEME") or remembered_theme() or file_theme or DEFAULT_THEME
    return Settings(
        interval=clamp_interval(float(interval if interval is not None else file_interval)),
        theme=chosen,
        read_only=read_only or file_read_only,
        keymap=keymap,
        api_budget=budget,
        orgs=parse_orgs(data.get("orgs", {}), f"config file {path}", env),
        alerts=alerts,
        org_alerts=org_alerts,
        history=parse_history(data.get("history", {}), f"config file {path}", no_history=no_history),
        flags=frozenset(name for name, given in flagged.items() if given),
        where=f"config file {path}",
    )


def _dotted(table: dict[str, object], prefix: str = "") -> list[tuple[str, object]]:
    """The keymap's (binding id, keys) pairs: TOML reads ``confirm.yes = "j"`` as a ``confirm`` table
    holding ``yes``, so a dotted id written bare is taken as the id ``confirm.yes``, as quoted."""
    pairs: list[tuple[str, object]] = []
    for name, value in table.items():
        if isinstance(value, dict):
            pairs += _dotted(value, f"{prefix}{name}.")
        else:
            pairs.append((f"{prefix}{name}", value))
    return pairs


def parse_keymap(table: object, where: str) -> dict[str, str]:
    """``[keymap]``: binding id = "keys", comma-separated (spaces around a key dropped); whether the
    ids exist and no key does two things is the dashboard's check (ui.keys.check_keymap)."""
    example = 'as in abort = "A" or help = "question_mark,F1"'
    if not isinstance(table, dict):
        raise ConfigError(f"{where}: [keymap] is a table of binding ids and keys, {example}")
    keymap = {}
    for binding, keys in _dotted(table):
        if not isinstance(keys, str):
            raise ConfigError(f"{where}: [keymap] {shown(binding)} must be keys in quotes, {example}")
        parts = [key.strip() for key in keys.split(",")]
        if not all(parts):
            raise ConfigError(f"{where}: [keymap] {shown(binding)} has an empty key in {shown(keys)}, {example}")
        keymap[binding] = ",".join(parts)
    return keymap


def remembered_theme() -> str | None:
    try:  # read as the config file is (no waiting on a pipe, no huge file), but never an error
        data = json.loads(files.read_small(paths.state_file(), "state file") or b"null")
    except (ConfigError, ValueError, RecursionError):
        return None
    theme = data.get("theme") if isinstance(data, dict) else None
    return theme if isinstance(theme, str) else None


def remember_theme(name: str) -> None:
    """Persist the theme chosen in the app; a failure to write is not worth a crash."""
    try:
        target = paths.private_file(paths.state_file())
        target.write_text(json.dumps({"theme": name}))
    except OSError:
        pass


@dataclass(frozen=True)
class OrgRules:
    """How one org is watched and acted on."""

    interval: float
    api_budget: Budget | None
    read_only: bool
    read_only_why: str | None  # why, in words, unless it is the --read-only flag


def _read_only_why(org: OrgConfig, settings: Settings) -> str | None:
    """Where read-only comes from, in words (None: the --read-only flag, or not read-only)."""
    if settings.read_only:
        return None if "read_only" in settings.flags else "read_only = true at the top of the config file"
    return f"read_only is set in its [orgs.{org.table or org.name}] table" if org.read_only else None


def in_force(org: OrgConfig, settings: Settings, pace: float | None = None) -> OrgRules:
    """The one rule for an org's interval, API budget and read-only, used by the dashboard and the
    command line alike: a flag wins over the org's ``[orgs.NAME]`` table, which wins over the file's
    top level, then the defaults (``settings`` holds the flags over the file). Read-only by any of
    them stays read-only. ``pace``: the interval to fall back on instead of the settings' (a test's)."""
    flagged = settings.flags
    fallback = settings.interval if pace is None else pace
    return OrgRules(
        interval=settings.interval if "interval" in flagged else (org.interval or fallback),
        api_budget=settings.api_budget if "api_budget" in flagged else (org.api_budget or settings.api_budget),
        read_only=settings.read_only or org.read_only,
        read_only_why=_read_only_why(org, settings),
    )


def org_model(target: OrgConfig, settings: Settings, schedule: Schedule | None = None, *, single: bool) -> Org:
    """The model of one org to watch or record, its rules in force (``in_force``). ``schedule``: one
    org's (a test's pace; ``single``: the only org watched), else each org's own from its interval."""

    resolved = target.options.resolved()
    rules = in_force(target, settings, pace=schedule.interval if schedule else None)
    if schedule is None or not single:
        schedule = Schedule(rules.interval, cap=schedule.cap if schedule else BACKOFF_CAP_S)
    schedule.budget = rules.api_budget
    return Org(
        schedule,
        key=target.name,
        remembered_as=history_name(target, resolved),
        name=urlsplit(resolved.instance_url or "").hostname or (resolved.target_org or "org"),
        target=resolved.instance_url or (f"sf org {resolved.target_org!r}" if resolved.target_org else "the org"),
        read_only=rules.read_only,
        read_only_why=rules.read_only_why,
        label=target.label or None,
        colour=target.colour,
        production=target.production,
        alerter=Alerter(settings.alerts_for(target.name)),
        recorder=target.recorder,
    )
