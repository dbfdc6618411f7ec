"""The session's alerts (``!``): when, which org, which job, what; newest first. Enter opens the job;
``n`` sends a test desktop notification. The header above says how notifications reach the desktop
here, or why they do not. The columns fit the screen's width (the details take the rest, clipped
with …); the selected alert's whole text is shown under the table."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.events import Resize
from textual.widgets import DataTable, Static

from ...monitor.alert_log import Alert, AlertLog
from ...text import clip, inert
from ..messages import OpenJob
from ..view import Board, alert_note
from ..widgets.key_bar import KeyBar
from ..widgets.status_bar import StatusBar
from .base import BoardScreen

TIME, JOB, ORG_MOST, ALERT_MOST, DETAILS_LEAST = 8, 18, 16, 34, 12  # column widths (a job id: 18)
SPARE = 2  # the table's vertical scrollbar


class AlertsTable(DataTable[Text]):
    """The alerts, one a row: enter opens the selected alert's job (named here, so the palette offers it)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "select_cursor", "Open job", id="alerts.open", tooltip="open the selected alert's job"),
    ]


def widths(total: int, alerts: list[Alert], padding: int = 1) -> list[int]:
    """Time, org, job, alert and details columns' widths within ``total`` cells: the org and alert as
    wide as their longest (up to a bound), the details the rest."""
    org = min(ORG_MOST, max([3, *(len(inert(a.org)) for a in alerts)]))
    alert = min(ALERT_MOST, max([5, *(len(_what(a)) for a in alerts)]))
    fixed = [TIME, org, JOB, alert]
    rest = total - sum(fixed) - 2 * padding * (len(fixed) + 1) - SPARE
    return [*fixed, max(DETAILS_LEAST, rest)]


def _what(alert: Alert) -> str:
    return inert(alert.title.removeprefix(f"{alert.org}: "))


class AlertsScreen(BoardScreen):
    HELP_TITLE: ClassVar[str] = "alerts"
    OFFERS_ACTIONS: ClassVar[bool] = False
    DEFAULT_CSS = """
    AlertsScreen #alerts { height: 1fr; }
    AlertsScreen #delivery { padding: 0 1; height: auto; }
    AlertsScreen #chosen { padding: 0 1; height: auto; max-height: 6; }
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
        self._drawn: tuple[int, int, str] = (-1, 0, "")  # the log's total, the width and style last drawn
        self._alerts: dict[str, Alert] = {}  # each row's alert, by its key
        self._bad_style = ""

    def compose(self) -> ComposeResult:
        yield StatusBar(id="header")
        yield Static("", id="delivery", markup=False)
        yield AlertsTable(id="alerts", cursor_type="row", zebra_stripes=False)
        yield Static("", id="chosen", markup=False)
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
        self._bad_style = f"bold {board.palette.error}"
        self._fill()

    def _fill(self) -> None:
        """The rows, drawn again when an alert came, the width changed (the columns fit it) or the theme."""
        width = self.size.width or self.app.size.width
        if (self.alert_log.total, width, self._bad_style) == self._drawn:
            return
        self._drawn = (self.alert_log.total, width, self._bad_style)
        table: DataTable[Text] = self.query_one("#alerts", DataTable)
        chosen = self._key() if table.row_count else None
        table.clear(columns=True)
        alerts = list(self.alert_log)
        shown = widths(width, alerts, table.cell_padding)
        for name, cut in zip(("Time", "Org", "Job", "Alert", "Details"), shown, strict=True):
            table.add_column(name, width=cut)
        style = {True: self._bad_style, False: ""}
        self._alerts = {}
        for number, alert in reversed(list(enumerate(alerts))):
            when = datetime.fromtimestamp(alert.at, UTC).astimezone().strftime("%H:%M:%S")
            key = f"{alert.org_key}/{alert.job_id}/{number}"
            self._alerts[key] = alert
            cells = (when, inert(alert.org), inert(alert.job_id), _what(alert), inert(alert.body))
            styles = ("", "", "", style[alert.bad], "dim")
            table.add_row(*(Text(clip(text, cut), style=look, no_wrap=True)
                            for text, cut, look in zip(cells, shown, styles, strict=True)), key=key)  # fmt: skip
        if chosen is not None and chosen in table.rows:  # a new alert leaves the selected one selected
            table.move_cursor(row=table.get_row_index(chosen), animate=False)
        self._show_chosen()

    def on_resize(self, event: Resize) -> None:
        if self._drawn[0] >= 0:
            self._fill()

    @on(DataTable.RowHighlighted, "#alerts")
    def _highlighted(self, event: DataTable.RowHighlighted) -> None:
        self._show_chosen()

    def _show_chosen(self) -> None:
        """The selected alert's whole text (a row clips it), wrapped under the table."""
        alert = self._alerts.get(self._key()) if self.query_one("#alerts", DataTable).row_count else None
        words = "" if alert is None else (f"{inert(alert.org)} · job {inert(alert.job_id)} · {_what(alert)}: "
                                          f"{inert(alert.body)}")  # fmt: skip
        self.query_one("#chosen", Static).update(Text(words))

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
