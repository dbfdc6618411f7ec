"""The config file's ``[alerts]`` table, and ``[alerts.ORG]`` tables over it for one org:

[alerts]
events = ["ended", "batch_failed", "stalled", "failures", "waiting"]   # the default; "slow" is asked for
bell = true
desktop = "auto"            # auto | osc9 | osc777 | osc99 | off
min_duration = "2m"         # quicker jobs do not alert
failures_at = 1000          # failed records that make an alert
on_event = ["/usr/local/bin/notify-slack", "--channel", "loads"]   # or one string, split as a shell would
on_event_timeout = 10

[alerts.dev]                # the org "dev": only its failures
events = ["failures", "batch_failed"]
bell = false
"""

from __future__ import annotations

import shlex
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from ..bulk.errors import ConfigError
from ..monitor.alerts import DESKTOP_KINDS, EVENTS, AlertRules
from ..numbers import parse_duration
from .files import shown

KEYS = {"events", "bell", "desktop", "min_duration", "failures_at", "on_event", "on_event_timeout"}


def command(value: object, where: str) -> tuple[str, ...]:
    if isinstance(value, str):
        try:
            argv = tuple(shlex.split(value))
        except ValueError as exc:
            raise ConfigError(f"{where}: {exc}") from None
    elif isinstance(value, list) and all(isinstance(v, str) for v in value):
        argv = tuple(value)
    else:
        raise ConfigError(f"{where}: give a command, as a string or a list of strings")
    if not argv:
        raise ConfigError(f"{where}: the command is empty")
    return argv


def _seconds(value: object, where: str) -> float:
    try:
        return parse_duration(str(value))
    except ValueError as exc:
        raise ConfigError(f"{where}: {exc}") from None


def _rules(table: Mapping[str, Any], base: AlertRules, where: str) -> AlertRules:
    unknown = set(table) - KEYS
    if unknown:
        raise ConfigError(f"{where}: unknown key {shown(sorted(unknown)[0])} (known: {', '.join(sorted(KEYS))})")
    rules = base
    if "events" in table:
        events = table["events"]
        if not isinstance(events, list) or not all(isinstance(e, str) and e in EVENTS for e in events):
            raise ConfigError(f"{where}: events is a list of {', '.join(EVENTS)}")
        rules = replace(rules, events=frozenset(events))
    if "bell" in table:
        if not isinstance(table["bell"], bool):
            raise ConfigError(f"{where}: bell is true or false")
        rules = replace(rules, bell=table["bell"])
    if "desktop" in table:
        if table["desktop"] not in DESKTOP_KINDS:
            raise ConfigError(f"{where}: desktop is one of {', '.join(DESKTOP_KINDS)}")
        rules = replace(rules, desktop=table["desktop"])
    if "min_duration" in table:
        rules = replace(rules, min_duration_s=_seconds(table["min_duration"], f"{where}: min_duration"))
    if "on_event_timeout" in table:
        rules = replace(rules, on_event_timeout_s=_seconds(table["on_event_timeout"], f"{where}: on_event_timeout"))
    if "failures_at" in table:
        value = table["failures_at"]
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ConfigError(f"{where}: failures_at is a number of failed records (1 or more)")
        rules = replace(rules, failures_at=value)
    if "on_event" in table:
        rules = replace(rules, on_event=command(table["on_event"], f"{where}: on_event"))
    return rules


def parse_alerts(
    table: object, where: str, on_event_flag: str | None = None
) -> tuple[AlertRules, dict[str, AlertRules]]:
    """The rules for every org, and the orgs whose own table changes them. ``--on-event`` wins."""
    if not isinstance(table, dict):
        raise ConfigError(f"{where}: [alerts] is a table")
    own = {k: v for k, v in table.items() if not isinstance(v, dict)}
    rules = _rules(own, AlertRules(), f"{where} [alerts]")
    if on_event_flag is not None:
        rules = replace(rules, on_event=command(on_event_flag, "--on-event"))
    per_org = {
        name: _rules(sub, rules, f"{where} [alerts.{name}]") for name, sub in table.items() if isinstance(sub, dict)
    }
    return rules, per_org
