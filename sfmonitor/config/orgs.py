"""The config file's ``[orgs.NAME]`` tables: how each org signs in, and how it is shown and watched.

.. code-block:: toml

    [orgs.prod]                     # sign in through the sf CLI
    sf_alias = "prod"
    label = "PROD"
    colour = "red"
    read_only = true
    production = true               # else asked of the org (Organization.IsSandbox)

    [orgs.uat]                      # an instance URL and a token from the environment
    instance_url = "https://acme--uat.sandbox.my.salesforce.com"
    token_env = "UAT_TOKEN"
    interval = 10
    api_budget = "2%"

    [orgs.integration]              # OAuth 2.0 client credentials: no sf CLI needed
    instance_url = "https://acme--int.sandbox.my.salesforce.com"
    client_id = "3MVG9…"
    client_secret_env = "INT_SECRET"        # or client_secret_file = "~/.secrets/int"

    [orgs.ops]                      # JWT bearer: a connected app's key, for jump hosts
    client_id = "3MVG9…"
    username = "ops@acme.com"
    private_key_file = "~/.keys/ops.key"
    login_url = "https://login.salesforce.com"   # test.salesforce.com for sandboxes

Secrets never sit in the file: tokens and client secrets come from the environment or a file.
``token_env``/``client_secret_env`` must name a variable; a value that is not a variable's name (a
pasted secret, say) is refused without being shown. A token or secret is cleaned as
``bulk.auth.clean_secret`` says (whitespace around it dropped; any other control character: that
org's error, never showing the value).
A mistake in a table is a ConfigError for the whole file; a secret that cannot be had (its variable
unset, its file unreadable) is that org's error only (``ConnectionOptions.unusable``), raised when it
signs in, so the other orgs are watched.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from ..bulk.auth import clean_secret, read_secret_file
from ..bulk.errors import AuthError, ConfigError
from ..monitor.schedule import clamp_interval
from ..monitor.spend import Budget
from . import files
from .connection import DEFAULT_LOGIN_URL, ConnectionOptions
from .files import shown

KEYS = frozenset({
    "sf_alias", "instance_url", "token_env", "client_id", "client_secret_env", "client_secret_file", "username",
    "private_key_file", "login_url", "label", "colour", "read_only", "production", "interval", "api_budget",
    "recorder", "recorder_token_file",
})  # fmt: skip


@dataclass(frozen=True)
class OrgConfig:
    name: str
    label: str
    options: ConnectionOptions
    sign_in: str  # how it signs in, in words (never the secret)
    colour: str | None = None
    read_only: bool = False
    production: bool | None = None  # None: ask the org
    interval: float | None = None
    api_budget: Budget | None = None
    table: str | None = None  # the [orgs.NAME] table its rules come from, when it is named otherwise
    secret_env: tuple[str, ...] = ()  # the variables its token_env/client_secret_env name (never passed on)
    recorder: str | None = None  # read through this recorder (sfmonitor record --listen), not polled
    recorder_token_file: str | None = None  # the bearer token that recorder asks for


def history_name(org: OrgConfig, resolved: ConnectionOptions) -> str:
    """The name the history file keeps an org's jobs under: its config name or sf alias (``-o``);
    for the org of the flags or environment, the [orgs] table it stands for, else its sf alias, else
    its instance's host (``resolved``: its options resolved), so one org is one history however named."""
    from urllib.parse import urlsplit

    host = urlsplit(resolved.instance_url or "").hostname
    return org.name or org.table or resolved.target_org or host or "org"


def table_for(
    configured: Mapping[str, OrgConfig],
    name: str | None = None,
    *,
    target_org: str | None = None,
    instance_url: str | None = None,
) -> OrgConfig | None:
    """The config-file org a name, an sf alias or an instance URL stands for: a table's own name first,
    then the table whose ``sf_alias`` or ``instance_url`` it is (so its read_only, production, label
    and colour hold however the org is named)."""
    if name is not None and name in configured:
        return configured[name]
    alias = target_org or name
    url = (instance_url or "").rstrip("/").lower()
    for org in configured.values():
        if alias and org.options.target_org == alias:
            return org
        if url and (org.options.instance_url or "").rstrip("/").lower() == url:
            return org
    return None


def parse_orgs(tables: Any, where: str, env: Mapping[str, str] | None = None) -> dict[str, OrgConfig]:
    """Every ``[orgs.NAME]`` table, checked: a mistake is one ConfigError naming the org and the key."""
    env = os.environ if env is None else env
    if not isinstance(tables, dict):
        raise ConfigError(f"{where}: orgs are tables, as in [orgs.prod]")
    out = {}
    for name, table in tables.items():
        if not name.strip():
            raise ConfigError(f'{where}: [orgs.""]: an org needs a name, as in [orgs.prod]')
        if not isinstance(table, dict):
            raise ConfigError(f"{where}: [orgs.{name}] must be a table")
        out[name] = _org(name, table, f"{where}: [orgs.{name}]", env)
    _one_table_per_org(out.values(), where)
    return out


def _one_table_per_org(orgs: Iterable[OrgConfig], where: str) -> None:
    """Two tables for one org (the same sf_alias, or the same instance_url) may watch it twice, but
    must agree on read_only and production: reached by its alias or URL, the first table's rules
    hold, and the order of the file must not decide whether close and abort are refused."""
    seen: dict[tuple[str, str], OrgConfig] = {}
    for org in orgs:
        alias, url = org.options.target_org or "", (org.options.instance_url or "").rstrip("/").lower()
        for key, value in (("sf_alias", alias), ("instance_url", url)):
            first = seen.setdefault((key, value), org) if value else org
            for flag in ("read_only", "production"):
                if getattr(first, flag) != getattr(org, flag):
                    raise ConfigError(
                        f"{where}: [orgs.{first.name}] and [orgs.{org.name}] are one org (the same {key} "
                        f"{shown(value)}) but disagree on {flag}; give both the same {flag}, or keep one table"
                    )


def _text(table: Mapping[str, Any], key: str, where: str) -> str | None:
    value = table.get(key)
    if value is not None and (not isinstance(value, str) or not value.strip()):
        raise ConfigError(f"{where}: {key} must be text in quotes")
    return value.strip() if isinstance(value, str) else None


def _org(name: str, table: Mapping[str, Any], where: str, env: Mapping[str, str]) -> OrgConfig:
    unknown = set(table) - KEYS
    if unknown:
        raise ConfigError(f"{where}: unknown key {shown(sorted(unknown)[0])} (known: {', '.join(sorted(KEYS))})")
    text = {key: _text(table, key, where) for key in KEYS if key not in ("read_only", "production", "interval",
                                                                         "api_budget")}  # fmt: skip
    for flag in ("read_only", "production"):
        if flag in table and not isinstance(table[flag], bool):
            raise ConfigError(f"{where}: {flag} must be true or false")
    interval = table.get("interval")
    if interval is not None:
        interval = files.interval(interval, where)
    budget_text = table.get("api_budget")
    try:
        budget = Budget.parse(budget_text) if budget_text is not None else None
    except ConfigError as exc:
        raise ConfigError(f"{where}: api_budget: {exc}") from None
    colour = text["colour"]
    if colour is not None and not _is_colour(colour):
        raise ConfigError(f"{where}: colour {shown(colour)} is not a colour (a name such as red, or #rrggbb)")
    for key in ("token_env", "client_secret_env"):
        check_variable_name(text[key], key, where)
    options, sign_in = _sign_in(text, where, env, f"[orgs.{name}]")
    token_file = text["recorder_token_file"]
    if token_file is not None:
        token_file = str(files.expand_home(token_file, f"{where}: recorder_token_file"))
    return OrgConfig(
        name=name,
        label=text["label"] or name,
        options=options,
        sign_in=sign_in,
        colour=colour,
        read_only=bool(table.get("read_only", False)),
        production=table.get("production"),
        interval=clamp_interval(float(interval)) if interval is not None else None,
        api_budget=budget,
        secret_env=tuple(v for v in (text["token_env"], text["client_secret_env"]) if v),
        recorder=text["recorder"],
        recorder_token_file=token_file,
    )


# The sixteen ANSI names would go through the theme's terminal palette, where red and magenta can
# come out the same; an org's colour must tell orgs apart, so a name is a fixed hue.
ORG_HUES = {
    "black": "#6e6e6e", "red": "#e5484d", "green": "#46a758", "yellow": "#e2c541", "blue": "#3e8ef7",
    "magenta": "#c355d8", "cyan": "#17b5c8", "white": "#e8e8e8",
}  # fmt: skip


def org_colour(colour: str | None) -> str | None:
    """The colour an org's label, chip and confirmation are drawn in (``bright_red`` is ``red``)."""
    if not colour:
        return None
    name = colour.lower().removeprefix("bright_").removeprefix("ansi_")
    return ORG_HUES.get(name, colour)


_HEX = re.compile(r"#(?:[0-9a-fA-F]{3}){1,2}")


def _is_colour(text: str) -> bool:
    """A hue name (``red``, ``bright_cyan``…) or ``#rrggbb``/``#rgb``."""
    name = text.lower().removeprefix("bright_").removeprefix("ansi_")
    return name in ORG_HUES or _HEX.fullmatch(text) is not None


def _sign_in(
    text: Mapping[str, str | None], where: str, env: Mapping[str, str], org: str
) -> tuple[ConnectionOptions, str]:
    """How the org signs in; ``org`` (``[orgs.NAME]``) heads a secret's absence, which is that org's
    error only (``where``, the file's and the table's names, heads a mistake in the table)."""
    alias, url, client_id = text["sf_alias"], text["instance_url"], text["client_id"]
    if alias:
        return ConnectionOptions(target_org=alias), f"sf CLI org {alias!r}"
    if client_id and (text["username"] or text["private_key_file"]):
        if not (text["username"] and text["private_key_file"]):
            raise ConfigError(f"{where}: the JWT bearer flow needs client_id, username and private_key_file")
        key = str(files.expand_home(text["private_key_file"] or "", f"{where}: private_key_file"))
        login = text["login_url"] or DEFAULT_LOGIN_URL
        options = ConnectionOptions(client_id=client_id, jwt_username=text["username"], jwt_key_file=key,
                                    login_url=login, instance_url=url)  # fmt: skip
        return options, f"JWT bearer for {text['username']} at {login}"
    if client_id:
        if not url:
            raise ConfigError(f"{where}: client credentials need the org's instance_url")
        secret, missing = _secret(text, where, env, org)
        options = ConnectionOptions(instance_url=url, client_id=client_id, client_secret=secret, unusable=missing)
        return options, "client credentials"
    if url:
        variable = text["token_env"]
        if not variable:
            raise ConfigError(f"{where}: instance_url needs token_env (the variable holding the access token)")
        token, missing = _from_env(env, variable, org, "the access token")
        return ConnectionOptions(instance_url=url, access_token=token, unusable=missing), f"token from ${variable}"
    if text["recorder"]:  # read through a recorder, and nothing sent to the org from here
        why = f"{org} says no sign-in (only recorder): close, abort and failures need one of its sign-in keys"
        return ConnectionOptions(unusable=why), "none (read through its recorder)"
    raise ConfigError(f"{where}: say how it signs in: sf_alias, instance_url + token_env, client credentials "
                      "(instance_url, client_id, client_secret_env or client_secret_file) or JWT bearer "
                      "(client_id, username, private_key_file)")  # fmt: skip


def _secret(
    text: Mapping[str, str | None], where: str, env: Mapping[str, str], org: str
) -> tuple[str | None, str | None]:
    """The client secret, or why it cannot be had (an unset variable, an unreadable file: that org's
    error only, reported when it signs in; the other orgs go on)."""
    variable, file = text["client_secret_env"], text["client_secret_file"]
    if variable:
        return _from_env(env, variable, org, "the client secret")
    if file:
        try:
            path = files.expand_home(file, f"{where}: client_secret_file")
            content = read_secret_file(str(path), "client_secret_file")
        except AuthError as exc:  # open to others, not a regular file, unreadable: never its content
            return None, f"{org}: {exc}"
        try:
            secret = clean_secret(content.decode(), f"{org}: the client secret in {file}")
        except UnicodeDecodeError:
            return None, f"{org}: client_secret_file {file} is not text (UTF-8)"
        except ConfigError as exc:
            return None, str(exc)
        return (secret, None) if secret else (None, f"{org}: client_secret_file {file} is empty")
    raise ConfigError(f"{where}: client credentials need client_secret_env or client_secret_file (never the secret)")


_VARIABLE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_LOOKS_SECRET = re.compile(r"(?=.*[0-9])[A-Za-z0-9]{32,}")  # long, no underscore, digits: a pasted key


def check_variable_name(variable: str | None, key: str, where: str) -> None:
    """``token_env``/``client_secret_env`` name a variable; a value that cannot be a variable's name,
    or that looks like a pasted secret, is refused without being shown (it may be the secret itself)."""
    if variable is None:
        return
    if _VARIABLE.fullmatch(variable) is None or _LOOKS_SECRET.fullmatch(variable) is not None:
        raise ConfigError(
            f"{where}: {key} must be the NAME of an environment variable (letters, digits and _, not starting "
            "with a digit), such as UAT_TOKEN, and the secret goes in that variable; what is there is not a "
            "variable name, so it is not shown (if it is the secret itself, take it out of the file)"
        )


def secret_variables(orgs: Iterable[OrgConfig]) -> frozenset[str]:
    """Every variable an org's ``token_env``/``client_secret_env`` names: what a program sfmonitor
    starts (``--on-event``) must not inherit, beside ``SF_ACCESS_TOKEN``."""
    return frozenset(name for org in orgs for name in org.secret_env)


def _from_env(env: Mapping[str, str], variable: str, org: str, noun: str) -> tuple[str | None, str | None]:
    """A token or secret from the environment, cleaned; or why not (that org's error only)."""
    try:
        value = clean_secret(env.get(variable, ""), f"{org}: {noun} in ${variable}")
    except ConfigError as exc:
        return None, str(exc)
    return (value, None) if value else (None, f"{org}: the environment has no {variable} ({noun}), or it is empty")
