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
    production: bool = False  # marked PROD, in the error colour


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
    extra: tuple[str, ...] = ()  # sort mode, filter, what the screen shows: each a phrase
    spend: str = ""  # sfmonitor's own API calls
    chips: tuple[Chip, ...] = ()  # several orgs: one chip each instead of the one org's name and usage
    totals: tuple[str, ...] = ()  # the last hour's and today's records, running jobs by API (tall screens)
    production: bool = False  # one org: PRODUCTION after its name


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
        most = 3 + (CHIP_LINES if info.chips else 0) + (2 if info.totals else 0)  # status, totals, trouble
        lines = min(most, max(2, len(text.wrap(self.app.console, width))))  # a line kept for trouble
        if lines != self._lines:
            self.styles.height = lines  # a new height: the one layout (whole-screen repaint) it needs
            self._lines = lines
        self.update(text, layout=False)


def _share_style(share: float, palette: Palette) -> str:
    return f"bold {palette.error}" if share > 0.95 else (f"bold {palette.warning}" if share > 0.8 else "")


PROD_CHIP, PROD_HEADER = "PROD", "PRODUCTION"  # the production mark: on a chip, after the one org's name
CHIP_LINES = 2  # the most lines the chips take; orgs beyond them are counted, not drawn
SEPARATOR = " │ "


def chip_text(chip: Chip, palette: Palette, form: str = "full") -> Text:
    """One org's chip. ``form``: full ("API 19% mine 87/h"), compact ("19% 87/h", a narrow screen),
    tight (usage only when it runs high, no spend: many orgs)."""
    text = Text()
    level_style = {"ok": palette.success, "paused": palette.warning, "stale": f"bold {palette.warning}",
                   "offline": f"bold {palette.error}"}  # fmt: skip
    text.append(inert(chip.label), style=f"bold {chip.colour}" if chip.colour else "bold")
    if chip.production:
        text.append(f" {PROD_CHIP}", style=f"bold {palette.error}")
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


def _pack(parts: list[Text], width: int, separators: str | list[str] = SEPARATOR) -> list[Text]:
    """Phrases (chips, the status's parts) into lines no wider than ``width``, broken between
    them, never inside one (a phrase wider than the line is left to fold). ``separators``: what
    goes before each part that shares a line with the one before it."""
    lines: list[Text] = []
    for i, part in enumerate(parts):
        separator = separators if isinstance(separators, str) else separators[i]
        if lines and lines[-1].cell_len + len(separator) + part.cell_len <= width:
            lines[-1].append(separator, style="dim")
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


def _status_parts(info: HeaderInfo, palette: Palette) -> list[Text]:
    parts = [] if info.chips else [Text(inert(info.org), style="bold")]
    if parts and info.production:
        parts[0].append(f" {PROD_HEADER}", style=f"bold {palette.error}")
    spend_style = "dim" if "budget" not in info.spend else palette.warning
    if info.usage is not None:
        share = info.usage.fraction
        usage = Text("API ")
        usage.append(f"{info.usage.used:,}/{info.usage.max:,} ({share:.0%})", style=_share_style(share, palette))
        parts.append(usage.append(f" {info.spend}" if info.spend else "", style=spend_style))
    elif info.spend:
        parts.append(Text(info.spend, style=spend_style))
    if info.batches is not None:
        used = info.batches.used
        share = used / info.batches.max if info.batches.max else 0.0
        batches = Text("batches today ")
        parts.append(batches.append(f"{used:,}/{info.batches.max:,}", style=_share_style(share, palette)))
    waiting = f", {info.waiting} waiting on their client" if info.waiting else ""
    parts += [Text(f"{info.jobs} jobs, {info.running} running{waiting}"), Text(info.updated)]
    return parts


def render(info: HeaderInfo, palette: Palette, width: int = 120) -> Text:
    """The header's lines: the chips (several orgs), the status, the totals (tall screens), the
    trouble. Each is packed phrase by phrase, so a narrow screen breaks between phrases."""
    lines: list[Text] = []
    if info.chips:
        lines.append(chips_lines(info.chips, palette, width))
    status = _status_parts(info, palette)
    extra = [Text(inert(phrase), style="dim") for phrase in info.extra]
    separators = ["  "] * len(status) + [" · " if i else "  " for i in range(len(extra))]
    lines += _pack(status + extra, width, separators)
    if info.totals:
        lines += _pack([Text(phrase, style="dim") for phrase in info.totals], width, " · ")
    if info.trouble:
        style = {"paused": f"bold {palette.warning}", "stale": f"bold {palette.warning}"}.get(
            info.level, f"bold {palette.error}"
        )
        lines.append(Text(inert(info.trouble), style=style))
    return Text("\n", no_wrap=False, overflow="fold").join(lines)
