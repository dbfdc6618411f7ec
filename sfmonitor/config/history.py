"""The config file's ``[history]`` table: whether the jobs seen are remembered, where, and for how long.

.. code-block:: toml

    [history]
    enabled = true                      # false (or history = false at the top): nothing is recorded
    days = 400                          # jobs that ended longer ago are pruned ...
    max_size = "1GiB"                   # ... and the oldest first past this size: "500MB", "1GiB" or bytes
    path = "~/sfmonitor/history.sqlite3"    # default: sfmonitor locate history

``--no-history`` (watch, demo, record) wins over the file.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ..bulk.errors import ConfigError
from ..numbers import parse_size
from . import paths
from .files import expand_home, shown

KEYS = ("enabled", "days", "max_size", "path")
DEFAULT_DAYS = 400
DEFAULT_MAX_BYTES = 2**30  # 1 GiB
MAX_DAYS = 36_500  # a hundred years: more is a slip of the keyboard
MIN_BYTES = 2**20  # 1 MiB: less holds no useful history (and ``max_size = 500`` meant 500 MB)


@dataclass(frozen=True)
class HistorySettings:
    """``off``: why nothing is recorded, in words (None: recording is on)."""

    days: int = DEFAULT_DAYS
    max_bytes: int = DEFAULT_MAX_BYTES
    path: Path = field(default_factory=paths.history_file)
    off: str | None = None

    @property
    def enabled(self) -> bool:
        return self.off is None


def parse_history(value: object, where: str, *, no_history: bool = False) -> HistorySettings:
    """``history = false|true`` at the top of the file, or a ``[history]`` table (TOML cannot hold
    both); ``no_history``: the --no-history flag, which wins. ``where`` heads every error."""
    top = isinstance(value, bool)  # history = false at the top of the file
    if top:
        value = {"enabled": value}
    if not isinstance(value, dict):
        raise ConfigError(f"{where}: history is true, false or a [history] table")
    unknown = sorted(set(value) - set(KEYS))
    if unknown:
        raise ConfigError(f"{where}: [history] unknown key {shown(unknown[0])} (known: {', '.join(KEYS)})")
    enabled = value.get("enabled", True)
    if not isinstance(enabled, bool):
        raise ConfigError(f"{where}: [history] enabled must be true or false, got {shown(enabled)}")
    days = value.get("days", DEFAULT_DAYS)
    if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= MAX_DAYS:
        raise ConfigError(f"{where}: [history] days must be a whole number of days, 1 to {MAX_DAYS}, got {shown(days)}")
    try:
        max_bytes = parse_size(value.get("max_size", DEFAULT_MAX_BYTES))
    except ValueError as exc:
        raise ConfigError(f"{where}: [history] max_size: {exc}") from None
    if max_bytes < MIN_BYTES:
        raise ConfigError(f"{where}: [history] max_size must be at least 1MiB, got {shown(value['max_size'])}")
    path = paths.history_file()
    if "path" in value:
        text = value["path"]
        if not isinstance(text, str) or not text.strip():
            raise ConfigError(f"{where}: [history] path must be a file's path in quotes")
        path = expand_home(text, f"{where}: [history] path")
        if not path.is_absolute():
            raise ConfigError(f"{where}: [history] path {shown(text)} must be absolute (or start with ~)")
    off = None
    if no_history:
        off = "--no-history"
    elif not enabled:
        off = f"{'history = false' if top else '[history] enabled = false'} in {where}"
    return HistorySettings(days=days, max_bytes=max_bytes, path=path, off=off)
