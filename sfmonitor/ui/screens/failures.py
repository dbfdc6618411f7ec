"""Why a job's rows failed: the groups (status code and message, largest first) and the rows of the
highlighted group with their input fields. It draws the org model's report and starts its reads (on
opening, after each poll of its org, on r) and its CSV export; both run as the app's workers, so a
read or an export goes on when the screen closes."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.events import Resize
from textual.widgets import DataTable, Static

from ...bulk.failures import FailureGroup, FailureReport
from ...bulk.models import Job, JobKind
from ...config.paths import export_path
from ...monitor.org import Org
from ...numbers import compact
from ...text import clip, inert
from .. import gc_pauses, org_workers
from ..cells import Column, visible
from ..toast import say
from ..view import View
from ..widgets.key_bar import KeyBar
from ..widgets.keyed_table import KeyedTable
from ..widgets.status_bar import StatusBar
from .base import JobScreen, stage

GROUP_COLUMNS = (
    Column("count", "Rows", 9, 0, right=True),
    Column("share", "Share", 6, 1, right=True),
    Column("code", "Code", 34, 2, narrow=22),
    Column("message", "Message", 20, 3, grow=300),
)


def group_key(group: FailureGroup) -> str:
    return f"{group.code}\x00{group.message}"


def megabytes(count: int) -> str:
    return f"{count / (1024 * 1024):.1f} MB"


class FailuresScreen(JobScreen):
    HELP_TITLE: ClassVar[str] = "failures"
    OFFERS_ACTIONS: ClassVar[bool] = False
    DEFAULT_CSS = """
    FailuresScreen #summary { padding: 0 1; height: auto; }
    FailuresScreen #groups { height: 1fr; min-height: 5; }
    FailuresScreen #rows-title { padding: 0 1; text-style: bold; height: auto; max-height: 4; }
    FailuresScreen #rows { height: 1fr; }
    """
    BINDINGS = [
        Binding("escape", "back", "Back", id="failures.back", tooltip="back to the job"),
        Binding(
            "e",
            "export",
            "Export CSV",
            id="failures.export",
            tooltip="write every failed row, with its error and input columns, to a CSV file",
        ),
        Binding(
            "r",
            "reread",
            "Read again",
            id="failures.reread",
            tooltip="read the failures again (a running Bulk 1.0 job: the batches finished since)",
        ),
        Binding(
            "tab",
            "switch_table",
            "Groups/rows",
            show=False,
            id="failures.switch",
            tooltip="move between the groups and the rows of the highlighted group",
        ),
    ]

    def __init__(self, job: Job, org: Org) -> None:
        super().__init__(job.id, org.key)
        self.org = org
        self.report = org.failure_report(job)
        self.view: View | None = None
        self._rows_of: tuple[str, int, tuple[str, ...]] | None = None  # what the rows table shows
        self._polls: int | None = None  # the org's polls when the report was last brought up to date
        self._tables: tuple[DataTable[Text], ...] = ()

    def compose(self) -> ComposeResult:
        yield StatusBar(id="header")
        yield Static("", id="summary", markup=False)
        groups = KeyedTable(id="groups")
        yield groups
        yield Static("", id="rows-title", markup=False)
        rows: DataTable[Text] = DataTable(id="rows", cursor_type="row", zebra_stripes=False)
        yield rows
        self._tables = (groups, rows)
        yield KeyBar()

    def on_mount(self) -> None:
        self.query_one("#groups", KeyedTable).focus()
        stage(self).failures_changed.subscribe(self, self._failures_changed, immediate=True)

    def on_unmount(self) -> None:
        stage(self).failures_changed.unsubscribe(self)
        # A closed screen is garbage in cycles (its widgets and it), freed only by a full collection,
        # which the app runs rarely (ui/gc_pauses): what it holds goes now, and the rest at the next
        # full collection, so opening job after job does not keep every report and table drawn since.
        for table in self._tables:  # (its children are unmounted by now: not found by a query)
            table.clear(columns=True)
        self._tables = ()
        self.report = FailureReport(self.job_id, self.report.kind)  # the org's bounded store keeps the report
        self.view = None
        gc_pauses.thaw()

    def _failures_changed(self, changed: tuple[str, View]) -> None:
        job_id, view = changed
        if (job_id, view.key) == (self.job_id, self.org_key):
            self.deliver(self.show, view)

    def show(self, view: View) -> None:
        self.view = view
        self.org.failures.keep(self.job_id, self.report)  # in use: the last its org's bounded store drops
        if view.polls != self._polls:  # opened, or its org polled since: results as batches finish
            self._polls = view.polls
            self.read()
        job = view.jobs.get(self.job_id)
        extra = (f"failures {self.job_id}",) + (() if job else ("no longer listed by the org",))
        self.query_one("#header", StatusBar).show(view.header(extra), view.palette)
        self._show_summary()
        self._show_groups(view)
        self._show_rows()

    def _show_summary(self) -> None:
        report, org = self.report, self.org
        refused = org.sign_in_refused if org.service is None and org.recorder is not None else None
        unread = (report.error or refused) and not report.bytes_read and not report.groups  # none shown as 0
        line = "failures not read" if unread else report.summary()
        if refused:
            line += f" · no sign-in of this dashboard's own: {refused} (r tries again)"
        if report.reading:
            line += f" · reading… {report.rows_read:,} rows, {megabytes(report.bytes_read)}"
        elif report.bytes_read:
            line += f" · {report.rows_read:,} rows read, {megabytes(report.bytes_read)}"
        if report.error:
            line += f" · the read failed: {report.error} (r reads again)"
        elif not report.complete and not report.reading and report.groups and self._batches_to_come():
            line += " · more as batches finish"
        self.query_one("#summary", Static).update(Text(inert(line)))

    def _batches_to_come(self) -> bool:
        """Whether a report not complete can still grow: only a Bulk 1.0 job that has not ended has
        batches still to finish (an ended job's short or cut report will never get more)."""
        job = self.view.jobs.get(self.job_id) if self.view is not None else None
        return job is not None and job.kind is JobKind.CLASSIC and not job.finished

    def _show_groups(self, view: View) -> None:
        table = self.query_one("#groups", KeyedTable)
        table.set_columns(visible(GROUP_COLUMNS, self.size.width or self.app.size.width))
        widths = {c.key: c.width for c in table.columns_shown}
        report = self.report
        rows: dict[str, tuple[Text, ...]] = {}
        order = []
        for group in report.ordered():
            key = group_key(group)
            order.append(key)
            message = inert(group.message) + (" (varies: ids, values)" if group.varies else "")
            values = {
                "count": compact(group.count, widths.get("count", 9)),
                "share": f"{report.share(group) * 100:.1f}%",
                "code": inert(group.code) or "(no code)",
                "message": message,
            }
            rows[key] = tuple(
                Text(
                    clip(values[c.key], c.width),
                    style=f"bold {view.palette.error}" if c.key == "code" else "",
                    justify="right" if c.right else "left",
                    no_wrap=True,
                )
                for c in table.columns_shown
            )
        table.fill(rows, order)

    def selected_group(self) -> FailureGroup | None:
        key = self.query_one("#groups", KeyedTable).selected_key
        return next((g for g in self.report.groups.values() if group_key(g) == key), None) if key else None

    def _show_rows(self) -> None:
        """The highlighted group's rows kept for the screen: its input fields beside the error."""
        group = self.selected_group()
        title = self.query_one("#rows-title", Static)
        table: DataTable[Text] = self.query_one("#rows", DataTable)
        if group is None:
            title.update(Text("no failed rows read" if not self.report.reading else "reading…"))
            if self._rows_of is not None:
                table.clear(columns=True)
                self._rows_of = None
            return
        columns = tuple(self.report.columns) or tuple(group.rows[0].fields if group.rows else ())
        state = (group_key(group), len(group.rows), columns)
        shown = len(group.rows)
        more = f" (showing {shown:,} of {group.count:,}; e exports all)" if shown < group.count else ""
        unmatched = next((row.note for row in group.rows if row.note), "")
        more += f" · {unmatched}: inputs not shown" if unmatched else ""
        # the whole message here: the groups table has room for its start only
        title.update(Text(inert(f"{group.code or '(no code)'}: {group.message} · {group.count:,} rows{more}")))
        if state == self._rows_of:
            return
        self._rows_of = state
        table.clear(columns=True)
        if self.report.batches_total is not None:
            table.add_column("Batch · row", key="batch")
        with_ids = any(row.record_id for row in group.rows)  # an insert's failed rows have none
        if with_ids:
            table.add_column("Id", key="record_id")
        for name in columns:
            table.add_column(clip(inert(name), 30), key=f"f:{name}")
        table.add_column("Error (as the org wrote it)", key="error")
        for i, row in enumerate(group.rows):
            cells = []
            if self.report.batches_total is not None:
                cells.append(Text(f"{inert(row.batch_id)} · {row.row}" if row.row else inert(row.batch_id)))
            if with_ids:
                cells.append(Text(inert(row.record_id) or "-"))
            cells.extend(Text("" if row.note else clip(inert(row.fields.get(name, "")), 40)) for name in columns)
            cells.append(Text(clip(inert(row.error), 120)))
            table.add_row(*cells, key=str(i))

    @on(DataTable.RowHighlighted, "#groups")
    def _group_highlighted(self, event: DataTable.RowHighlighted) -> None:
        self._show_rows()

    def on_resize(self, event: Resize) -> None:
        if self.view is not None:
            self.show(self.view)

    def action_back(self) -> None:
        self.app.pop_screen()

    def read(self, *, asked: bool = False) -> None:
        """Bring the report up to date, if a read may start now (the org model says)."""
        org = self.org
        job = org.state.jobs.get(self.job_id)
        if job is not None and org.service is None and org.recorder is not None:  # the operator's own sign-in
            if not stage(self).sign_in_then(org, lambda: self.read(asked=asked), asked=asked):
                self._show_summary()  # says why (Org.sign_in_refused); the report is left as it is
            return
        if job is None or org.service is None:
            return
        report = org.failures_starting(job, asked=asked)
        if report is None:
            return
        work = org_workers.failures(org.service, job, report, org_workers.poster(org.key, self.app.post_message))
        self.app.run_worker(work, group=f"failures-{org.key}-{self.job_id}", exit_on_error=False)

    def action_export(self) -> None:
        org = self.org
        job = org.state.jobs.get(self.job_id)
        if job is not None and org.service is None and org.recorder is not None:  # the operator's own sign-in
            if not stage(self).sign_in_then(org, self.action_export, asked=True):
                say(self.app, f"Not exported: no sign-in of this dashboard's own ({org.sign_in_refused})",
                    severity="warning")  # fmt: skip
            return
        if job is None or org.service is None:
            say(self.app, "Not connected: nothing exported", severity="warning")
            return
        path = export_path(job.id)
        say(self.app, f"Exporting to {path} …", timeout=4)
        work = org_workers.export_failures(org.service, job, path, org_workers.poster(org.key, self.app.post_message))
        self.app.run_worker(work, group=f"export-{org.key}-{job.id}", exclusive=True, exit_on_error=False)

    def action_reread(self) -> None:
        self.read(asked=True)

    def action_switch_table(self) -> None:
        groups = self.query_one("#groups", KeyedTable)
        (self.query_one("#rows", DataTable) if groups.has_focus else groups).focus()
