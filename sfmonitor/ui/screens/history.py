"""A job's past runs (``h``): the same object and operation in the same org, as the history file
remembers them — when, how long, how many records, how many failed, how fast, how it ended — with a
sparkline of their durations and this run against them. Enter opens a past run, read-only, from the
file. Read off the event loop; a history file that cannot be read says so here and nothing else."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable, Static

from ...bulk.models import Job
from ...numbers import clock, compact, duration, rate
from ...store.memory import Memory
from ...store.rows import Remembered
from ...store.schema import StoreError
from ...text import clip, inert
from ..cells import sparkline
from ..view import Board
from ..widgets.key_bar import KeyBar
from ..widgets.status_bar import StatusBar
from .base import BoardScreen, stage
from .past_job import PastJobScreen

RUNS = 50  # past runs listed (the newest)
COLUMNS = (("When", 12), ("Duration", 9), ("Records", 8), ("Failed", 7), ("Rec/s", 7), ("Outcome", 15), ("Job", 18))


def run_cells(run: Remembered, now: datetime) -> tuple[str, ...]:
    """A past run's row: the one way durations, counts, rates and times are written elsewhere."""
    took = run.duration_s
    job = run.job
    speed = (job.number_records_processed or 0) / took if took and job.number_records_processed is not None else None
    return (
        clock(job.created_date, now),
        duration(None if took is None else round(took * 1000)),
        compact(job.number_records_processed, 8),
        compact(job.number_records_failed, 7),
        rate(speed),
        run.outcome or run.phase,
        job.id,
    )


class HistoryScreen(BoardScreen):
    HELP_TITLE: ClassVar[str] = "past runs"
    OFFERS_ACTIONS: ClassVar[bool] = False
    DEFAULT_CSS = """
    HistoryScreen #what { padding: 0 1; height: auto; }
    HistoryScreen #usual { padding: 0 1; height: auto; }
    HistoryScreen #spark-label { padding: 0 1; color: $text-muted; }
    HistoryScreen #spark { height: 1; padding: 0 1; color: $accent; }
    HistoryScreen #runs { height: 1fr; }
    """
    BINDINGS = [
        Binding("escape", "back", "Back", id="history.back", tooltip="back to where h was pressed"),
    ]

    def __init__(self, org_key: str, history_name: str, org_name: str, job: Job, memory: Memory) -> None:
        """``org_key``: the app's name for the org; ``history_name``: the history file's; ``org_name``: shown."""
        super().__init__()
        self.org_key, self.history_name, self.org_name, self.job, self.memory = (
            org_key,
            history_name,
            org_name,
            job,
            memory,
        )
        self.runs: list[Remembered] | None = None  # None: not read yet
        self.problem: str | None = None
        self._now = datetime.now(UTC)

    def compose(self) -> ComposeResult:
        yield StatusBar(id="header")
        yield Static(Text(self._what()), id="what")
        yield Static(Text("reading the history file…", style="dim"), id="usual")
        yield Static("", id="spark-label")
        yield Static("", id="spark")
        yield DataTable(id="runs", cursor_type="row", zebra_stripes=False)
        yield KeyBar()

    def _what(self) -> str:
        return (f"past runs of {inert(self.job.object) or '(no object)'} {inert(self.job.operation)} in "
                f"{inert(self.org_name)}, newest first · this run: job {inert(self.job.id)}")  # fmt: skip

    def on_mount(self) -> None:
        super().on_mount()
        self.query_one("#runs", DataTable).focus()
        self._read()
        self.call_after_refresh(stage(self).render_view)  # its first drawing, not at the next poll

    @work(thread=True, exclusive=True)
    def _read(self) -> None:
        created = self.job.created_date.timestamp() if self.job.created_date else self._now.timestamp()
        try:
            runs = self.memory.past_runs(self.history_name, self.job.object, self.job.operation, created, RUNS)
            problem = None
        except StoreError as exc:
            runs, problem = [], str(exc)
        self.app.call_from_thread(self._arrived, runs, problem)

    def _arrived(self, runs: list[Remembered], problem: str | None) -> None:
        self.runs, self.problem = runs, problem
        self._fill()

    def draw(self, board: Board) -> None:
        self._now = board.now
        count = "" if self.runs is None else f"{len(self.runs)} past runs"
        self.query_one("#header", StatusBar).show(board.header(("history", count) if count else ("history",)),
                                                  board.palette)  # fmt: skip
        view = board.orgs.get(self.org_key)
        if view is not None:
            job = view.jobs.get(self.job.id, self.job)  # this run as the org last said, while it runs
            self.job = job
            if view.usuals is not None and self.problem is None and self.runs:
                now = board.now.timestamp()
                slow = view.usuals.slow(job, now, view.history) is not None
                self.query_one("#usual", Static).update(
                    Text(
                        view.usuals.words(job, now, view.history), style=f"bold {board.palette.warning}" if slow else ""
                    )
                )

    def _fill(self) -> None:
        usual = self.query_one("#usual", Static)
        if self.problem is not None:
            usual.update(Text(f"history not available: {self.problem}", style="bold"))
            return
        runs = self.runs or []
        if not runs:
            usual.update(Text("no past run of this object and operation is remembered for this org yet", style="dim"))
        durations = [r.duration_s or 0.0 for r in reversed(runs)]  # oldest left
        label = self.query_one("#spark-label", Static)
        spark = self.query_one("#spark", Static)
        label.display = spark.display = len(durations) >= 2
        if len(durations) >= 2:
            longest = round(max(durations) * 1000)
            label.update(Text(f"durations of the last {len(durations)} runs, oldest left · scale 0 to "
                              f"{duration(longest)}"))  # fmt: skip
            spark.update(Text(sparkline(durations[-max(10, self.size.width - 2) :])))
        table: DataTable[Text] = self.query_one("#runs", DataTable)
        table.clear(columns=True)
        for name, width in COLUMNS:
            table.add_column(name, width=width)
        for run in runs:
            cells = run_cells(run, self._now)
            bad = run.outcome in ("failed", "aborted", "records-failed")
            looks = ["bold" if bad and name == "Outcome" else "" for name, _ in COLUMNS]
            row = [Text(clip(inert(c), w), no_wrap=True, style=look)
                   for c, (_, w), look in zip(cells, COLUMNS, looks, strict=True)]  # fmt: skip
            table.add_row(*row, key=run.job.id)

    @on(DataTable.RowSelected, "#runs")
    def _open(self, event: DataTable.RowSelected) -> None:
        event.stop()
        key = event.row_key.value
        run = next((r for r in self.runs or [] if r.job.id == key), None)
        if run is not None:
            self.app.push_screen(PastJobScreen(run, self.memory))

    def action_back(self) -> None:
        self.dismiss(None)
