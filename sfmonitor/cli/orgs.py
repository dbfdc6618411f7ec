"""``sfmonitor orgs``: the orgs of the config file and those the sf CLI knows, each tried for sign-in.

Sign-ins run in parallel; one that cannot sign in says why and costs the others nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import sys
import textwrap
from dataclasses import dataclass

from ..bulk.errors import ApiError, AuthError, BulkError, ConfigError, ProtocolError
from ..config import settings as config
from ..config.connection import ConnectionOptions, new_service
from ..config.orgs import OrgConfig
from ..text import clip, inert, pad
from .exits import ExitCode, fail, run
from .targets import orgs_of

SIGN_IN_TIMEOUT_S = 60.0


@dataclass(frozen=True)
class OrgEntry:
    name: str
    origin: str  # "config" | "sf CLI"
    sign_in: str
    options: ConnectionOptions


@dataclass(frozen=True)
class SignIn:
    entry: OrgEntry
    ok: bool
    detail: str  # "ops@acme.test at https://…" or why not
    signed_in: bool = False  # not ok, but the org answered: who the token is was not read (say why)

    @property
    def status(self) -> str:
        head = "ok: " if self.ok else ("user not read: " if self.signed_in else "cannot sign in: ")
        return head + self.detail


async def discovered(executable: str = "sf") -> tuple[list[OrgEntry], str]:
    """Connected, unexpired orgs from ``sf org list --json``; and "" or why none could be listed."""
    exe = shutil.which(executable)
    if exe is None:
        return [], "the sf CLI is not on PATH (orgs of the config file only)"
    pipe = asyncio.subprocess.PIPE
    proc = await asyncio.create_subprocess_exec(
        exe, "org", "list", "--json", stdin=asyncio.subprocess.DEVNULL, stdout=pipe, stderr=pipe
    )
    try:
        out, _ = await asyncio.wait_for(proc.communicate(), timeout=SIGN_IN_TIMEOUT_S)
        envelope = json.loads(out.decode("utf-8", "replace"))
    except (TimeoutError, ValueError):
        return [], "sf org list gave no answer"
    result = envelope.get("result") if isinstance(envelope, dict) else None
    if not isinstance(result, dict):
        return [], "sf org list gave no orgs"
    entries: dict[str, OrgEntry] = {}
    for group in result.values():
        for org in group if isinstance(group, list) else []:
            if not isinstance(org, dict) or org.get("isExpired") is True:
                continue
            status = org.get("connectedStatus")
            if isinstance(status, str) and status not in ("Connected", "Unknown"):
                continue
            alias, username = org.get("alias"), org.get("username")
            name = alias if isinstance(alias, str) and alias else username
            if isinstance(name, str) and name and name not in entries:
                entries[name] = OrgEntry(name, "sf CLI", f"sf CLI org {name!r}", ConnectionOptions(target_org=name))
    return list(entries.values()), ""


def configured(orgs: dict[str, OrgConfig]) -> list[OrgEntry]:
    return [OrgEntry(o.name, "config", o.sign_in, o.options) for o in orgs.values()]


async def try_sign_in(entry: OrgEntry) -> SignIn:
    """Sign in (a renewing source asks its token endpoint) and ask the org who the token belongs to:
    one request (``userinfo``), which also proves the org accepts the token. A token the org refuses
    cannot sign in; a userinfo that fails otherwise is "user not read", with why."""
    try:
        service = new_service(entry.options)
    except BulkError as exc:
        return SignIn(entry, False, str(exc))
    where = ""
    try:
        async with asyncio.timeout(SIGN_IN_TIMEOUT_S):
            session = await service.transport.open()
            where = f"at {session.instance_url}"
            who = await service.signed_in_as()
        said = session.username  # the sf CLI's or the JWT's user: the org's word is shown, a difference noted
        note = f" (its sign-in names {said})" if said and said.lower() != who.lower() else ""
        return SignIn(entry, True, f"{who} {where}{note}")
    except (AuthError, ConfigError) as exc:
        return SignIn(entry, False, str(exc))
    except ApiError as exc:
        if exc.status in (401, 403):
            return SignIn(entry, False, f"the org refused the token ({exc}) {where}")
        return SignIn(entry, False, f"{exc} ({where})", signed_in=True)
    except ProtocolError as exc:  # it answered, with no user in words this program reads
        return SignIn(entry, False, f"{exc} ({where})", signed_in=True)
    except BulkError as exc:  # no answer
        return SignIn(entry, False, f"{exc}")
    except TimeoutError:
        return SignIn(entry, False, f"no answer within {SIGN_IN_TIMEOUT_S:g} s")
    finally:
        await service.transport.aclose()


async def sign_in_all(entries: list[OrgEntry]) -> list[SignIn]:
    return list(await asyncio.gather(*(try_sign_in(e) for e in entries)))


STATUS_AT = 60  # the cells before the STATUS column


def table(results: list[SignIn], note: str, width: int | None = 120) -> str:
    """One row an org. ``width`` None (output not a terminal): nothing clipped. On a terminal the
    columns fit ``width``, but the status (why an org cannot sign in) is never cut: what does not fit
    goes on the next lines, under the column."""
    lines = [f"{'ORG':<16} {'FROM':<7} {'SIGNS IN WITH':<34} STATUS"]
    for r in results:
        name, how, status = inert(r.entry.name), inert(r.entry.sign_in), inert(r.status)
        if width is None:
            lines.append(f"{pad(name, 16)} {r.entry.origin:<7} {pad(how, 34)} {status}")
            continue
        room = max(20, width - STATUS_AT)
        first, *rest = textwrap.wrap(status, room, break_on_hyphens=False) or [""]
        lines.append(f"{pad(clip(name, 16), 16)} {r.entry.origin:<7} {pad(clip(how, 34), 34)} {first}")
        lines.extend(" " * STATUS_AT + more for more in rest)
    if not results:
        lines.append("(no orgs: add [orgs.NAME] tables to the config file, or log in with sf org login web)")
    if note:
        lines.append(f"note: {note}")
    return "\n".join(lines)


def _named(args: argparse.Namespace) -> list[OrgEntry]:
    """The orgs ``-o`` names, as every command takes them (a config table's name, else an sf alias)."""
    tables = config.load().orgs
    return [OrgEntry(o.name, "config" if o.name in tables else "sf CLI", o.sign_in, o.options) for o in orgs_of(args)]


def cmd_orgs(args: argparse.Namespace) -> int:
    """Every org known (config tables, then the sf CLI's), or those ``-o`` names, each tried for sign-in."""
    named: list[OrgEntry] | None = None
    if args.target_org:
        try:
            named = _named(args)
        except ConfigError as exc:
            return fail(str(exc), ExitCode.USAGE)

    async def body() -> int:
        found, note = await discovered()
        if named is None:
            settings = config.load()
            entries = configured(settings.orgs) + [e for e in found if e.name not in set(settings.orgs)]
        results = await sign_in_all(entries if named is None else named)
        width = shutil.get_terminal_size((120, 24)).columns if sys.stdout.isatty() else None
        print(table(results, note, width))
        good = sum(r.ok for r in results)
        if not results or good == 0:
            return ExitCode.CONNECT
        return ExitCode.OK if good == len(results) else ExitCode.PARTIAL

    return run(body)
