"""Theme files (TOML) -> Textual themes. A bad file is one clear message and is skipped."""

from __future__ import annotations

import os
from dataclasses import dataclass, fields
from importlib.resources.abc import Traversable
from pathlib import Path

from textual.theme import Theme

from ..bulk.errors import ConfigError
from ..config import paths
from ..config.files import parse_toml, read_toml, shown
from ..text import clip, inert

_OTHER = {"name", "variables", "dark", "ansi", "luminosity_spread", "text_alpha"}
_COLOURS = {f.name for f in fields(Theme)} - _OTHER


@dataclass(frozen=True)
class Loaded:
    themes: list[Theme]
    problems: list[str]


def theme_from_file(path: Path | Traversable) -> Theme:
    """Parse one theme file; ValueError says what is wrong with it (read as config.files reads the
    config file: a link to nothing, a folder, a huge or non-UTF-8 file is said, never raised)."""
    where = f"theme file {path.name}"
    try:
        if isinstance(path, Path):
            data = read_toml(path, where)
            if data is None:
                raise ConfigError(f"{where}: is not there any more")
        else:  # shipped with sfmonitor (package data)
            data = parse_toml(path.read_bytes(), where)
    except OSError as exc:
        raise ValueError(f"{where}: {exc.strerror or exc}") from None
    except ConfigError as exc:
        raise ValueError(str(exc)) from None
    unknown = set(data) - _COLOURS - _OTHER
    if unknown:
        raise ValueError(f"{where}: unknown key {shown(sorted(unknown)[0])}")
    name = data.get("name", path.name.removesuffix(".toml"))
    if not isinstance(name, str) or not name.strip():
        raise ValueError(f'{where}: name must be text in quotes, as in name = "mine"')
    colours = {k: v for k, v in data.items() if k in _COLOURS}
    if not isinstance(colours.get("primary"), str):
        raise ValueError(f'{where}: needs at least primary = "#rrggbb"')
    for key, value in colours.items():
        if not isinstance(value, str):
            raise ValueError(f'{where}: {key} must be a colour in quotes ("#rrggbb" or "ansi_red"), not {shown(value)}')
    for key in ("dark", "ansi"):
        if not isinstance(data.get(key, False), bool):
            raise ValueError(f"{where}: {key} must be true or false")
    for key in ("luminosity_spread", "text_alpha"):
        value = data.get(key, 0.5)
        if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
            raise ValueError(f"{where}: {key} must be a number from 0 to 1")
    variables = data.get("variables", {})
    if not isinstance(variables, dict) or not all(isinstance(v, str) for v in variables.values()):
        raise ValueError(f'{where}: [variables] is a table of names and values in quotes, as in border = "#888"')
    theme = Theme(
        name=inert(name),  # a file's name for its theme is data: shown (toast, settings) as visible escapes
        dark=data.get("dark", True),
        ansi=data.get("ansi", False),
        luminosity_spread=float(data.get("luminosity_spread", 0.15)),
        text_alpha=float(data.get("text_alpha", 0.95)),
        variables=dict(variables),
        **colours,
    )
    try:
        theme.to_color_system().generate()  # bad colour values fail here, not mid-render
    except Exception as exc:
        raise ValueError(f"{where}: {clip(str(exc), 200)}") from None
    return theme


def load_themes() -> Loaded:
    """Shipped themes first, then the user's own (which may replace a shipped one by name)."""
    found: dict[str, Theme] = {}
    problems: list[str] = []
    files = [*paths.shipped_themes(), *_own_files(paths.themes_dir(), problems)]
    for path in files:
        try:
            theme = theme_from_file(path)
        except ValueError as exc:
            problems.append(str(exc))
            continue
        found[theme.name] = theme
    return Loaded(list(found.values()), problems)


def _own_files(folder: Path, problems: list[str]) -> list[Path]:
    """The ``*.toml`` files of the user's themes folder; a folder that is there but cannot be listed
    (a link to nothing, no permission) is said, not taken for an empty one."""
    if not os.path.lexists(folder):
        return []
    try:
        return sorted(path for path in folder.iterdir() if path.name.endswith(".toml"))
    except OSError as exc:
        problems.append(f"themes folder {folder}: cannot be read ({exc.strerror or type(exc).__name__})")
        return []
