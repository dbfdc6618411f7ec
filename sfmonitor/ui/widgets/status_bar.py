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
    words: str  # "ok", "offline 2m", "not connected", "connecting…", "reading…"
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
    waiting: int = 0  # jobs waiting on their client (not counted as running)
    extra: str = ""  # sort mode, filter
    spend: str = ""  # sfmonitor's own API calls
    chips: tuple[Chip, ...] = ()  # several orgs: one chip each instead of the one org's name and usage
    totals: str = ""  # records of the last hour and today, running jobs by API (a tall screen's line)


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
        most = (3 + CHIP_LINES if info.chips else 3) + bool(info.totals)  # several orgs: chips on top
        lines = min(most, max(2, len(text.wrap(self.app.console, width))))  # a line kept for trouble
        if lines != self._lines:
            self.styles.height = lines  # a new height: the one layout (whole-screen repaint) it needs
            self._lines = lines
        self.update(text, layout=False)


def _share_style(share: float, palette: Palette) -> str:
    return f"bold {palette.error}" if share > 0.95 else (f"bold {palette.warning}" if share > 0.8 else "")


CHIP_LINES = 2  # the most lines the chips take; orgs beyond them are counted, not drawn
SEPARATOR = " │ "


def chip_text(chip: Chip, palette: Palette, form: str = "full") -> Text:
    """One org's chip. ``form``: full ("API 19% mine 87/h"), compact ("19% 87/h", a narrow screen),
    tight (usage only when it runs high, no spend: many orgs)."""
    text = Text()
    level_style = {"ok": palette.success, "paused": palette.warning, "stale": f"bold {palette.warning}",
                   "offline": f"bold {palette.error}"}  # fmt: skip
    text.append(inert(chip.label), style=f"bold {chip.colour}" if chip.colour else "bold")
    text.append(f" {chip.words}", style=level_style.get(chip.level, ""))
    if chip.read_only:
        text.append(" RO", style="dim")
    share = chip.usage.fraction if chip.usage is not None else None
    if share is not None and (form != "tight" or share > 0.8):
        text.append(" API " if form == "full" else " ")
        text.append(f"{share:.0%}", style=_share_style(share, palette))
    if chip.spend and form != "tight":
        text.append(f" mine {chip.spend}" if form == "full" else f" {chip.spend}", style="dim")
    return text


def _pack(parts: list[Text], width: int) -> list[Text]:
    """Chips into lines no wider than ``width``, broken between chips, never inside one."""
    lines: list[Text] = []
    for part in parts:
        if lines and lines[-1].cell_len + len(SEPARATOR) + part.cell_len <= width:
            lines[-1].append(SEPARATOR, style="dim")
            lines[-1].append_text(part)
        else:
            lines.append(part.copy())
    return lines


def chips_lines(chips: tuple[Chip, ...], palette: Palette, width: int) -> Text:
    """Every org's chip in at most CHIP_LINES lines: the fullest form that fits; when even the
    tightest does not, the last line ends with how many orgs are not drawn."""
    for form in ("full", "compact", "tight"):
        lines = _pack([chip_text(chip, palette, form) for chip in chips], width)
        if len(lines) == 1 if form == "full" else len(lines) <= CHIP_LINES:
            return Text("\n").join(lines)
    parts = [chip_text(chip, palette, "tight") for chip in chips]
    for shown in range(len(parts) - 1, 0, -1):
        more = Text(f"+{len(parts) - shown} more orgs (o: one at a time)", style="dim")
        lines = _pack([*parts[:shown], more], width)
        if len(lines) <= CHIP_LINES:
            return Text("\n").join(lines)
    return Text("\n").join(_pack(parts, width)[:CHIP_LINES])


def render(info: HeaderInfo, palette: Palette, width: int = 120) -> Text:
    text = Text(no_wrap=False, overflow="fold")
    if info.chips:
        text.append_text(chips_lines(info.chips, palette, width))
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
        text.append("  batches today ")
        text.append(f"{used:,}/{info.batches.max:,}", style=style)
    waiting = f", {info.waiting} waiting on their client" if info.waiting else ""
    text.append(f"{'' if info.chips else '  '}{info.jobs} jobs, {info.running} running{waiting}  {info.updated}")
    if info.extra:
        text.append(f"  {inert(info.extra)}", style="dim")
    if info.totals:
        text.append("\n")
        text.append(info.totals, style="dim")
    if info.trouble:
        style = {"paused": f"bold {palette.warning}", "stale": f"bold {palette.warning}"}.get(
            info.level, f"bold {palette.error}"
        )
        text.append("\n")
        text.append(inert(info.trouble), style=style)
    return text
