"""The session's alerts (``!``): when, which org, which job, what; newest first. Enter opens the job;
``n`` sends a test desktop notification. The header above says how notifications reach the desktop
here, or why they do not."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable, Static

from ...monitor.alert_log import AlertLog
from ...text import inert
from ..messages import OpenJob
from ..view import Board, alert_note
from ..widgets.key_bar import KeyBar
from ..widgets.status_bar import StatusBar
from .base import BoardScreen


class AlertsScreen(BoardScreen):
    HELP_TITLE: ClassVar[str] = "alerts"
    OFFERS_ACTIONS: ClassVar[bool] = False
    DEFAULT_CSS = """
    AlertsScreen #alerts { height: 1fr; }
    AlertsScreen #delivery { padding: 0 1; height: auto; }
    """
    BINDINGS = [
        Binding("escape", "back", "Back", id="alerts.back", tooltip="back to where ! was pressed"),
        Binding(
            "n",
            "test_notification",
            "Test notification",
            id="alerts.test",
            tooltip="send a test desktop notification (and say how it travels, or why it cannot)",
        ),
    ]

    def __init__(self, log: AlertLog, delivery: Callable[[], str]) -> None:
        super().__init__()
        self.alert_log = log
        self.delivery = delivery  # how desktop notifications reach the desktop here, in words
        self._drawn = -1  # the log's total when the rows were last drawn

    def compose(self) -> ComposeResult:
        yield StatusBar(id="header")
        yield Static("", id="delivery", markup=False)
        table: DataTable[Text] = DataTable(id="alerts", cursor_type="row", zebra_stripes=False)
        table.add_columns("Time", "Org", "Job", "Alert", "Details")
        yield table
        yield KeyBar()

    def on_mount(self) -> None:
        super().on_mount()
        self.query_one("#alerts", DataTable).focus()

    def draw(self, board: Board) -> None:
        self.alert_log.seen()  # open: every alert listed is seen (the header says so now, not next time)
        extra = (
            f"alerts: {len(self.alert_log)} this session"
            + (f" (the last {len(self.alert_log)})" if self.alert_log.total > len(self.alert_log) else ""),
        )
        info = replace(board.header(extra), alert=alert_note(self.alert_log))
        self.query_one("#header", StatusBar).show(info, board.palette)
        self.query_one("#delivery", Static).update(Text(f"desktop notifications: {self.delivery()}", style="dim"))
        if self.alert_log.total == self._drawn:
            return
        self._drawn = self.alert_log.total
        table: DataTable[Text] = self.query_one("#alerts", DataTable)
        chosen = self._key() if table.row_count else None
        table.clear()
        style = {True: f"bold {board.palette.error}", False: ""}
        for number, alert in reversed(list(enumerate(self.alert_log))):
            when = datetime.fromtimestamp(alert.at, UTC).astimezone().strftime("%H:%M:%S")
            what = alert.title.removeprefix(f"{alert.org}: ")
            table.add_row(Text(when), Text(inert(alert.org)), Text(inert(alert.job_id)),
                          Text(inert(what), style=style[alert.bad]), Text(inert(alert.body), style="dim"),
                          key=f"{alert.org_key}/{alert.job_id}/{number}")  # fmt: skip
        if chosen is not None and chosen in table.rows:  # a new alert leaves the selected one selected
            table.move_cursor(row=table.get_row_index(chosen), animate=False)

    def _key(self) -> str:
        table: DataTable[Text] = self.query_one("#alerts", DataTable)
        return str(table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value or "")

    def picked(self) -> tuple[str, str] | None:
        if not self.query_one("#alerts", DataTable).row_count:
            return None
        org, job_id, _ = self._key().rsplit("/", 2)
        return org, job_id

    @on(DataTable.RowSelected, "#alerts")
    def _open(self, event: DataTable.RowSelected) -> None:
        event.stop()
        picked = self.picked()
        if picked is not None:
            self.post_message(OpenJob(picked[1], picked[0]))

    def action_back(self) -> None:
        self.dismiss(None)

    async def action_test_notification(self) -> None:
        await self.app.run_action("test_notification")
