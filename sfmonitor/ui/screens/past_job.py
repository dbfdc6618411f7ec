"""A remembered job, read-only, from the history file: its fields as the org last gave them, its
timeline (each change recorded, thinned as it aged), a Bulk 1.0 job's batches at their final state,
and its failure groups if a failures read was recorded. Nothing here is sent to the org."""

from __future__ import annotations

import itertools
from collections import Counter
from datetime import UTC, datetime
from typing import ClassVar

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.widgets import DataTable, Static

from ...numbers import ago, clock, compact, rate
from ...store.memory import HistoryReader
from ...store.reader import Timeline
from ...store.rows import Remembered
from ...store.schema import StoreError
from ...text import clip, inert
from ..view import Board
from ..widgets.job_fields import JobFields
from ..widgets.key_bar import KeyBar
from ..widgets.status_bar import StatusBar
from .base import BoardScreen, stage

POINT_COLUMNS = (("Time", 14), ("State", 16), ("Processed", 10), ("Failed", 8), ("Rec/s", 8))


class PastJobScreen(BoardScreen):
    HELP_TITLE: ClassVar[str] = "remembered job"
    OFFERS_ACTIONS: ClassVar[bool] = False
    DEFAULT_CSS = """
    PastJobScreen #note { padding: 0 1; height: auto; }
    PastJobScreen #body { height: 1fr; }
    PastJobScreen #timeline { height: auto; max-height: 20; }
    PastJobScreen .title { padding: 0 1; text-style: bold; }
    PastJobScreen #batches, PastJobScreen #groups { padding: 0 1; height: auto; }
    """
    BINDINGS = [Binding("escape", "back", "Back", id="past.back", tooltip="back to where it was opened")]

    def __init__(self, run: Remembered, memory: HistoryReader) -> None:
        super().__init__()
        self.run, self.memory = run, memory
        self.timeline: Timeline | None = None
        self._now = datetime.now(UTC)

    def compose(self) -> ComposeResult:
        yield StatusBar(id="header")
        yield Static("", id="note")
        with VerticalScroll(id="body"):
            yield JobFields(id="fields")
            yield Static(Text("timeline"), classes="title")
            yield DataTable(id="timeline", cursor_type="row", zebra_stripes=False)
            yield Static("", id="batches")
            yield Static("", id="groups")
        yield KeyBar()

    def on_mount(self) -> None:
        super().on_mount()
        self.query_one("#timeline", DataTable).focus()
        self._read()
        self.call_after_refresh(stage(self).render_view)  # its first drawing, not at the next poll

    @work(thread=True, exclusive=True)
    def _read(self) -> None:
        try:
            found: Timeline | str = self.memory.timeline(self.run)
        except StoreError as exc:
            found = str(exc)
        self.app.call_from_thread(self._arrived, found)

    def draw(self, board: Board) -> None:
        self._now = board.now
        extra = (f"job {self.run.job.id}", "remembered")
        self.query_one("#header", StatusBar).show(board.header(extra), board.palette)
        seen = ago((board.now - datetime.fromtimestamp(self.run.seen_last, UTC)).total_seconds())
        note = f"remembered: read from the history file; its last recorded change in {inert(self.run.org)} {seen}"
        self.query_one("#note", Static).update(Text(f"{note}; nothing can be sent for it from here", style="dim"))
        self.query_one("#fields", JobFields).show(self.run.job, f"bold {board.palette.error}", board.now,
                                                  self.size.width or self.app.size.width)  # fmt: skip

    def _arrived(self, found: Timeline | str) -> None:
        table: DataTable[Text] = self.query_one("#timeline", DataTable)
        if isinstance(found, str):
            self.query_one("#batches", Static).update(Text(f"history not available: {found}", style="bold"))
            return
        self.timeline = found
        table.clear(columns=True)
        for name, width in POINT_COLUMNS:
            table.add_column(name, width=width)
        previous = None
        for index, point in enumerate(found.points):
            speed = None
            if previous is not None and point.at > previous.at and None not in (point.processed, previous.processed):
                speed = max(0, (point.processed or 0) - (previous.processed or 0)) / (point.at - previous.at)
            moment = datetime.fromtimestamp(point.at, UTC)
            cells = (clock(moment, self._now), inert(point.state or "-"), compact(point.processed, 10),
                     compact(point.failed, 8), rate(speed))  # fmt: skip
            table.add_row(*(Text(clip(c, w), no_wrap=True) for c, (_, w) in zip(cells, POINT_COLUMNS, strict=True)),
                          key=str(index))  # fmt: skip
            previous = point
        self.query_one("#batches", Static).update(Text(batches_line(found)))
        self.query_one("#groups", Static).update(Text(groups_text(found, self._now)))

    def action_back(self) -> None:
        self.dismiss(None)


def batches_line(found: Timeline) -> str:
    if not found.batches:
        return ""
    states = Counter(b.state for b in found.batches)
    told = ", ".join(f"{n:,} {inert(state)}" for state, n in states.most_common())
    slow = sorted((b for b in found.batches if b.total_ms is not None), key=lambda b: -(b.total_ms or 0))[:3]
    slowest = "; slowest: " + ", ".join(f"{inert(b.id)} {compact(b.total_ms, 8)} ms" for b in slow) if slow else ""
    return f"batches at their end: {told}{slowest}"


def groups_text(found: Timeline, now: datetime) -> str:
    """The failure groups as recorded, and when they were read: ``why rows failed (as read Nov 19
    14:29, 9d ago):``."""
    if not found.failure_groups:
        return ""
    when = "at an unknown time"
    if found.failures_read_at is not None:
        read = datetime.fromtimestamp(found.failures_read_at, UTC)
        when = f"{clock(read, now)}, {ago((now - read).total_seconds())}"
    lines = [f"why rows failed (as read {when}):"]
    lines += [f"  {rows:>8,}  {inert(code)}: {clip(inert(message), 90)}" for code, message, rows in
              itertools.islice(found.failure_groups, 20)]  # fmt: skip
    return "\n".join(lines)
