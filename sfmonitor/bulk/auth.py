"""Where the access token comes from: a static token, or the Salesforce CLI's stored auth.

A token is a :class:`Secret`: it prints as ``****`` so it cannot leak through a log line, a
traceback's locals or an error message by accident. Only the transport reveals it, into a header.
"""

from __future__ import annotations

import asyncio
import ipaddress
import json
import os
import shlex
import shutil
import ssl
import stat
import time
import unicodedata
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import urlsplit

from .errors import AuthError, BulkError, ConfigError, TokenUnavailable, TransportError

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey


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


def clean_secret(value: str, what: str, error: type[BulkError] = ConfigError) -> str:
    """A token or secret without the whitespace around it (a CRLF file's CR, a pasted space), or
    ``error`` naming ``what`` (where it came from) and where the bad character sits, never the value.

    The one rule for every token and secret, whatever its source: printable ASCII only. A header
    cannot carry anything else, and an HTTP library refusing one would quote the whole header.
    """
    cleaned = value.strip()
    for at, char in enumerate(cleaned, 1):
        if "!" <= char <= "~":
            continue
        if char == " ":
            kind = "a space"
        elif char.isascii() or unicodedata.category(char).startswith("C"):
            kind = f"a control character (U+{ord(char):04X})"
        else:
            kind = "a character outside printable ASCII"
        raise error(f"{what} holds {kind} at character {at} of {len(cleaned)}: it cannot be sent; "
                    "set it again without it (the value is not shown)")  # fmt: skip
    return cleaned


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
        token = clean_secret(token, "the access token")  # its source has named itself already (connection)
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


class _Renewing:
    """A source whose first session is its first renewal (it asks the org for a token either way)."""

    _current: OrgSession | None = None

    async def session(self) -> OrgSession:
        if self._current is None:
            self._current = await self.renew()
        return self._current

    async def renew(self) -> OrgSession:
        raise NotImplementedError


DEFAULT_TIMEOUT_S = 30.0  # --timeout's default: the whole of one answer, a token endpoint's too


class ClientCredentials(_Renewing):
    """OAuth 2.0 client-credentials flow against the org's own token endpoint; renews by asking again.

    The demo uses it against the simulator, so a token that expires (``--faults expire-after``) is
    renewed as a real integration would renew it.
    """

    def __init__(self, instance_url: str, client_id: str, client_secret: str, verify: bool | str = True,
                 timeout: float = DEFAULT_TIMEOUT_S) -> None:  # fmt: skip
        self.timeout = timeout
        self.instance_url = check_instance_url(instance_url)
        secret = clean_secret(client_secret, "the client secret")
        self._form = {"grant_type": "client_credentials", "client_id": client_id.strip(), "client_secret": secret}
        self._verify = verify
        self.description = f"client credentials at {self.instance_url}"

    async def renew(self) -> OrgSession:
        body = await _token_request(f"{self.instance_url}/services/oauth2/token", self._form, self._verify,
                                    "client credentials", self.timeout)  # fmt: skip
        self._current = OrgSession(self.instance_url, Secret(body["access_token"]))  # cleaned by _token_request
        return self._current


JWT_GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer"
JWT_LIFETIME_S = 180  # Salesforce accepts an assertion whose exp is at most 3 minutes away


def _b64url(data: bytes) -> str:
    import base64

    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


SECRET_FILE_LIMIT = 64 * 1024  # a client secret or a PEM key is a few KiB: more is not one


def read_secret_file(path: str, what: str) -> bytes:
    """The bytes of a secret file (``what``: ``client_secret_file``, ``the JWT private key``), checked as
    ssh checks a private key: a regular file (a FIFO or a device is refused without a read, so neither
    blocks nor reads without bound), open to its owner only (no group or other bits: ``chmod 600``), of
    at most ``SECRET_FILE_LIMIT`` bytes, owned by the user (or root). A symbolic link is followed and its
    target checked. An AuthError names the file and the fix in one line, never its content."""
    try:
        # O_NONBLOCK: opening a FIFO with no writer returns at once instead of waiting for one
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC | getattr(os, "O_NOCTTY", 0))
    except OSError as exc:
        raise AuthError(f"cannot read {what} {path}: {exc.strerror}") from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise AuthError(f"{what} {path} is not a regular file (a FIFO, device or folder): not read")
        owner = os.geteuid() if hasattr(os, "geteuid") else info.st_uid
        if info.st_uid not in (owner, 0):  # as ssh: its own user's, or root's
            raise AuthError(f"{what} {path} belongs to another user (uid {info.st_uid}): not read; "
                            "it must be the user's own file")  # fmt: skip
        if info.st_mode & 0o077:
            exposed = "readable" if info.st_mode & 0o044 else "writable"
            raise AuthError(f"{what} {path} is {exposed} by others (mode {stat.S_IMODE(info.st_mode):04o}): "
                            f"run chmod 600 {shlex.quote(path)}")  # fmt: skip
        chunks: list[bytes] = []
        size = 0
        while size <= SECRET_FILE_LIMIT and (chunk := os.read(fd, SECRET_FILE_LIMIT + 1 - size)):
            chunks.append(chunk)
            size += len(chunk)
    except OSError as exc:
        raise AuthError(f"cannot read {what} {path}: {exc.strerror}") from None
    finally:
        os.close(fd)
    if size > SECRET_FILE_LIMIT:
        raise AuthError(f"{what} {path} is over {SECRET_FILE_LIMIT // 1024} KiB: not a secret or a key")
    return b"".join(chunks)


def load_jwt_key(private_key_pem: bytes, path: str = "") -> RSAPrivateKey:
    """The RSA private key in a PEM, or an AuthError in one line: not a PEM key, not RSA, or encrypted
    (sfmonitor asks no passphrase; ``path`` names the file in the message and the fix)."""
    from cryptography.exceptions import UnsupportedAlgorithm
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    name = f"the JWT private key {path}" if path else "the JWT private key"
    try:
        key = serialization.load_pem_private_key(private_key_pem, password=None)
    except TypeError:  # cryptography: "Password was not given but private key is encrypted"
        fix = f"openssl pkey -in {shlex.quote(path)} -out NEW.key" if path else "openssl pkey -in KEY -out NEW.key"
        # openssl writes NEW.key by the umask (often 0644), which read_secret_file would then refuse
        raise AuthError(
            f"{name} is an encrypted private key: sfmonitor needs it unencrypted ({fix}, then chmod 600 NEW.key)"
        ) from None
    except (ValueError, UnsupportedAlgorithm):
        raise AuthError(f"{name} is not a PEM private key") from None
    if not isinstance(key, rsa.RSAPrivateKey):
        raise AuthError(f"{name} is not an RSA key (Salesforce signs and checks RS256)")
    return key


def jwt_assertion(
    client_id: str, username: str, audience: str, private_key_pem: bytes, now: float, path: str = ""
) -> str:
    """An RS256-signed JWT bearer assertion: ``iss`` the connected app's consumer key, ``sub`` the user,
    ``aud`` the login URL, ``exp`` three minutes on (the OAuth 2.0 JWT bearer flow)."""
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding

    key = load_jwt_key(private_key_pem, path)
    header = _b64url(json.dumps({"alg": "RS256", "typ": "JWT"}).encode())
    claims = {"iss": client_id, "sub": username, "aud": audience, "exp": int(now) + JWT_LIFETIME_S}
    signing_input = f"{header}.{_b64url(json.dumps(claims).encode())}"
    signature = key.sign(signing_input.encode(), padding.PKCS1v15(), hashes.SHA256())
    return f"{signing_input}.{_b64url(signature)}"


async def _token_request(
    url: str, form: dict[str, str], verify: bool | str, what: str, timeout: float = DEFAULT_TIMEOUT_S
) -> dict[str, Any]:
    """POST to an OAuth token endpoint; its JSON answer, or an AuthError saying why not (never the secret).
    The whole answer within ``timeout`` (``--timeout``), at most ``TOKEN_ANSWER_CAP`` bytes inflated."""
    import httpx

    from .bodies import TOKEN_ANSWER_CAP, deadline, read_capped

    context = ssl.create_default_context(cafile=verify) if isinstance(verify, str) else verify
    try:
        async with (
            httpx.AsyncClient(verify=context, timeout=timeout, headers={"Accept-Encoding": "gzip"}) as client,
            deadline(timeout, f"POST {url}"),
            client.stream("POST", url, data=form) as answer,
        ):
            if answer.status_code >= 500 or answer.status_code == 429:  # down or busy, not refusing
                raise TokenUnavailable(f"could not get a token from {url}: it answered {answer.status_code}")
            raw = await read_capped(answer, TOKEN_ANSWER_CAP, f"POST {url}")
        body = json.loads(raw)
    except TokenUnavailable:
        raise
    except TransportError as exc:  # past the deadline: passing, tried again (not a refused sign-in)
        raise TokenUnavailable(f"could not get a token from {url}: {exc}") from None
    except BulkError as exc:  # over the cap or not inflatable: said as such
        raise AuthError(f"could not get a token from {url}: {exc}") from None
    except httpx.HTTPError as exc:  # no answer: passing, tried again (not a refused sign-in)
        raise TokenUnavailable(f"could not get a token from {url}: {type(exc).__name__}") from None
    except (ValueError, RecursionError) as exc:
        raise AuthError(f"could not get a token from {url}: {type(exc).__name__}") from None
    if answer.status_code != 200 or not isinstance(body, dict) or not isinstance(body.get("access_token"), str):
        reason = body.get("error_description") or body.get("error") if isinstance(body, dict) else None
        raise AuthError(f"the org refused the {what}: {reason or answer.status_code}")
    token = clean_secret(body["access_token"], f"the access token {url} gave", AuthError)
    if not token:
        raise AuthError(f"{url} gave an empty access token")
    return {**body, "access_token": token}


class JwtBearer(_Renewing):
    """OAuth 2.0 JWT bearer flow: a connected app's consumer key, a user and the app's private key;
    no secret or browser, so it suits jump hosts. Renews by signing a new assertion."""

    def __init__(self, login_url: str, client_id: str, username: str, private_key_file: str,
                 verify: bool | str = True, clock: Any = None, timeout: float = DEFAULT_TIMEOUT_S) -> None:  # fmt: skip
        self.timeout = timeout
        self.login_url = check_instance_url(login_url)
        self.client_id = client_id
        self.username = username
        self.private_key_file = private_key_file
        self._verify = verify
        self._clock = clock or time.time
        self.description = f"JWT bearer for {username} at {self.login_url}"

    async def renew(self) -> OrgSession:
        path = self.private_key_file
        pem = read_secret_file(path, "the JWT private key")
        assertion = jwt_assertion(self.client_id, self.username, self.login_url, pem, self._clock(), path)
        body = await _token_request(f"{self.login_url}/services/oauth2/token",
                                    {"grant_type": JWT_GRANT, "assertion": assertion}, self._verify,
                                    "JWT bearer assertion", self.timeout)  # fmt: skip
        instance = body.get("instance_url")
        self._current = OrgSession(
            check_instance_url(instance if isinstance(instance, str) and instance else self.login_url),
            Secret(body["access_token"]),
            self.username,
        )
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
        token = clean_secret(token, f"the access token sf CLI gave for org {self.alias!r}", AuthError)
        username = display.get("username")
        version = display.get("apiVersion")
        return OrgSession(
            check_instance_url(instance_url),
            Secret(token),
            username if isinstance(username, str) else None,
            str(version) if version else None,
        )

    def unavailable(self) -> str | None:
        """Why this alias cannot be used at all (no sf CLI on PATH), asked without running anything."""
        if shutil.which(self.executable) is None:
            return (
                f"cannot use org {self.alias!r}: the Salesforce CLI ('{self.executable}') is not on PATH; "
                "install it (npm install -g @salesforce/cli) or pass --instance-url and --access-token"
            )
        return None

    async def _run(self, *command: str) -> dict[str, Any]:
        exe = shutil.which(self.executable)
        if exe is None:
            raise AuthError(self.unavailable() or f"cannot use org {self.alias!r}")
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
