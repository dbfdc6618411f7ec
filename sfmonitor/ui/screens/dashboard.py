"""The main screen: every job of the org, live; a filter; the header."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.events import Resize
from textual.screen import Screen
from textual.widgets import DataTable, Input

from ...bulk.models import Job
from ...monitor.history import live_work
from ..cells import JOB_COLUMNS, NARROW, job_cells, visible
from ..messages import CycleSort, FilterChanged, OpenFailures, OpenJob
from ..view import MAX_ROWS, View
from ..widgets.jobs_table import JobsTable
from ..widgets.key_bar import KeyBar
from ..widgets.keyed_table import KeyedTable
from ..widgets.status_bar import StatusBar


class Rows(Mapping[str, tuple[Text, ...]]):
    """The table's rows, each built when the table first asks for it: a fill that adds 250 rows a
    step builds 250 rows' cells a step, not the whole table's before its first step."""

    def __init__(self, order: list[str], build: Callable[[str], tuple[Text, ...]]) -> None:
        self._keys = set(order)
        self._order = order
        self._build = build
        self._built: dict[str, tuple[Text, ...]] = {}

    def __getitem__(self, key: str) -> tuple[Text, ...]:
        if key not in self._keys:
            raise KeyError(key)
        cells = self._built.get(key)
        if cells is None:
            cells = self._built[key] = self._build(key)
        return cells

    def __contains__(self, key: object) -> bool:
        return key in self._keys

    def __iter__(self) -> Iterator[str]:
        return iter(self._order)

    def __len__(self) -> int:
        return len(self._order)


class DashboardScreen(Screen[None]):
    BINDINGS = [
        Binding(
            "slash",
            "filter",
            "Filter",
            id="filter",
            tooltip="filter the jobs by id, object, operation, state or API; enter goes to the first match",
        ),
        Binding("escape", "clear_filter", "Clear filter", show=False, id="clear_filter", tooltip="clear the filter"),
        Binding(
            "f",
            "failures",
            "Failures",
            id="jobs.failures",
            tooltip="why the selected job's rows failed: grouped by error, with their input",
        ),
        Binding("s", "sort", "Sort", id="sort", tooltip="cycle the order: running first, newest, most failed, object"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self.view: View | None = None
        self._cells: dict[str, tuple[Job, tuple[object, ...], tuple[Text, ...]]] = {}

    def compose(self) -> ComposeResult:
        yield StatusBar(id="header")
        yield JobsTable(id="jobs")
        yield Input(placeholder="filter: id, object, operation, state or API (enter: go to table, esc: clear)",
                    id="filter")  # fmt: skip
        yield KeyBar()

    def on_mount(self) -> None:
        self.query_one("#filter", Input).display = False
        self.query_one("#jobs", KeyedTable).focus()

    # --- drawing ----------------------------------------------------------------------------

    def show(self, view: View) -> None:
        sort_changed = self.view is not None and self.view.sort is not view.sort
        self.view = view
        shown, matching = view.shown_jobs()
        extra = f"sort: {view.sort.value}"
        if view.filter:
            extra += f" · filter: {view.filter!r}"
        if matching > len(shown):
            extra += f" · showing {len(shown):,} of {matching:,} (/ filters all)"
        self.query_one("#header", StatusBar).show(view.header(extra), view.palette)
        table = self.query_one("#jobs", KeyedTable)
        level, _ = view.connection.status(view.now, view.interval)
        table.set_class(level in ("offline", "stale"), "-stale")  # last known values, faded
        width = self.size.width or self.app.size.width
        table.set_columns(visible(JOB_COLUMNS, width))
        looks = (table.columns_shown, view.palette, width < NARROW, view.now.date())
        order = [job.id for job in shown]
        rows = Rows(order, lambda job_id: self._row(view, view.jobs[job_id], looks, narrow=width < NARROW))
        # a new order starts at its top: the running jobs (or the newest, the most failed) in view
        table.fill(rows, order, to_top=sort_changed)

    def _row(self, view: View, job: Job, looks: tuple[object, ...], *, narrow: bool) -> tuple[Text, ...]:
        """One job's cells; a finished job's are kept while the job and the look stay the same."""
        action = view.pending.get(job.id)
        unread = job.id in view.errors
        hint = view.top_errors.get(job.id)
        looks = (*looks, hint)
        if job.finished and not action and not unread:  # a finished job's cells change only with the job
            hit = self._cells.get(job.id)
            if hit is not None and hit[0] is job and hit[1] == looks:
                return hit[2]
        table = self.query_one("#jobs", KeyedTable)
        stalled = view.history.stalled(job, view.now.timestamp()) if live_work(job) and not unread else None
        cells = job_cells(
            job,
            view.history,
            view.now,
            table.columns_shown,
            view.palette,
            pending={"close": "closing", "abort": "aborting"}[action.value] if action else None,
            stalled=stalled,
            narrow=narrow,
            unread=unread,
            top_error=hint,
        )
        if len(self._cells) > 4 * MAX_ROWS:  # rows long gone from view: start the cache afresh
            self._cells = {}
        self._cells[job.id] = (job, looks, cells)
        return cells

    def on_resize(self, event: Resize) -> None:
        if self.view is not None:
            self.show(self.view)

    # --- what the keys act on -----------------------------------------------------------------

    def selected_job(self) -> Job | None:
        if self.view is None:
            return None
        key = self.query_one("#jobs", KeyedTable).selected_key
        return self.view.jobs.get(key) if key else None

    def action_open(self) -> None:
        job = self.selected_job()
        if job is not None:
            self.post_message(OpenJob(job.id))

    def action_failures(self) -> None:
        job = self.selected_job()
        if job is not None:
            self.post_message(OpenFailures(job.id))

    @on(DataTable.RowHighlighted, "#jobs")
    def _row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        self.refresh_bindings()  # which keys apply depends on the selected job

    @on(DataTable.RowSelected, "#jobs")
    def _row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.action_open()

    def action_sort(self) -> None:
        self.post_message(CycleSort())

    # --- filter ---------------------------------------------------------------------------------

    def action_filter(self) -> None:
        box = self.query_one("#filter", Input)
        box.display = True
        box.focus()

    @on(Input.Changed, "#filter")
    def _filter_changed(self, event: Input.Changed) -> None:
        self.post_message(FilterChanged(event.value))

    @on(Input.Submitted, "#filter")
    def _filter_done(self, event: Input.Submitted) -> None:
        table = self.query_one("#jobs", KeyedTable)
        box = self.query_one("#filter", Input)
        box.display = bool(box.value)
        table.focus()
        if table.row_count:
            table.move_cursor(row=0, animate=False)

    def action_clear_filter(self) -> None:
        box = self.query_one("#filter", Input)
        if not box.display and not box.value:
            return
        box.value = ""
        box.display = False
        self.query_one("#jobs", KeyedTable).focus()
        self.post_message(FilterChanged(""))
