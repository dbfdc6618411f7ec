"""The header: which org, API usage, daily batch allocation, when data last arrived, and trouble."""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual.geometry import Region
from textual.widget import Widget

from ...bulk.models import ApiUsage, Limit
from ...numbers import plural
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
    spend_warn: bool = False  # the spend in the warning colour (monitor.spend.pace_warns)
    pace: str = ""  # "idle", "stretched" (monitor.spend.Polling.mark), "" at the operator's interval


@dataclass(frozen=True)
class AlertNote:
    """The newest alert, for the header's alert line."""

    when: str  # "14:31:02"
    title: str
    body: str
    bad: bool
    more: int  # alerts besides it since the operator last opened the alerts screen
    seen: bool  # the operator has opened the alerts screen since it came


ALERTS_KEY = "!"  # the key of the alerts screen, as the alert line names it


@dataclass(frozen=True)
class HeaderInfo:
    org: str
    usage: ApiUsage | None
    batches: Limit | None
    updated: str  # "updated 06:31:05" or "connecting…"
    level: str  # ok | paused | stale | offline
    trouble: str  # words for the level; when ok, how the org is polled if not at the interval (dim), else ""
    jobs: int
    running: int
    waiting: int = 0  # jobs waiting on their client (not counted as running)
    extra: tuple[str, ...] = ()  # what the screen shows (its job, say): each a phrase, kept long
    notes: tuple[str, ...] = ()  # sort mode, filter: phrases dropped first when the line is short
    spend: str = ""  # sfmonitor's own API calls
    spend_warn: bool = False  # its day's projection runs high, or the budget stretches the interval
    chips: tuple[Chip, ...] = ()  # several orgs: one chip each instead of the one org's name and usage
    totals: tuple[str, ...] = ()  # the last hour's and today's records, running jobs by API (tall screens)
    production: bool = False  # one org: PRODUCTION after its name
    marks: tuple[tuple[str, str], ...] = ()  # (words, shorter words) that stay: read-only, muted
    alert: AlertNote | None = None  # the newest alert (None: none yet)


class StatusBar(Widget):
    """The header, the same height whatever it says: its lines are fixed by the screen's width and
    height and the orgs watched (:func:`height`), and a phrase that does not fit is shortened or
    dropped, least important first, never wrapped. The table below it never moves, and a poll that
    changes one line (the time of the data) repaints that line only."""

    DEFAULT_CSS = """
    StatusBar { height: 3; padding: 0 1; background: $panel; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._text = Text()
        self._lines = 0
        self._width = 0
        self._shown: tuple[HeaderInfo, Palette] | None = None  # what it says, redrawn for a new width

    def on_resize(self) -> None:
        """A new width (the terminal resized): the phrases are fitted again now, not at the next poll."""
        if self._shown is not None:
            self.show(*self._shown)

    @property
    def content(self) -> Text:
        """What the header says now."""
        return self._text

    def render(self) -> Text:
        return self._text

    def show(self, info: HeaderInfo, palette: Palette) -> None:
        """Redraw the lines whose text changed, only: an idle dashboard stays quiet. A new layout
        (which repaints the whole screen) only when the screen's size class changes the height."""
        self._shown = (info, palette)
        width = max(1, (self.size.width or self.app.size.width) - 2)  # padding 0 1
        text = render(info, palette, width)
        before = [(line.plain, line.spans) for line in self._text.split("\n")]
        after = [(line.plain, line.spans) for line in text.split("\n")]
        if before == after and width == self._width:
            return
        self._text = text
        lines = height(info, width)
        if lines != self._lines or width != self._width:
            self._lines, self._width = lines, width
            self.styles.height = lines  # a new height: the one layout (whole-screen repaint) it needs
            self.refresh()
            return
        changed = [y for y, line in enumerate(after) if y >= len(before) or before[y] != line]
        self.refresh(*(Region(0, y, self.content_size.width, 1) for y in changed))


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
        style = palette.warning if chip.spend_warn else "dim"
        text.append(f" mine {chip.spend}" if form == "full" else f" {chip.spend}", style=style)
    if chip.pace and form != "tight":
        text.append(f" {chip.pace}", style=palette.warning if chip.pace == "stretched" else "dim")
    return text


def _pack(parts: list[Text], width: int, separators: str | list[str] = SEPARATOR) -> list[Text]:
    """Phrases (chips, totals) into lines no wider than ``width``, broken between them, never inside
    one. ``separators``: what goes before each part that shares a line with the one before it."""
    lines: list[Text] = []
    for i, part in enumerate(parts):
        separator = separators if isinstance(separators, str) else separators[i]
        if lines and lines[-1].cell_len + len(separator) + part.cell_len <= width:
            lines[-1].append(separator, style="dim")
            lines[-1].append_text(part)
        else:
            lines.append(part.copy())
    return lines


def _fixed(lines: list[Text], count: int, width: int) -> list[Text]:
    """Exactly ``count`` lines, each cut to ``width`` (an ellipsis where cut): never a wrapped one."""
    out = [line.copy() for line in lines[:count]] + [Text() for _ in range(count - len(lines))]
    for line in out:
        line.truncate(width, overflow="ellipsis")
    return out


def chip_lines(chips: tuple[Chip, ...], width: int) -> int:
    """The lines the chips get: one when every chip fits in its tightest form with long words
    ("offline 12m"), else CHIP_LINES. It depends on the orgs and the width only, never on what the
    chips say now (longer words, or usage running high, on one line: the last orgs are counted)."""
    widest = sum(len(chip.label) + len(f" {PROD_CHIP}") * chip.production + len(" offline 12m")
                 + len(" RO") * chip.read_only + len(SEPARATOR) for chip in chips)  # fmt: skip
    return 1 if widest - len(SEPARATOR) <= width else CHIP_LINES


def chips_lines(chips: tuple[Chip, ...], palette: Palette, width: int, most: int = CHIP_LINES) -> Text:
    """Every org's chip in at most ``most`` lines: the fullest form that fits; when even the
    tightest does not, the last line ends with how many orgs are not drawn."""
    for form in ("full", "compact", "tight"):
        lines = _pack([chip_text(chip, palette, form) for chip in chips], width)
        if len(lines) == 1 if form == "full" else len(lines) <= most:
            return Text("\n").join(lines)
    parts = [chip_text(chip, palette, "tight") for chip in chips]
    for shown in range(len(parts) - 1, 0, -1):
        more = Text(f"+{len(parts) - shown} more orgs (o: one at a time)", style="dim")
        lines = _pack([*parts[:shown], more], width)
        if len(lines) <= most:
            return Text("\n").join(lines)
    return Text("\n").join(_fixed(_pack(parts, width), most, width))


def _clip(text: Text, cells: int) -> Text:
    if text.cell_len <= cells:
        return text
    short = text.copy()
    short.truncate(cells, overflow="ellipsis")
    return short


@dataclass
class _Phrase:
    forms: list[Text]  # fullest first; an empty one is the phrase dropped
    separator: str  # what goes before it, after another phrase
    form: int = 0


def _fit(phrases: list[_Phrase], cuts: list[int], width: int) -> Text:
    """The phrases on one line, in their order: while the line is too wide, the next cut (a phrase's
    index) shortens or drops that phrase; what still does not fit ends with an ellipsis."""

    def line() -> Text:
        out = Text()
        for phrase in phrases:
            form = phrase.forms[min(phrase.form, len(phrase.forms) - 1)]
            if form.plain:
                if out.plain:
                    out.append(phrase.separator, style="dim")
                out.append_text(form)
        return out

    text = line()
    for cut in cuts:
        if text.cell_len <= width:
            break
        phrases[cut].form += 1
        text = line()
    return _fixed([text], 1, width)[0]


CLIP = 24  # a note (a filter, say) is cut to this many cells before it is dropped; an extra to twice that


def _status(info: HeaderInfo, palette: Palette, width: int) -> Text:
    """The status line: the org, its API usage and batches, the jobs, when data last came, the marks
    and the screen's phrases; shortened and dropped in CUT order when the line is too narrow."""
    drop = Text()
    org = Text(inert(info.org), style="bold")
    if info.production:
        org.append(f" {PROD_HEADER}", style=f"bold {palette.error}")
    spend_style = palette.warning if info.spend_warn else "dim"
    spend = Text(info.spend, style=spend_style)
    usage = [spend, drop, drop, drop]  # with sfmonitor's spend, without it, short, dropped
    if info.usage is not None:
        share, style = info.usage.fraction, _share_style(info.usage.fraction, palette)
        full = Text("API ").append(f"{info.usage.used:,}/{info.usage.max:,} ({share:.0%})", style=style)
        spent = full.copy().append(f" {info.spend}", style=spend_style) if info.spend else full
        usage = [spent, full, Text("API ").append(f"{share:.0%}", style=style), drop]
    batches = drop
    if info.batches is not None:
        used, most = info.batches.used, info.batches.max
        share = used / most if most else 0.0
        batches = Text("batches today ").append(f"{used:,}/{most:,}", style=_share_style(share, palette))
    jobs = f"{plural(info.jobs, 'job')}, {info.running:,} running"
    waiting = [f"{jobs}, {info.waiting:,} waiting on their client", f"{jobs}, {info.waiting:,} waiting"]
    jobs_forms = [Text(form) for form in (waiting if info.waiting else [jobs])]
    updated = Text(info.updated)
    marks = [_Phrase([Text(full, style="bold"), Text(short, style="bold")], " · ") for full, short in info.marks]
    extras = [_Phrase([Text(p, style="dim"), _clip(Text(p, style="dim"), 2 * CLIP), drop], " · ")
              for p in map(inert, info.extra)]  # fmt: skip
    notes = [_Phrase([Text(p, style="dim"), _clip(Text(p, style="dim"), CLIP), drop], " · ")
             for p in map(inert, info.notes)]  # fmt: skip
    phrases = [_Phrase([org, _clip(org, 30)] if info.org else [drop], "  "), _Phrase(usage, "  "),
               _Phrase([batches, drop], "  "), _Phrase(jobs_forms, "  "),
               _Phrase([updated, _clip(updated, CLIP)], "  "), *marks, *extras, *notes]  # fmt: skip
    if len(phrases) > 5:
        phrases[5].separator = "  "
    marks_at, extras_at, notes_at = 5, 5 + len(marks), 5 + len(marks) + len(extras)

    def last_first(start: int, end: int) -> list[int]:
        return list(range(end - 1, start - 1, -1))

    note_ids, extra_ids = last_first(notes_at, len(phrases)), last_first(extras_at, notes_at)
    # the notes clipped, the batches, the notes dropped, the waiting words, sfmonitor's spend (what
    # the operator pays for watching outlasts the sort, the day's batches and the long words), the
    # usage's figures, the extras clipped, the updated time clipped, the marks' short words, the
    # usage, the extras dropped, the org clipped
    cuts = [*note_ids, 2, *note_ids, 3, 1, 1, *extra_ids, 4, *last_first(marks_at, extras_at), 1, *extra_ids, 0]
    return _fit(phrases, cuts, width)


def totals_lines(width: int) -> int:
    return 1 if width >= 160 else 2


def height(info: HeaderInfo, width: int) -> int:
    """The header's lines at this width: the chips (several orgs), the status, the totals (tall
    screens), the trouble, the newest alert. What they say never changes it."""
    chips = chip_lines(info.chips, width) if info.chips else 0
    return chips + 1 + (totals_lines(width) if info.totals else 0) + 2


def _alert(note: AlertNote | None, palette: Palette, width: int) -> Text:
    """The newest alert (bold while new) and how many more came since the alerts screen was opened."""
    if note is None:
        return _fixed([Text(f"no alerts yet · {ALERTS_KEY} lists the session's alerts", style="dim")], 1, width)[0]
    style = "dim" if note.seen else (f"bold {palette.error}" if note.bad else f"bold {palette.success}")
    tail = Text(f"  +{note.more} more ({ALERTS_KEY})" if note.more else f"  ({ALERTS_KEY}: all alerts)", style="dim")
    line = Text(f"{note.when} ", style="dim").append(inert(note.title), style=style)
    line.append(f" · {inert(note.body)}", style="" if not note.seen else "dim")
    line.truncate(max(1, width - tail.cell_len), overflow="ellipsis")
    return _fixed([line.append_text(tail)], 1, width)[0]


def render(info: HeaderInfo, palette: Palette, width: int = 120) -> Text:
    """The header's :func:`height` lines: the chips (several orgs), the status, the totals (tall
    screens), the trouble (when all is well: blank, or how the org is polled, dim), the newest alert."""
    lines: list[Text] = []
    if info.chips:
        most = chip_lines(info.chips, width)
        lines += _fixed(list(chips_lines(info.chips, palette, width, most).split("\n")), most, width)
    lines.append(_status(info, palette, width))
    if info.totals:
        lines += _fixed(_pack([Text(phrase, style="dim") for phrase in info.totals], width, " · "),
                        totals_lines(width), width)  # fmt: skip
    style = {"ok": "dim", "paused": f"bold {palette.warning}", "stale": f"bold {palette.warning}"}.get(
        info.level, f"bold {palette.error}"
    )
    lines += _fixed([Text(inert(info.trouble), style=style)], 1, width)
    lines.append(_alert(info.alert, palette, width))
    return Text("\n", no_wrap=True, overflow="ellipsis").join(lines)
