"""The one way a toast reaches the screen: its message and title through the project's inert rule
(``text.inert``), never read as markup.

A toast's words carry data (a job's object name or id, an org's label, a theme file's name, a
server's error) and Textual writes them to the terminal as they are: an escape sequence in them
would retitle the terminal (OSC 0), write the clipboard (OSC 52) or plant a link (OSC 8). Nothing
under ``sfmonitor/ui`` calls ``notify`` but :func:`say` (a test holds it to that).
"""

from __future__ import annotations

from typing import Any

from textual.app import App
from textual.notifications import SeverityLevel

from ..text import inert


def say(
    app: App[Any],
    message: object,
    *,
    title: object = "",
    severity: SeverityLevel = "information",
    timeout: float | None = None,
) -> None:
    """Show a toast: ``message`` and ``title`` inert (control characters as visible escapes), as text."""
    app.notify(inert(message), title=inert(title), severity=severity, timeout=timeout, markup=False)
