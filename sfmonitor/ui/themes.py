"""Theme files (TOML) -> Textual themes. A bad file is one clear message and is skipped."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, fields
from importlib.resources.abc import Traversable
from pathlib import Path

from textual.theme import Theme

from ..config import paths
from ..text import inert

_COLOURS = {f.name for f in fields(Theme)} - {"name", "variables", "dark", "ansi", "luminosity_spread", "text_alpha"}


@dataclass(frozen=True)
class Loaded:
    themes: list[Theme]
    problems: list[str]


def theme_from_file(path: Path | Traversable) -> Theme:
    """Parse one theme file; ValueError says what is wrong with it."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ValueError(f"theme file {path.name}: {exc}") from None
    name = data.get("name") or path.name.removesuffix(".toml")
    if not isinstance(name, str) or not data.get("primary"):
        raise ValueError(f'theme file {path.name}: needs at least primary = "#rrggbb"')
    unknown = set(data) - _COLOURS - {"name", "variables", "dark", "ansi", "luminosity_spread", "text_alpha"}
    if unknown:
        raise ValueError(f"theme file {path.name}: unknown key {sorted(unknown)[0]!r}")
    variables = data.get("variables", {})
    if not isinstance(variables, dict):
        raise ValueError(f"theme file {path.name}: [variables] must be a table")
    theme = Theme(
        name=inert(name),  # a file's name for its theme is data: shown (toast, settings) as visible escapes
        dark=bool(data.get("dark", True)),
        ansi=bool(data.get("ansi", False)),
        luminosity_spread=float(data.get("luminosity_spread", 0.15)),
        text_alpha=float(data.get("text_alpha", 0.95)),
        variables={str(k): str(v) for k, v in variables.items()},
        **{k: str(v) for k, v in data.items() if k in _COLOURS},
    )
    try:
        theme.to_color_system().generate()  # bad colour values fail here, not mid-render
    except Exception as exc:
        raise ValueError(f"theme file {path.name}: {exc}") from None
    return theme


def load_themes() -> Loaded:
    """Shipped themes first, then the user's own (which may replace a shipped one by name)."""
    found: dict[str, Theme] = {}
    problems: list[str] = []
    user = paths.themes_dir()
    files = [*paths.shipped_themes(), *(sorted(user.glob("*.toml")) if user.is_dir() else [])]
    for path in files:
        try:
            theme = theme_from_file(path)
        except ValueError as exc:
            problems.append(str(exc))
            continue
        found[theme.name] = theme
    return Loaded(list(found.values()), problems)
