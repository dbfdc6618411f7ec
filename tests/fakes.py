"""Stand-ins: for programs a user has installed and this machine does not (the Salesforce CLI), and
for the history store's writer (what each poll handed it, in memory)."""

from __future__ import annotations

import asyncio
import sys
import textwrap
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from sfmonitor.bulk.models import Job
from sfmonitor.simulator.server import Simulator


def fake_sf(
    tmp_path: Path, sim: Simulator, known_alias: str = "ops", default: str | None = None, token_tail: str = ""
) -> Path:
    """A stand-in for the Salesforce CLI: same arguments, same JSON envelope, redacted token
    (``token_tail``: what it adds after the token it shows, as a careless wrapper might)."""
    script = tmp_path / "bin" / "sf"
    script.parent.mkdir()
    script.write_text(
        textwrap.dedent(
            f"""\
            #!{sys.executable}
            import json, sys, urllib.request
            args = sys.argv[1:]
            if args[:2] == ["org", "list"]:
                known = {{"alias": {known_alias!r}, "username": "ops@acme.test", "instanceUrl": {sim.base_url!r},
                          "connectedStatus": "Connected", "isExpired": False}}
                gone = {{"alias": "old", "username": "old@acme.test", "isExpired": True,
                         "connectedStatus": "Connected"}}
                broken = {{"alias": "broken", "username": "b@acme.test", "connectedStatus": "RefreshTokenAuthError"}}
                print(json.dumps({{"status": 0, "result": {{"nonScratchOrgs": [known, broken], "scratchOrgs": [gone],
                                                          "other": [], "sandboxes": [], "devHubs": []}}}}))
                sys.exit(0)
            if args[:3] == ["config", "get", "target-org"]:
                value = {default!r}
                entry = {{"name": "target-org", "location": "Global", "value": value, "success": True}} if value else {{
                    "name": "target-org", "success": True}}
                print(json.dumps({{"status": 0, "result": [entry], "warnings": []}}))
                sys.exit(0)
            alias = args[args.index("--target-org") + 1]
            if alias != {known_alias!r}:
                print(json.dumps({{"status": 1, "name": "NamedOrgNotFoundError",
                                  "message": "No authorization information found for " + alias + "."}}))
                sys.exit(1)
            if args[:2] == ["org", "display"]:
                result = {{"id": "00D5g000004SIM0EAA", "instanceUrl": {sim.base_url!r}, "username": "ops@acme.test",
                          "apiVersion": "66.0",
                          "accessToken": "[REDACTED] Use 'sf org auth show-access-token' to view"}}
            elif args[:3] == ["org", "auth", "show-access-token"]:
                body = b"grant_type=refresh_token&refresh_token=r"
                with urllib.request.urlopen({sim.base_url + "/services/oauth2/token"!r}, data=body) as answer:
                    result = {{"accessToken": json.load(answer)["access_token"] + {token_tail!r}}}
            else:
                sys.exit(2)
            print(json.dumps({{"status": 0, "result": result, "warnings": []}}))
            """
        )
    )
    script.chmod(0o755)
    return script.parent


@dataclass
class MemoryWriter:
    """The store's writer in memory: what each poll handed it, and whether it was closed."""

    polls: list[tuple[str, list[Job], float]] = field(default_factory=list)
    fault: str | None = None
    closed: float | None = None
    wanted: int = 1  # ``enough`` is set once this many polls came
    enough: asyncio.Event = field(default_factory=asyncio.Event)
    fail_after: int | None = None  # the store gives up after this many polls
    on_poll: Callable[[MemoryWriter], object] | None = None  # told after each poll (a test's move)

    def poll(self, org: str, jobs: Iterable[Job], at: float) -> None:
        assert self.closed is None, "a poll handed over after close()"
        self.polls.append((org, list(jobs), at))
        if self.fail_after is not None and len(self.polls) >= self.fail_after:
            self.fault = "database disk image is malformed"
        if len(self.polls) >= self.wanted:
            self.enough.set()
        if self.on_poll is not None:
            self.on_poll(self)

    def close(self, timeout: float) -> None:
        self.closed = timeout
