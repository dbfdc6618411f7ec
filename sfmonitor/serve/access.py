"""Who may read the recorder over HTTP: the one rule for ``--listen`` and ``--token-file``.

A loopback address (127.0.0.0/8, ::1, localhost: bulk.auth.is_loopback) needs no token; any other
needs a bearer token read from ``--token-file``, a file checked as every secret file is (regular,
the user's own, mode 0600, at most 64 KiB: bulk.auth.read_secret_file), else the recorder does not
start. The token is a :class:`Secret`: it never prints, and requests are compared to it in constant
time.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass

from ..bulk.auth import Secret, clean_secret, is_loopback, read_secret_file
from ..bulk.errors import AuthError, ConfigError

LISTEN_HELP = "HOST:PORT ([::1]:9464 for IPv6; port 0 picks a free one)"


@dataclass(frozen=True)
class Listen:
    host: str
    port: int

    @property
    def loopback(self) -> bool:
        return bool(self.host) and is_loopback(self.host)

    def __str__(self) -> str:
        return f"[{self.host}]:{self.port}" if ":" in self.host else f"{self.host}:{self.port}"


def parse_listen(text: str) -> Listen:
    """``HOST:PORT``, ``[v6]:PORT``; a ConfigError in one line otherwise."""
    host, colon, port = text.strip().rpartition(":")
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    elif ":" in host:
        colon = ""  # a bare IPv6 address: its port cannot be told apart
    if not colon or not port.isdigit() or not 0 <= int(port) <= 65535 or not host:
        raise ConfigError(f"--listen wants {LISTEN_HELP}, got {text!r}")
    return Listen(host, int(port))


def token_for(listen: Listen, token_file: str | None) -> Secret | None:
    """The bearer token requests must carry (None: none is asked, on a loopback address without
    ``--token-file``). A ConfigError in one line when the address is not loopback and no token file
    is given, or the file cannot be used (never its content)."""
    if token_file is None:
        if not listen.loopback:
            raise ConfigError(f"--listen {listen} is not a loopback address: give --token-file (a file of the "
                              "user's own, chmod 600, holding the bearer token every request must show)")  # fmt: skip
        return None
    return read_token_file(token_file, "--token-file")


def read_token_file(path: str, flag: str) -> Secret:
    """The bearer token in ``path`` (``flag``: the option or key that named it), the file checked as
    every secret file is; a ConfigError in one line otherwise (never its content)."""
    try:
        raw = read_secret_file(path, flag)
        token = clean_secret(raw.decode(), f"{flag} {path}")
    except AuthError as exc:
        raise ConfigError(str(exc)) from None
    except UnicodeDecodeError:
        raise ConfigError(f"{flag} {path} is not text (UTF-8)") from None
    if not token:
        raise ConfigError(f"{flag} {path} is empty")
    return Secret(token)


def authorised(token: Secret | None, header: str | None) -> bool:
    """Whether a request's ``Authorization`` header shows the token (always, when none is asked)."""
    if token is None:
        return True
    scheme, _, given = (header or "").partition(" ")
    if scheme.lower() != "bearer":
        return False
    return hmac.compare_digest(given.strip().encode(), token.reveal().encode())
