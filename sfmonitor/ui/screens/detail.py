"""One job: first what an operator asks (state, progress, records, rate, ETA, elapsed) and its
throughput sparkline; then every field as Salesforce reports it; for Bulk 1.0 jobs the live batch table."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.events import Resize
from textual.widgets import DataTable, Static

from ...bulk.models import Batch, Job, JobKind, setup_page
from ...monitor.board import Cycling
from ...text import inert
from ..cells import BATCH_COLUMNS, batch_cells, spark_label, sparkline, visible
from ..messages import OpenFailures
from ..view import MAX_ROWS, View
from ..widgets.job_fields import JobFields
from ..widgets.job_summary import JobSummary
from ..widgets.key_bar import KeyBar
from ..widgets.keyed_table import KeyedTable
from ..widgets.status_bar import StatusBar
from .base import JobScreen


class BatchSort(Cycling):
    CREATED = "created"
    STATE = "state"
    FAILED = "most failed"
    PROCESSED = "most processed"


STATE_ORDER = {"InProgress": 0, "Queued": 1, "Failed": 2, "Completed": 3, "NotProcessed": 4}


def batch_order(batches: tuple[Batch, ...], mode: BatchSort) -> list[Batch]:
    items = list(batches)  # as the org lists them: creation order
    if mode is BatchSort.STATE:
        return sorted(items, key=lambda b: STATE_ORDER.get(b.state, 5))
    if mode is BatchSort.FAILED:
        return sorted(items, key=lambda b: -(b.number_records_failed or 0))
    if mode is BatchSort.PROCESSED:
        return sorted(items, key=lambda b: -(b.number_records_processed or 0))
    return items


class JobDetailScreen(JobScreen):
    HELP_TITLE: ClassVar[str] = "job detail"
    READ_IN_FULL: ClassVar[bool] = True
    DEFAULT_CSS = """
    JobDetailScreen #usual { padding: 0 1; height: auto; }
    JobDetailScreen #spark-label { padding: 0 1; color: $text-muted; }
    JobDetailScreen #spark { height: 1; padding: 0 1; color: $accent; }
    JobDetailScreen #body { height: 1fr; }
    JobDetailScreen #fields-title { padding: 0 1; color: $text-muted; }
    JobDetailScreen #setup-link { padding: 0 1; height: auto; }
    JobDetailScreen #batches { height: 2fr; }
    JobDetailScreen #batch-title { padding: 0 1; text-style: bold; }
    JobDetailScreen #batch-message { height: auto; max-height: 4; padding: 0 1; }
    """
    BINDINGS = [
        Binding("escape", "back", "Back", id="back", tooltip="back to the jobs table"),
        Binding(
            "f",
            "failures",
            "Failures",
            id="failures",
            tooltip="why rows failed: the failed rows grouped by error, with their input",
        ),
        Binding(
            "s",
            "sort",
            "Sort batches",
            id="sort_batches",
            tooltip="cycle the batch order: created, state, most failed, most processed",
        ),
    ]

    def __init__(self, job_id: str, org: str = "") -> None:
        super().__init__(job_id, org)
        self.view: View | None = None
        self.sort = BatchSort.CREATED
        self._link: str | None = None  # the Setup page link drawn
        self._usual_slow = False  # the usual line drawn says slow
        self._batch_keys: bool | None = None  # whether the batch keys were offered, once the job is known

    def compose(self) -> ComposeResult:
        yield StatusBar(id="header")
        yield JobSummary(id="summary")  # what an operator asks first, above the fold at 80x24
        yield Static("", id="usual")  # against the usual: its past runs' duration and pace
        yield Static("", id="spark-label")
        yield Static("", id="spark")
        with VerticalScroll(id="body"):  # then Salesforce's own fields, scrolled (tab, mouse)
            yield Static("", id="setup-link")
            yield Static(Text("the job as Salesforce reports it (tab, then arrows: scroll)"), id="fields-title")
            yield JobFields(id="fields")
        yield Static("", id="batch-title")
        yield KeyedTable(id="batches")
        yield Static("", id="batch-message", markup=False)
        yield KeyBar()

    def show(self, view: View) -> None:
        self.view = view
        job = view.jobs.get(self.job_id) or view.remembered(self.job_id)
        header = self.query_one("#header", StatusBar)
        if job is None:
            header.show(view.header((f"job {self.job_id}: no longer listed by the org",)), view.palette)
            return
        problem = view.errors.get(job.id)
        words = (f"last read failed: {problem}",) if problem else ()
        if job.id not in view.jobs:  # the history file's values, not the org's: faded as unread
            problem = f"{view.memory_words(job.id)} (history), not read from the org"
            words = (problem,)
        extra = (f"job {job.id}", job.kind.label, *words)
        header.show(view.header(extra), view.palette)
        history = view.history.of(job.id)
        screen_width = self.size.width or self.app.size.width
        self.query_one("#summary", JobSummary).show(job, view.history, view.now, view.palette, screen_width,
                                                   unread=problem is not None)  # fmt: skip
        self.query_one("#fields", JobFields).show(job, f"bold {view.palette.error}", view.now, screen_width)
        self._show_link(job, view)
        self._show_usual(job, view, unread=problem is not None)
        if self._batch_keys != (job.kind is JobKind.CLASSIC):
            self._batch_keys = job.kind is JobKind.CLASSIC
            self.refresh_bindings()  # s (sort batches) is offered only with a batch table
        width = max(10, screen_width - 2)
        rates = history.rates()[-width:]
        label = spark_label(rates, finished=job.finished)
        self._set_static("#spark-label", label)
        self._set_static("#spark", sparkline(rates))
        for selector in ("#spark-label", "#spark"):  # an ended job never seen running: no empty lines
            self.query_one(selector).display = bool(label)
        self._show_batches(job, view)

    def _show_usual(self, job: Job, view: View, *, unread: bool) -> None:
        """The job against the past runs of its object and operation (only where there is a history)."""
        box = self.query_one("#usual", Static)
        box.display = view.usuals is not None
        if view.usuals is None:
            return
        now = view.now.timestamp()
        words = view.usuals.words(job, now, view.history, unread=unread)
        slow = view.usuals.slow(job, now, view.history, unread=unread) is not None
        text = Text(words, style=f"bold {view.palette.warning}" if slow else "")
        if str(box.content) != words or self._usual_slow != slow:
            self._usual_slow = slow
            box.update(text)

    def _show_link(self, job: Job, view: View) -> None:
        """The job's Setup page as a terminal hyperlink (where the terminal does them; O opens it)."""
        box = self.query_one("#setup-link", Static)
        url = setup_page(view.instance_url, job.id) if view.instance_url else None
        if url is None or url == self._link:
            return
        self._link = url
        line = Text("Setup page (O): ", style="dim")
        shown = "…" + url.removeprefix(view.instance_url.rstrip("/")) if view.instance_url else url
        line.append(shown, style=f"underline link {url}")  # the org is known: its path, linked whole
        box.update(line)

    def _set_static(self, selector: str, text: str) -> None:
        widget = self.query_one(selector, Static)
        if str(widget.content) != text:
            widget.update(Text(text))

    def _show_batches(self, job: Job, view: View) -> None:
        table = self.query_one("#batches", KeyedTable)
        if job.kind is not JobKind.CLASSIC:  # no batches: the fields take their room
            for widget in (table, self.query_one("#batch-title"), self.query_one("#batch-message")):
                widget.display = False
            return
        batches = job.batches or ()
        ordered = batch_order(batches, self.sort)[:MAX_ROWS]
        title = f"{len(batches):,} batches · sort: {self.sort.value} (s)"
        if len(ordered) < len(batches):
            title += f" · showing the first {len(ordered):,}"
        self._set_static("#batch-title", title)
        table.set_columns(visible(BATCH_COLUMNS, self.size.width or self.app.size.width))
        rows = {b.id: batch_cells(b, view.now, table.columns_shown, view.palette) for b in ordered}
        table.fill(rows, [b.id for b in ordered])
        self._show_batch_message()

    def _show_batch_message(self) -> None:
        """The selected batch's whole state message, wrapped (the column shows its start)."""
        job = self.selected_job()
        key = self.query_one("#batches", KeyedTable).selected_key
        batch = next((b for b in (job.batches or ()) if b.id == key), None) if job and key else None
        box = self.query_one("#batch-message", Static)
        box.display = bool(batch and batch.state_message)
        if batch is not None and batch.state_message:
            self._set_static("#batch-message", f"{batch.id}: {inert(batch.state_message)}")

    @on(DataTable.RowHighlighted, "#batches")
    def _batch_highlighted(self, event: DataTable.RowHighlighted) -> None:
        self._show_batch_message()

    def on_resize(self, event: Resize) -> None:
        if self.view is not None:
            self.show(self.view)

    def on_mount(self) -> None:
        self.query_one("#batches", KeyedTable).focus()

    def selected_job(self) -> Job | None:
        return (self.view.jobs.get(self.job_id) or self.view.remembered(self.job_id)) if self.view else None

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """No batch order to change where there is no batch table (Bulk 2.0 jobs)."""
        if action == "sort":
            return bool(self._batch_keys)
        return True

    def action_back(self) -> None:
        self.app.pop_screen()

    def action_failures(self) -> None:
        self.post_message(OpenFailures(self.job_id, self.org_key))

    def action_sort(self) -> None:
        self.sort = self.sort.next()
        if self.view is not None:
            self.show(self.view)
