"""Where sfmonitor keeps things (platformdirs): ``sfmonitor locate config|themes|log|history``."""

from __future__ import annotations

from datetime import UTC, datetime
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path

import platformdirs

APP = "sfmonitor"


def config_dir() -> Path:
    return platformdirs.user_config_path(APP)


def config_file() -> Path:
    return config_dir() / "config.toml"


def themes_dir() -> Path:
    """The user's own theme files (``*.toml``)."""
    return config_dir() / "themes"


def log_dir() -> Path:
    return platformdirs.user_log_path(APP)


def log_file() -> Path:
    return log_dir() / "sfmonitor.log"


def history_file() -> Path:
    """The history of the jobs seen (SQLite), unless the config file's ``[history] path`` says otherwise."""
    return platformdirs.user_data_path(APP) / "history.sqlite3"


def state_file() -> Path:
    """What sfmonitor remembers between runs (the last theme chosen with ``t``)."""
    return platformdirs.user_state_path(APP) / "state.json"


def shipped_themes() -> list[Traversable]:
    """The theme files shipped with sfmonitor (package data, wherever it was installed)."""
    try:
        folder = resources.files("sfmonitor.theme_files")
    except ModuleNotFoundError:
        return []
    return sorted((entry for entry in folder.iterdir() if entry.name.endswith(".toml")), key=lambda e: e.name)


def private_file(path: Path) -> Path:
    """Create ``path`` (and its folder) readable by the user alone."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    path.touch(mode=0o600, exist_ok=True)
    path.chmod(0o600)
    return path


def export_path(job_id: str, now: datetime | None = None) -> Path:
    """``failures-<job>-<UTC time>.csv`` in the platform's download folder, else the current one."""
    stamp = (now or datetime.now(UTC)).strftime("%Y%m%d-%H%M%S")
    name = f"failures-{job_id}-{stamp}.csv"
    downloads = Path(platformdirs.user_downloads_dir())
    folder = downloads if downloads.is_dir() else Path.cwd()
    return folder / name
