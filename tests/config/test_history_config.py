"""The config file's ``[history]`` table (and ``history = false``): good values kept, bad ones one
clear error naming the file and the key; ``--no-history`` wins over the file."""

from __future__ import annotations

from pathlib import Path

import pytest

from sfmonitor.bulk.errors import ConfigError
from sfmonitor.config import paths
from sfmonitor.config import settings as config
from sfmonitor.config.history import HistorySettings
from sfmonitor.numbers import parse_size


def _load(tmp_path: Path, text: str, **flags: bool) -> HistorySettings:
    path = tmp_path / "config.toml"
    path.write_text(text)
    return config.load(path=path, env={}, **flags).history  # type: ignore[arg-type]


def test_by_default_history_is_on_for_400_days_or_1_gib_in_the_data_folder(tmp_path: Path) -> None:
    history = _load(tmp_path, "")
    assert history == HistorySettings(days=400, max_bytes=2**30, path=paths.history_file(), off=None)
    assert history.enabled and history.path.name == "history.sqlite3"


@pytest.mark.parametrize(
    ("text", "days", "max_bytes", "path"),
    [
        ('[history]\ndays = 30\nmax_size = "500MB"\n', 30, 500_000_000, None),
        ('[history]\nmax_size = "1GiB"\n', 400, 2**30, None),
        ('[history]\nmax_size = "2.5 gb"\n', 400, 2_500_000_000, None),
        ("[history]\nmax_size = 104857600\n", 400, 100 * 2**20, None),
        ('[history]\npath = "~/h/jobs.sqlite3"\n', 400, 2**30, "~/h/jobs.sqlite3"),
        ('[history]\npath = "/srv/sfm/jobs.sqlite3"\nenabled = true\n', 400, 2**30, "/srv/sfm/jobs.sqlite3"),
        ("history = true\n", 400, 2**30, None),
    ],
)
def test_good_history_settings_are_kept(tmp_path: Path, text: str, days: int, max_bytes: int, path: str | None) -> None:
    history = _load(tmp_path, text)
    assert (history.days, history.max_bytes, history.enabled) == (days, max_bytes, True)
    assert history.path == (Path(path).expanduser() if path else paths.history_file())


@pytest.mark.parametrize(
    ("text", "off"),
    [
        ("history = false\n", "history = false in config file "),
        ("[history]\nenabled = false\ndays = 9\n", "[history] enabled = false in config file "),
    ],
)
def test_history_can_be_turned_off_in_the_file(tmp_path: Path, text: str, off: str) -> None:
    history = _load(tmp_path, text)
    assert not history.enabled and history.off is not None and history.off.startswith(off)
    assert str(tmp_path / "config.toml") in history.off


def test_the_no_history_flag_wins_over_the_file(tmp_path: Path) -> None:
    history = _load(tmp_path, "[history]\nenabled = true\ndays = 9\n", no_history=True)
    assert not history.enabled and history.off == "--no-history" and history.days == 9


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ('history = "off"\n', "history is true, false or a [history] table"),
        ("[history]\nenable = false\n", "[history] unknown key 'enable' (known: enabled, days, max_size, path)"),
        ('[history]\nenabled = "no"\n', "[history] enabled must be true or false, got 'no'"),
        ("[history]\ndays = 0\n", "[history] days must be a whole number of days, 1 to 36500, got 0"),
        ("[history]\ndays = 7.5\n", "[history] days must be a whole number of days"),
        ('[history]\ndays = "7"\n', "[history] days must be a whole number of days"),
        ("[history]\ndays = true\n", "[history] days must be a whole number of days"),
        ('[history]\nmax_size = "1 GB of disk"\n', "[history] max_size: '1 GB of disk' is not a size (500MB, 1GiB"),
        ('[history]\nmax_size = "-5MB"\n', "[history] max_size: '-5MB' is not a size"),
        ("[history]\nmax_size = 0\n", "[history] max_size: 0: give a positive size"),
        ("[history]\nmax_size = 500\n", "[history] max_size must be at least 1MiB, got 500"),
        ("[history]\nmax_size = 1.5\n", "[history] max_size: 1.5 is not a size"),
        ("[history]\npath = 5\n", "[history] path must be a file's path in quotes"),
        ('[history]\npath = "rel/h.sqlite3"\n', "[history] path 'rel/h.sqlite3' must be absolute (or start with ~)"),
        ('[history]\npath = "~nobody-sfm/h"\n', "[history] path '~nobody-sfm/h' names the home folder of a user"),
    ],
)
def test_a_bad_history_setting_is_one_clear_error(tmp_path: Path, text: str, says: str) -> None:
    with pytest.raises(ConfigError) as caught:
        _load(tmp_path, text)
    message = str(caught.value)
    assert message.startswith(f"config file {tmp_path / 'config.toml'}: ") and says in message, message
    assert "\n" not in message


def test_sizes_are_read_in_decimal_and_binary_units() -> None:
    assert [parse_size(t) for t in ("1", "1B", "1kb", "1KiB", "3 MB", "3MiB", "1GiB", "1TB")] == [
        1, 1, 1000, 1024, 3_000_000, 3 * 2**20, 2**30, 10**12]  # fmt: skip
    for bad in ("", "GB", "1XB", "1e9", True, None, "nan"):
        with pytest.raises(ValueError):
            parse_size(bad)
