"""Themes on the app: the shipped and the operator's theme files, the one chosen, and the colours
the cells draw with."""

from __future__ import annotations

from typing import Any

from textual.app import App

from ..config import settings as config
from .cells import Palette
from .themes import load_themes
from .toast import say

FALLBACK_THEME = config.DEFAULT_THEME


def rich_colour(colour: str | None, default: str) -> str:
    """Theme colours for Rich styles: Textual's ``ansi_red`` is Rich's ``red``."""
    if not colour:
        return default
    return colour[5:] if colour.startswith("ansi_") else colour


def install_themes(app: App[Any], wanted: str) -> list[str]:
    """Register every theme file (each one that cannot be read is said so), switch to ``wanted`` or,
    failing that, the fallback; returns the names that ``t`` cycles through."""
    loaded = load_themes()
    for theme in loaded.themes:
        app.register_theme(theme)
    for problem in loaded.problems:
        say(app, problem, title="Theme file skipped", severity="warning")
    if wanted in app.available_themes:
        app.theme = wanted
    else:
        app.theme = FALLBACK_THEME if FALLBACK_THEME in app.available_themes else "textual-dark"
        say(app, f"no theme named {wanted!r}; using {app.theme}", severity="warning")
    return [t.name for t in loaded.themes]


def palette(app: App[Any]) -> Palette:
    theme = app.current_theme
    return Palette(
        error=rich_colour(theme.error, "red"),
        warning=rich_colour(theme.warning, "yellow"),
        success=rich_colour(theme.success, "green"),
        accent=rich_colour(theme.accent or theme.secondary, "cyan"),
    )
