"""Where the access token comes from: a static token, or the Salesforce CLI's stored auth.

A token is a :class:`Secret`: it prints as ``****`` so it cannot leak through a log line, a
traceback's locals or an error message by accident. Only the transport reveals it, into a header.
"""

from __future__ import annotations

import asyncio
import ipaddress
import json
import shutil
import ssl
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import urlsplit

from .errors import AuthError, ConfigError


class Secret:
    """A string that will not print itself."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "Secret('****')"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)

    def __bool__(self) -> bool:
        return bool(self._value)


@dataclass(frozen=True)
class OrgSession:
    """What a request needs: where the org is and the token to show it."""

    instance_url: str
    access_token: Secret
    username: str | None = None
    api_version: str | None = None


class TokenSource(Protocol):
    """Gives a session, and a fresh one when the org says the old token expired."""

    description: str

    async def session(self) -> OrgSession: ...

    async def renew(self) -> OrgSession: ...


def is_loopback(host: str) -> bool:
    if host.lower() in ("localhost", "localhost.localdomain"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_instance_url(url: str) -> str:
    """The instance URL without a trailing slash; ``http://`` is accepted for loopback hosts only."""
    parts = urlsplit(url.strip())
    if "@" in parts.netloc:  # user:password@host would travel as Basic auth in place of the token
        raise ConfigError(
            f"the instance URL for {parts.hostname or 'the org'} carries a user name or password (…@host); "
            "give only https://host: sfmonitor signs in with the access token"
        )
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(f"the instance URL {url!r} is not an http(s) URL such as https://example.my.salesforce.com")
    if parts.scheme == "http" and not is_loopback(parts.hostname):
        raise ConfigError(
            f"refusing plain http:// to {parts.hostname}: the token would cross the network unencrypted; "
            "use https:// (plain http is allowed for loopback addresses only)"
        )
    return f"{parts.scheme}://{parts.netloc}"


class StaticToken:
    """``--instance-url`` / ``--access-token``: cannot be renewed when it expires."""

    description = "access token"

    def __init__(self, instance_url: str, token: str, api_version: str | None = None) -> None:
        if not token:
            raise ConfigError("no access token: pass --access-token or set SF_ACCESS_TOKEN (or use --target-org)")
        self._session = OrgSession(check_instance_url(instance_url), Secret(token), None, api_version)

    async def session(self) -> OrgSession:
        return self._session

    async def renew(self) -> OrgSession:
        raise AuthError(
            "the access token has expired (the org answered INVALID_SESSION_ID); get a new one, "
            "or use --target-org ALIAS so sfmonitor can renew it through the sf CLI"
        )


class ClientCredentials:
    """OAuth 2.0 client-credentials flow against the org's own token endpoint; renews by asking again.

    The demo uses it against the simulator, so a token that expires (``--faults expire-after``) is
    renewed as a real integration would renew it.
    """

    def __init__(self, instance_url: str, client_id: str, client_secret: str, verify: bool | str = True) -> None:
        self.instance_url = check_instance_url(instance_url)
        self._form = {"grant_type": "client_credentials", "client_id": client_id, "client_secret": client_secret}
        self._verify = verify
        self.description = f"client credentials at {self.instance_url}"
        self._current: OrgSession | None = None

    async def session(self) -> OrgSession:
        if self._current is None:
            self._current = await self.renew()
        return self._current

    async def renew(self) -> OrgSession:
        import httpx

        verify = ssl.create_default_context(cafile=self._verify) if isinstance(self._verify, str) else self._verify
        try:
            async with httpx.AsyncClient(verify=verify, timeout=30) as client:
                answer = await client.post(f"{self.instance_url}/services/oauth2/token", data=self._form)
            body = answer.json()
        except (httpx.HTTPError, ValueError) as exc:
            raise AuthError(f"could not get a token from {self.instance_url}: {type(exc).__name__}") from None
        token = body.get("access_token") if isinstance(body, dict) else None
        if answer.status_code != 200 or not isinstance(token, str):
            reason = body.get("error_description") if isinstance(body, dict) else None
            raise AuthError(f"the org refused the client credentials: {reason or answer.status_code}")
        self._current = OrgSession(self.instance_url, Secret(token))
        return self._current


class SfCliAlias:
    """``--target-org ALIAS``: ask the Salesforce CLI, which also refreshes the token on renewal.

    ``sf org display --json`` gives the instance URL and username; current CLI versions redact
    the token there, so then ``sf org auth show-access-token --json`` gives it (reference §3.3).
    """

    def __init__(self, alias: str, executable: str = "sf") -> None:
        self.alias = alias
        self.executable = executable
        self.description = f"sf CLI org {alias!r}"
        self._current: OrgSession | None = None

    async def session(self) -> OrgSession:
        if self._current is None:
            self._current = await self._load()
        return self._current

    async def renew(self) -> OrgSession:
        self._current = await self._load()
        return self._current

    async def _load(self) -> OrgSession:
        display = await self._run("org", "display")
        instance_url = display.get("instanceUrl")
        if not isinstance(instance_url, str) or not instance_url:
            raise AuthError(f"sf CLI gave no instance URL for org {self.alias!r}")
        token = display.get("accessToken")
        if not isinstance(token, str) or not token or token.startswith("[REDACTED]"):
            shown = await self._run("org", "auth", "show-access-token")
            token = shown.get("accessToken")
        if not isinstance(token, str) or not token or token.startswith("[REDACTED]"):
            raise AuthError(
                f"sf CLI gave no access token for org {self.alias!r}; run: sf org login web -a {self.alias}"
            )
        username = display.get("username")
        version = display.get("apiVersion")
        return OrgSession(
            check_instance_url(instance_url),
            Secret(token),
            username if isinstance(username, str) else None,
            str(version) if version else None,
        )

    async def _run(self, *command: str) -> dict[str, Any]:
        exe = shutil.which(self.executable)
        if exe is None:
            raise AuthError(
                f"cannot use org {self.alias!r}: the Salesforce CLI ('{self.executable}') is not on PATH; "
                "install it (npm install -g @salesforce/cli) or pass --instance-url and --access-token"
            )
        proc = await asyncio.create_subprocess_exec(
            exe,
            *command,
            "--target-org",
            self.alias,
            "--json",
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        try:
            out, _ = await asyncio.wait_for(proc.communicate(), timeout=60)
        except TimeoutError:
            proc.kill()
            raise AuthError(f"sf CLI did not answer within 60 s for org {self.alias!r}") from None
        try:
            envelope = json.loads(out.decode("utf-8", "replace"))
        except ValueError:
            raise AuthError(f"sf CLI gave no JSON for org {self.alias!r} (exit {proc.returncode})") from None
        if not isinstance(envelope, dict):
            raise AuthError(f"sf CLI gave unexpected JSON for org {self.alias!r}")
        result = envelope.get("result")
        if proc.returncode != 0 or envelope.get("status", 0) != 0 or not isinstance(result, dict):
            reason = envelope.get("message") or envelope.get("name") or f"exit {proc.returncode}"
            raise AuthError(
                f"sf CLI does not know org {self.alias!r}: {reason}; "
                f"log in with: sf org login web --alias {self.alias} (sf org list shows known orgs)"
            )
        return result
