"""The main screen: every job of the org, live; a filter; the header."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import replace
from datetime import UTC, datetime
from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.events import Resize
from textual.widgets import DataTable, Input

from ...bulk.models import Job
from ...monitor.history import live_work
from ...monitor.totals import totals
from ..cells import COLUMN_HELP, JOB_COLUMNS, NARROW, ORG_COLUMN, OrgCell, job_cells, visible
from ..messages import CycleSort, FilterChanged, NextOrg, OpenFailures, OpenJob, ShowLeft
from ..view import MAX_ROWS, Board, View
from ..widgets.jobs_table import JobsTable
from ..widgets.key_bar import KeyBar
from ..widgets.keyed_table import KeyedTable
from ..widgets.status_bar import StatusBar
from .base import BoardScreen


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


TOTALS_FROM_ROWS = 30  # the org totals line, on screens this tall (80x24 keeps its rows for jobs)


class DashboardScreen(BoardScreen):
    HELP_COLUMNS: ClassVar[tuple[tuple[str, str], ...]] = COLUMN_HELP
    BINDINGS = [
        Binding(
            "slash",
            "filter",
            "Filter",
            id="filter",
            tooltip="filter the jobs by id, object, operation, state, API or org; enter goes to the first match",
        ),
        Binding("escape", "clear_filter", "Clear filter", show=False, id="clear_filter", tooltip="clear the filter"),
        Binding(
            "f",
            "failures",
            "Failures",
            id="jobs.failures",
            tooltip="why the selected job's rows failed: grouped by error, with their input",
        ),
        Binding("o", "next_org", "Org", id="org", tooltip="several orgs: show all of them, then each org in turn"),
        Binding(
            "H",
            "show_left",
            "Left jobs",
            id="left_jobs",
            show=False,
            tooltip="show or hide the remembered jobs that left the org (history; Salesforce drops a job 7 days "
            "after it ends): faded, marked ~, read-only",
        ),
        Binding(
            "s",
            "sort",
            "Sort",
            id="sort",
            tooltip="cycle the order: running first, newest, most failed, object (and org, when several)",
        ),
    ]

    def __init__(self, *, several: bool = False) -> None:
        super().__init__()
        self.several = several  # several orgs are watched: o cycles them
        self.view: Board | None = None
        self._cells: dict[str, tuple[Job, tuple[object, ...], tuple[Text, ...]]] = {}  # by row key

    def compose(self) -> ComposeResult:
        yield StatusBar(id="header")
        yield JobsTable(id="jobs")
        yield Input(placeholder="filter: id, object, operation, state, API or org (enter: go to table, esc: clear)",
                    id="filter")  # fmt: skip
        yield KeyBar()

    def on_mount(self) -> None:
        self.query_one("#filter", Input).display = False
        self.query_one("#jobs", KeyedTable).focus()

    # --- drawing ----------------------------------------------------------------------------

    def draw(self, board: Board) -> None:
        self.show(board)

    def show(self, board: Board) -> None:
        sort_changed = self.view is not None and self.view.sort is not board.sort
        self.view = board
        order, matching = board.shown_rows()
        marks = [("alerts muted (m)", "muted")] if board.muted else []
        memory = board.memory_mark()
        if memory is not None:
            marks.insert(0, memory)
        if board.history_fault is not None:
            marks.append(("history off (? says why)", "no history"))
        if not board.several and board.first.read_only:
            marks.insert(0, ("read-only: no close or abort", "read-only"))  # several orgs: RO on each chip
        notes = [f"showing {len(order):,} of {matching:,} (/ filters all)"] if matching > len(order) else []
        if board.filter:
            notes.append(f"filter: {board.filter!r}")
        notes.append(f"sort: {board.sort.value}")  # the first phrase dropped when the line is short
        info = board.header(marks=tuple(marks), notes=tuple(notes))
        if (self.size.height or self.app.size.height) >= TOTALS_FROM_ROWS:
            info = replace(info, totals=totals(board.index, board.now))
        self.query_one("#header", StatusBar).show(info, board.palette)
        table = self.query_one("#jobs", KeyedTable)
        # one org: its outage fades the whole table; several: only that org's rows
        table.set_class(not board.several and board.first.level in ("offline", "stale"), "-stale")
        width = self.size.width or self.app.size.width
        table.set_columns(visible((ORG_COLUMN, *JOB_COLUMNS) if board.several else JOB_COLUMNS, width))
        narrow = width < NARROW
        looks = (table.columns_shown, board.palette, narrow, board.now.date())
        orgs = {key: self._org_cell(view) for key, view in board.orgs.items()} if board.several else {}
        rows = Rows(order, lambda row: self._row(board, row, looks, orgs, narrow=narrow))
        # a new order starts at its top: the running jobs (or the newest, the most failed) in view
        table.fill(rows, order, to_top=sort_changed)

    @staticmethod
    def _org_cell(view: View) -> OrgCell:
        return OrgCell(view.org, view.colour, view.level in ("offline", "stale"))

    def _row(
        self, board: Board, row: str, looks: tuple[object, ...], orgs: dict[str, OrgCell], *, narrow: bool
    ) -> tuple[Text, ...]:
        """One job's cells; a finished job's are kept while the job and the look stay the same."""
        job = board.jobs[row]
        owner = board.owner(row)
        assert owner is not None  # every row of the board is of one of its orgs
        view, job_id = owner
        action = view.pending.get(job_id)
        unread = job_id in view.errors
        hint = view.top_errors.get(job_id)
        org = orgs.get(view.key)
        memory = None
        if row in board.remembered:
            as_of = view.memory.as_of(job_id, listed=view.listed)
            memory = (view.memory_words(job_id), datetime.fromtimestamp(as_of, UTC) if as_of is not None else None)
        looks = (*looks, hint, org, memory)
        if job.finished and not action and not unread:  # a finished job's cells change only with the job
            hit = self._cells.get(row)
            if hit is not None and hit[0] is job and hit[1] == looks:
                return hit[2]
        table = self.query_one("#jobs", KeyedTable)
        stalled = view.history.stalled(job, view.now.timestamp()) if live_work(job) and not unread else None
        usuals = view.usuals
        slow = usuals is not None and usuals.slow(job, view.now.timestamp(), view.history, unread=unread) is not None
        cells = job_cells(
            job,
            view.history,
            view.now,
            table.columns_shown,
            view.palette,
            pending={"close": "closing", "abort": "aborting"}[action.value] if action else None,
            stalled=stalled,
            slow=slow,
            narrow=narrow,
            unread=unread,
            top_error=hint,
            org=org,
            remembered=memory,
        )
        if len(self._cells) > 4 * MAX_ROWS:  # rows long gone from view: start the cache afresh
            self._cells = {}
        self._cells[row] = (job, looks, cells)
        return cells

    def on_resize(self, event: Resize) -> None:
        if self.view is not None:
            self.show(self.view)

    # --- what the keys act on -----------------------------------------------------------------

    def selected(self) -> tuple[str, Job] | None:
        """The selected row's org key and job."""
        table = next(iter(self.query("#jobs").results(KeyedTable)), None)
        if self.view is None or table is None:  # no board yet, or the screen is closing (its widgets gone)
            return None
        row = table.selected_key
        job = self.view.jobs.get(row) if row else None
        owner = self.view.owner(row) if row else None
        return (owner[0].key, job) if job is not None and owner is not None else None

    def picked(self) -> tuple[str, str] | None:
        chosen = self.selected()
        return (chosen[0], chosen[1].id) if chosen else None

    def action_open(self) -> None:
        chosen = self.selected()
        if chosen is not None:
            self.post_message(OpenJob(chosen[1].id, chosen[0]))

    def action_failures(self) -> None:
        chosen = self.selected()
        if chosen is not None:
            self.post_message(OpenFailures(chosen[1].id, chosen[0]))

    @on(DataTable.RowHighlighted, "#jobs")
    def _row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        self.refresh_bindings()  # which keys apply depends on the selected job

    @on(DataTable.RowSelected, "#jobs")
    def _row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.action_open()

    def action_sort(self) -> None:
        self.post_message(CycleSort())

    def action_show_left(self) -> None:
        self.post_message(ShowLeft())

    def action_next_org(self) -> None:
        self.post_message(NextOrg())

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        return self.several if action == "next_org" else True

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
