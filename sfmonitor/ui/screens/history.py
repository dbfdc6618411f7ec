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
from ...monitor import usual as usual_rule
from ...monitor.history import per_second
from ...monitor.phase import Outcome
from ...monitor.usual import PastRun
from ...numbers import clock, compact, duration, plural, rate
from ...store.memory import HistoryReader, as_past_runs
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
JOB_ID = 18  # a Salesforce id, whole: the columns before it give way on a narrow terminal
COLUMNS = (("When", 12), ("Duration", 9), ("Records", 8), ("Failed", 7), ("Rec/s", 7), ("Outcome", 15), ("Job", JOB_ID))
SHRINKS = {"When": 8, "Outcome": 7}  # the narrowest these two get, in turn, so the Job column stays whole
BAD = frozenset(o.value for o in Outcome if o is not Outcome.OK)  # the outcomes shown bold


def run_cells(run: Remembered, now: datetime) -> tuple[str, ...]:
    """A past run's row: the one way durations, counts, rates and times are written elsewhere."""
    took = run.duration_s
    job = run.job
    records = job.number_records_processed
    speed = per_second(records, took) if took and records is not None else None  # PastRun.rate's rule
    return (
        clock(job.created_date, now),
        duration(None if took is None else round(took * 1000)),
        compact(job.number_records_processed, 8),
        compact(job.number_records_failed, 7),
        rate(speed),
        run.outcome or run.phase,
        job.id,
    )


def fitted(width: int) -> list[tuple[str, int]]:
    """The columns for a terminal ``width`` wide: Outcome, then When, give way (down to
    :data:`SHRINKS`) so the job id is never cut."""
    columns = dict(COLUMNS)
    over = sum(columns.values()) + 2 * len(columns) + 2 - width  # a cell's padding each side, the scrollbar
    for name in ("Outcome", "When"):
        give = max(0, min(over, columns[name] - SHRINKS[name]))
        columns[name] -= give
        over -= give
    return list(columns.items())


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

    def __init__(self, org_key: str, history_name: str, org_name: str, job: Job, memory: HistoryReader) -> None:
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
        self.usual_runs: list[PastRun] = []  # the ended runs among them that may make the usual pace
        self.problem: str | None = None
        self._columns: list[tuple[str, int]] = list(COLUMNS)
        self._now = datetime.now(UTC)

    def compose(self) -> ComposeResult:
        yield StatusBar(id="header")
        yield Static(Text(self._what()), id="what")
        yield Static(Text("reading the history…", style="dim"), id="usual")  # this machine's, or the recorder's
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
            usual_runs = as_past_runs(runs)  # the same rows: read once
            problem = None
        except StoreError as exc:
            runs, usual_runs, problem = [], [], str(exc)
        self.app.call_from_thread(self._arrived, runs, usual_runs, problem)

    def _arrived(self, runs: list[Remembered], usual_runs: list[PastRun], problem: str | None) -> None:
        self.runs, self.usual_runs, self.problem = runs, usual_runs, problem
        self._fill()
        self.call_after_refresh(stage(self).render_view)  # the usual line at once, not at the next poll

    def draw(self, board: Board) -> None:
        self._now = board.now
        count = "" if self.runs is None else plural(len(self.runs), "past run")
        self.query_one("#header", StatusBar).show(board.header(("history", count) if count else ("history",)),
                                                  board.palette)  # fmt: skip
        view = board.orgs.get(self.org_key)
        if view is not None:
            self.job = view.jobs.get(self.job.id, self.job)  # this run as the org last said, while it runs
        if self.problem is None and self.runs:
            self._usual_line(board)

    def _usual_line(self, board: Board) -> None:
        """The usual pace from the runs read here (the detail's wording), against this run."""
        job, now = self.job, board.now.timestamp()
        view = board.orgs.get(self.org_key)
        usual = usual_rule.usual_of(self.usual_runs)
        if usual is None:
            words, slow = usual_rule.not_enough(len(usual_rule.defining(self.usual_runs))), None
        else:
            throughput, slow = None, None
            if view is not None and job.id in view.jobs and job.id not in view.errors:  # as read now
                throughput = view.history.throughput(job)  # None once it has ended
                slow = view.usuals.slow(job, now, view.history) if view.usuals is not None else None
            words = usual_rule.line(usual, job, now, throughput, slow)
        style = f"bold {board.palette.warning}" if slow is not None else ""
        self.query_one("#usual", Static).update(Text(words, style=style))

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
        columns = self._columns = fitted(self.size.width or self.app.size.width)
        for name, width in columns:
            table.add_column(name, width=width)
        for run in runs:
            cells = run_cells(run, self._now)
            bad = run.outcome in BAD
            looks = ["bold" if bad and name == "Outcome" else "" for name, _ in columns]
            row = [Text(clip(inert(c), w), no_wrap=True, style=look)
                   for c, (_, w), look in zip(cells, columns, looks, strict=True)]  # fmt: skip
            table.add_row(*row, key=run.job.id)

    @on(DataTable.RowSelected, "#runs")
    def _open(self, event: DataTable.RowSelected) -> None:
        event.stop()
        key = event.row_key.value
        run = next((r for r in self.runs or [] if r.job.id == key), None)
        if run is not None:
            self.app.push_screen(PastJobScreen(run, self.memory))

    def on_resize(self) -> None:
        if self.runs is not None and fitted(self.size.width) != self._columns:
            self._fill()  # the columns given way to a narrower terminal, or back

    def action_back(self) -> None:
        self.dismiss(None)
