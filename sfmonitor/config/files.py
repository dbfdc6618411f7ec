"""Reading the operator's TOML files (the config file, theme files): the one rule for what can go wrong.

A file that is truly absent (nothing at its path, not even a link) is "no file". Anything else that
keeps it from being read is an error naming the file: a link to nothing or a link loop (silently
"no config" would drop its ``read_only``), a folder, a pipe or a device, no permission, more than
:data:`MAX_BYTES`, not UTF-8, not TOML (its line and column), or nested deeper than
:data:`MAX_DEPTH`. Never a traceback.

Also the checks the config file's tables share: an ``interval``, a ``~`` path, a value quoted in an
error (:func:`shown`, cut to one short line).
"""

from __future__ import annotations

import errno
import os
import stat
import tomllib
from pathlib import Path
from typing import Any

from ..bulk.errors import ConfigError
from ..text import clip

MAX_BYTES = 1 << 20  # 1 MiB: a config or theme file is a few KB
MAX_DEPTH = 16  # the deepest legitimate value is 4 levels down ([alerts.ORG] events = [...])

_WHY = {
    errno.ENOENT: "it is a link to {target}, which does not exist",
    errno.ELOOP: "it is a link that leads back to itself (a loop)",
    errno.EACCES: "permission denied",
    errno.EPERM: "permission denied",
    errno.ENOTDIR: "a part of its path is not a folder",
}


def shown(value: object, width: int = 60) -> str:
    """A value from a file, quoted as Python would and cut short: one line whatever the file holds."""
    return clip(repr(value), width)


def read_toml(path: Path, where: str) -> dict[str, Any] | None:
    """The file's tables; None when nothing is at ``path`` (not even a link). ``where`` heads every
    error (``config file /home/…/config.toml``)."""
    raw = read_small(path, where)
    return None if raw is None else parse_toml(raw, where)


def read_small(path: Path, where: str) -> bytes | None:
    """The bytes of a small regular file; None when nothing is at ``path`` (not even a link)."""
    try:
        os.lstat(path)
    except FileNotFoundError:
        _check_folders(path, where)
        return None
    except OSError as exc:
        raise ConfigError(f"{where}: cannot be read ({_why(path, exc)})") from None
    try:
        return _read_regular(path, where)
    except OSError as exc:
        raise ConfigError(f"{where}: cannot be read ({_why(path, exc)})") from None


def _check_folders(path: Path, where: str) -> None:
    """Nothing at ``path``: truly absent only if its nearest existing folder is a real one (a folder
    linked to nothing, a dotfiles checkout not there, is an error, not "no file")."""
    for folder in path.parents:
        if os.path.lexists(folder):
            if not os.path.isdir(folder):
                raise ConfigError(f"{where}: cannot be read: its folder {folder} is a link to nothing, or not a folder")
            return


def _read_regular(path: Path, where: str) -> bytes:
    """The bytes of a regular file, at most MAX_BYTES + 1 read (a pipe is never waited on)."""
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0) | getattr(os, "O_CLOEXEC", 0)
    fd = os.open(path, flags)
    try:
        mode = os.fstat(fd).st_mode
    except OSError:
        os.close(fd)
        raise
    if not stat.S_ISREG(mode):
        os.close(fd)
        if stat.S_ISDIR(mode):
            raise ConfigError(f"{where}: is a folder, not a file")
        raise ConfigError(f"{where}: is not a regular file (a pipe, a socket or a device)")
    with os.fdopen(fd, "rb") as handle:
        raw = handle.read(MAX_BYTES + 1)
    if len(raw) > MAX_BYTES:
        raise ConfigError(f"{where}: is larger than {MAX_BYTES // 1024} KiB; is it the right file?")
    return raw


def _why(path: Path, exc: OSError) -> str:
    template = _WHY.get(exc.errno or 0)
    if template is None:
        return exc.strerror or type(exc).__name__
    target = "?"
    if "{target}" in template:
        try:
            target = os.readlink(path)
        except OSError:
            return "it is not there"
    return template.format(target=shown(target, 120))


def parse_toml(raw: bytes, where: str) -> dict[str, Any]:
    """TOML from UTF-8 bytes (a byte-order mark is allowed), checked for depth."""
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise ConfigError(
            f"{where}: is not UTF-8 text (byte 0x{raw[exc.start]:02x} on line {line}); save it as UTF-8"
        ) from None
    try:
        data = tomllib.loads(text)
    except ValueError as exc:  # TOMLDecodeError says the line and column; a 5000-digit number does not
        raise ConfigError(f"{where}: is not valid TOML: {clip(str(exc), 200)}") from None
    except RecursionError:
        raise ConfigError(f"{where}: is nested deeper than {MAX_DEPTH} levels") from None
    _check_depth(data, where)
    return data


def _check_depth(data: dict[str, Any], where: str) -> None:
    """No value deeper than MAX_DEPTH (walked without recursion: the file decides the depth)."""
    stack: list[tuple[object, int]] = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise ConfigError(f"{where}: is nested deeper than {MAX_DEPTH} levels")
        if isinstance(value, dict):
            stack.extend((v, depth + 1) for v in value.values())
        elif isinstance(value, list):
            stack.extend((v, depth + 1) for v in value)


MAX_INTERVAL_S = 86_400.0


def interval(value: object, where: str) -> float:
    """An ``interval`` setting: seconds, more than 0 and at most a day (the floor is applied later)."""
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or not 0 < value <= MAX_INTERVAL_S
        or value != value  # NaN
    ):
        most = f"{MAX_INTERVAL_S:.0f}"
        raise ConfigError(f"{where}: interval must be a number of seconds (up to {most}), got {shown(value)}")
    return float(value)


def expand_home(text: str, where: str) -> Path:
    """A file named in the config file, ``~`` expanded (``~nobody/…`` is a mistake in the file)."""
    try:
        return Path(text).expanduser()
    except RuntimeError:
        raise ConfigError(f"{where} {shown(text)} names the home folder of a user this machine lacks") from None
