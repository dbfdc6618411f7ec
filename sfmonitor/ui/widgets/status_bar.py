"""The header: which org, API usage, daily batch allocation, when data last arrived, and trouble."""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual.widgets import Static

from ...bulk.models import ApiUsage, Limit
from ...text import inert
from ..cells import Palette


@dataclass(frozen=True)
class HeaderInfo:
    org: str
    usage: ApiUsage | None
    batches: Limit | None
    updated: str  # "updated 06:31:05" or "connecting…"
    level: str  # ok | paused | stale | offline
    trouble: str  # words for the level, "" when ok
    jobs: int
    running: int
    extra: str = ""  # sort mode, filter
    spend: str = ""  # sfmonitor's own API calls


class StatusBar(Static):
    DEFAULT_CSS = """
    StatusBar { height: 2; padding: 0 1; background: $panel; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__("", id=id)
        self._last: Text | None = None
        self._lines = 0
        self._width = 0

    def show(self, info: HeaderInfo, palette: Palette) -> None:
        """Redraw only if the text changed: an idle dashboard stays quiet. A new layout (which
        repaints the whole screen) only when the header's height changes."""
        text = render(info, palette)
        width = max(1, (self.size.width or self.app.size.width) - 2)  # padding 0 1
        same = self._last is not None and text.plain == self._last.plain and text.spans == self._last.spans
        if same and width == self._width:
            return
        self._last, self._width = text, width
        lines = min(3, max(2, len(text.wrap(self.app.console, width))))  # a line kept for trouble
        if lines != self._lines:
            self.styles.height = lines  # a new height: the one layout (whole-screen repaint) it needs
            self._lines = lines
        self.update(text, layout=False)


def render(info: HeaderInfo, palette: Palette) -> Text:
    text = Text(no_wrap=False, overflow="fold")
    text.append(inert(info.org), style="bold")
    if info.usage is not None:
        share = info.usage.fraction
        style = f"bold {palette.error}" if share > 0.95 else (f"bold {palette.warning}" if share > 0.8 else "")
        text.append("  API ")
        text.append(f"{info.usage.used:,}/{info.usage.max:,} ({share:.0%})", style=style)
    if info.spend:
        text.append(f" {info.spend}", style="dim" if "budget" not in info.spend else f"{palette.warning}")
    if info.batches is not None:
        used = info.batches.used
        share = used / info.batches.max if info.batches.max else 0.0
        style = f"bold {palette.error}" if share > 0.95 else (f"bold {palette.warning}" if share > 0.8 else "")
        text.append("  batches ")
        text.append(f"{used:,}/{info.batches.max:,}", style=style)
    text.append(f"  {info.jobs} jobs, {info.running} running  {info.updated}")
    if info.extra:
        text.append(f"  {inert(info.extra)}", style="dim")
    if info.trouble:
        style = {"paused": f"bold {palette.warning}", "stale": f"bold {palette.warning}"}.get(
            info.level, f"bold {palette.error}"
        )
        text.append("\n")
        text.append(inert(info.trouble), style=style)
    return text
