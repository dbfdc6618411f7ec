"""Connection options -> a token source and a ready :class:`BulkService`.

Precedence: ``--target-org`` flag, then ``--instance-url``/``--access-token`` flags, then the
environment (``SF_INSTANCE_URL``/``SF_ACCESS_TOKEN``, then ``SF_TARGET_ORG``).
"""

from __future__ import annotations

import functools
import json
import os
import shutil
import subprocess
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace

from ..bulk.auth import ClientCredentials, JwtBearer, SfCliAlias, StaticToken, TokenSource, clean_secret
from ..bulk.errors import ConfigError
from ..bulk.retry import retrying
from ..bulk.service import BulkService
from ..bulk.transport import Transport

DEFAULT_LOGIN_URL = "https://login.salesforce.com"


@dataclass(frozen=True)
class ConnectionOptions:
    instance_url: str | None = None
    access_token: str | None = None
    target_org: str | None = None
    api_version: str | None = None
    ca_bundle: str | None = None
    timeout: float = 30.0
    client_id: str | None = None  # OAuth client credentials (the demo's renewable token), or the JWT app
    client_secret: str | None = None
    jwt_username: str | None = None  # JWT bearer: the user, the app's private key, the login URL
    jwt_key_file: str | None = None
    login_url: str | None = None
    unusable: str | None = None  # why this org's configuration cannot sign in (its secret missing): its error only

    def resolved(self, env: Mapping[str, str] | None = None) -> ConnectionOptions:
        """Fill what the flags left open from the environment."""
        env = os.environ if env is None else env
        if self.unusable:  # never filled from the environment: it would be another org's token
            return self
        ca = self.ca_bundle or env.get("SF_CA_BUNDLE")
        if self.client_id:  # an OAuth app signs in on its own: the environment's token is not its
            return replace(self, ca_bundle=ca)
        if self.target_org:
            return replace(self, instance_url=None, access_token=None, ca_bundle=ca)
        if self.instance_url or self.access_token or env.get("SF_INSTANCE_URL") or env.get("SF_ACCESS_TOKEN"):
            if self.access_token:
                token = clean_secret(self.access_token, "the access token given by --access-token")
            else:
                token = clean_secret(env.get("SF_ACCESS_TOKEN", ""), "the access token in SF_ACCESS_TOKEN")
            return replace(
                self,
                instance_url=self.instance_url or env.get("SF_INSTANCE_URL"),
                access_token=token or None,
                ca_bundle=ca,
            )
        return replace(self, target_org=env.get("SF_TARGET_ORG") or sf_default_org(), ca_bundle=ca)

    def token_source(self) -> TokenSource:
        if self.unusable:
            raise ConfigError(self.unusable)
        if self.client_id and self.jwt_username and self.jwt_key_file:
            return JwtBearer(self.login_url or self.instance_url or DEFAULT_LOGIN_URL, self.client_id,
                             self.jwt_username, self.jwt_key_file, self.verify(), timeout=self.timeout)  # fmt: skip
        if self.client_id and self.instance_url:
            return ClientCredentials(self.instance_url, self.client_id, self.client_secret or "", self.verify(),
                                     timeout=self.timeout)  # fmt: skip
        if self.target_org:
            return SfCliAlias(self.target_org)
        if self.instance_url:
            return StaticToken(self.instance_url, self.access_token or "", self.api_version)
        if self.access_token:
            raise ConfigError("an access token needs an instance URL: pass --instance-url or set SF_INSTANCE_URL")
        raise ConfigError(
            "no org to watch: pass --target-org ALIAS (an org the sf CLI knows; `sfmonitor orgs` lists them), or "
            "--instance-url URL with --access-token TOKEN (or SF_INSTANCE_URL / SF_ACCESS_TOKEN), or give the sf "
            "CLI a default org (sf config set target-org ALIAS --global); try `sfmonitor demo` for the simulator"
        )

    def verify(self) -> bool | str:
        if self.ca_bundle:
            if not os.path.isfile(self.ca_bundle):
                raise ConfigError(f"--ca-bundle {self.ca_bundle}: no such file")
            return self.ca_bundle
        return True


def sf_default_org(executable: str = "sf") -> str | None:
    """The sf CLI's default org (``sf config get target-org --json``), if it is installed and has one."""
    exe = shutil.which(executable)
    return None if exe is None else _default_org(exe, os.environ.get("HOME", ""))


@functools.cache
def _default_org(exe: str, home: str) -> str | None:
    """Asked once per sf and home: it is the user's setting, and each ``sf`` start costs a second."""
    try:
        done = subprocess.run([exe, "config", "get", "target-org", "--json"], capture_output=True, text=True,
                              timeout=60, stdin=subprocess.DEVNULL, check=False)  # fmt: skip
        envelope = json.loads(done.stdout)
    except (OSError, subprocess.TimeoutExpired, ValueError):
        return None
    result = envelope.get("result") if isinstance(envelope, dict) else None
    for entry in result if isinstance(result, list) else []:
        if isinstance(entry, dict) and entry.get("name") == "target-org":
            value = entry.get("value")
            return value if isinstance(value, str) and value else None
    return None


def new_service(options: ConnectionOptions) -> BulkService:
    """A service for these options, not yet connected (its transport is opened by ``connect()``)."""
    resolved = options.resolved()
    transport = Transport(resolved.token_source(), verify=resolved.verify(), timeout=resolved.timeout)
    return BulkService(transport, resolved.api_version)


async def signed_in(options: ConnectionOptions) -> BulkService:
    """A service for these options, signed in (its API version settled); one whose sign-in fails is
    closed before the error is raised (a retry makes a new one)."""
    service = new_service(options)
    try:
        await service.connect()
    except BaseException:
        await service.transport.aclose()
        raise
    return service


@asynccontextmanager
async def open_service(options: ConnectionOptions, retry_delays: tuple[float, ...] = ()) -> AsyncIterator[BulkService]:
    """A connected service (API version settled); the HTTP client is closed on exit. A sign-in that
    fails for a passing reason (the token endpoint's 5xx, no answer) is tried again after each of
    ``retry_delays``, as the command's other reads are (the one retry rule)."""
    service = new_service(options)
    try:
        await retrying(service.connect, retry_delays, "sign-in")
        yield service
    finally:
        await service.transport.aclose()
