"""The header: which org, API usage, daily batch allocation, when data last arrived, and trouble."""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual.widgets import Static

from ...bulk.models import ApiUsage, Limit
from ...text import inert
from ..cells import Palette


@dataclass(frozen=True)
class Chip:
    """One org of several, in a few words: its label, how it goes, API usage, sfmonitor's spend."""

    label: str
    colour: str | None
    level: str  # ok | paused | stale | offline
    words: str  # "ok", "offline 2m", "not connected", "connecting…"
    usage: ApiUsage | None
    spend: str  # "41/h", "" before any call
    read_only: bool = False


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
    chips: tuple[Chip, ...] = ()  # several orgs: one chip each instead of the one org's name and usage


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
        width = max(1, (self.size.width or self.app.size.width) - 2)  # padding 0 1
        text = render(info, palette, width)
        same = self._last is not None and text.plain == self._last.plain and text.spans == self._last.spans
        if same and width == self._width:
            return
        self._last, self._width = text, width
        most = 4 if info.chips else 3  # several orgs: a line of chips on top
        lines = min(most, max(2, len(text.wrap(self.app.console, width))))  # a line kept for trouble
        if lines != self._lines:
            self.styles.height = lines  # a new height: the one layout (whole-screen repaint) it needs
            self._lines = lines
        self.update(text, layout=False)


def _share_style(share: float, palette: Palette) -> str:
    return f"bold {palette.error}" if share > 0.95 else (f"bold {palette.warning}" if share > 0.8 else "")


def chips_line(chips: tuple[Chip, ...], palette: Palette, *, compact: bool = False) -> Text:
    """One chip per org; ``compact`` (a narrow screen): without the words API and mine."""
    text = Text()
    level_style = {"ok": palette.success, "paused": palette.warning, "stale": f"bold {palette.warning}",
                   "offline": f"bold {palette.error}"}  # fmt: skip
    for n, chip in enumerate(chips):
        if n:
            text.append(" │ ", style="dim")
        text.append(inert(chip.label), style=f"bold {chip.colour}" if chip.colour else "bold")
        text.append(f" {chip.words}", style=level_style.get(chip.level, ""))
        if chip.read_only:
            text.append(" RO", style="dim")
        if chip.usage is not None:
            text.append(" " if compact else " API ")
            text.append(f"{chip.usage.fraction:.0%}", style=_share_style(chip.usage.fraction, palette))
        if chip.spend:
            text.append(f" {chip.spend}" if compact else f" mine {chip.spend}", style="dim")
    return text


def render(info: HeaderInfo, palette: Palette, width: int = 120) -> Text:
    text = Text(no_wrap=False, overflow="fold")
    if info.chips:
        line = chips_line(info.chips, palette)
        text.append_text(line if line.cell_len <= width else chips_line(info.chips, palette, compact=True))
        text.append("\n")
    else:
        text.append(inert(info.org), style="bold")
    if info.usage is not None:
        share = info.usage.fraction
        text.append("  API ")
        text.append(f"{info.usage.used:,}/{info.usage.max:,} ({share:.0%})", style=_share_style(share, palette))
    if info.spend:
        text.append(f" {info.spend}", style="dim" if "budget" not in info.spend else f"{palette.warning}")
    if info.batches is not None:
        used = info.batches.used
        share = used / info.batches.max if info.batches.max else 0.0
        style = _share_style(share, palette)
        text.append("  batches ")
        text.append(f"{used:,}/{info.batches.max:,}", style=style)
    text.append(f"{'' if info.chips else '  '}{info.jobs} jobs, {info.running} running  {info.updated}")
    if info.extra:
        text.append(f"  {inert(info.extra)}", style="dim")
    if info.trouble:
        style = {"paused": f"bold {palette.warning}", "stale": f"bold {palette.warning}"}.get(
            info.level, f"bold {palette.error}"
        )
        text.append("\n")
        text.append(inert(info.trouble), style=style)
    return text
