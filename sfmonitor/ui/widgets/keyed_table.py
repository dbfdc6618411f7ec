"""A DataTable kept in step with the data by key: only changed cells are touched, never cleared."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import ClassVar

from rich.text import Text
from textual.binding import Binding, BindingType
from textual.widgets import DataTable
from textual.widgets.data_table import CellDoesNotExist, ColumnKey, RowKey

from .. import textual_private
from ..cells import Column

# DataTable.remove_row costs a pass over the whole table (its row order and hover are rebuilt): past
# this many rows leaving at once (a filter typed, the first page replaced by the sorted org), clearing
# the rows and adding the wanted ones in chunks is far cheaper than removing them one by one.
REMOVE_AT_MOST = 32


def same(old: Text, new: Text) -> bool:
    """Whether a cell would draw the same. Rich's ``Text ==`` looks at the text and spans only, so a row
    that fades (a style change, same words) would otherwise never be redrawn."""
    return old is new or (
        old.plain == new.plain and old.style == new.style and old.spans == new.spans and old.justify == new.justify
    )


class KeyedTable(DataTable[Text]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("j", "cursor_down", "Next row", show=False, id="row.next", tooltip="next row (as down)"),
        Binding("k", "cursor_up", "Previous row", show=False, id="row.previous", tooltip="previous row (as up)"),
        Binding("g,home", "scroll_top", "First row", show=False, id="row.first", tooltip="first row"),
        Binding("G,end", "scroll_bottom", "Last row", show=False, id="row.last", tooltip="last row"),
    ]

    """Rows keyed by id. :meth:`sync` diffs new rows against what is shown.

    New rows are added, gone rows removed, changed cells updated one by one, and the order fixed
    with one sort; the cursor stays on the row the operator had selected, wherever it moved. Until
    the operator moves it, the cursor stays on the top row (a row that sinks does not drag the view).
    """

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes, cursor_type="row", zebra_stripes=False)
        # DataTable's render caches fill with dead entries in a live table: tens of MB after hours.
        textual_private.shrink_table_caches(self)
        self.columns_shown: tuple[Column, ...] = ()
        self._shown: dict[str, tuple[Text, ...]] = {}
        self._given: dict[str, Sequence[Text]] = {}  # the cells last handed in per row: the same object, no diff
        self._order: list[str] = []
        self._restore: str | None = None
        self._filling: tuple[Mapping[str, Sequence[Text]], Sequence[str]] | None = None
        self._to_top = False
        self._left_on: str | None = None  # the row the cursor was left on by the table itself
        self._chosen = False  # the operator has put the cursor on a row

    def set_columns(self, columns: tuple[Column, ...]) -> bool:
        """Show these columns; returns True if that meant rebuilding the table (a resize)."""
        if columns == self.columns_shown:
            return False
        selected = self._followed()
        self.clear(columns=True)
        for column in columns:
            self.add_column(Text(column.label, justify="right" if column.right else "left"), key=column.key,
                            width=column.width)  # fmt: skip
        self.columns_shown = columns
        self._shown = {}
        self._given = {}
        self._order = []
        self._restore = selected
        self._left_on = None
        return True

    def _followed(self) -> str | None:
        """The row the cursor must stay on through a new order: the operator's, if they chose one."""
        if self.selected_key != self._left_on:
            self._chosen = True  # moved since the table last left it: by the operator
        return self.selected_key if self._chosen else None

    @property
    def selected_key(self) -> str | None:
        if not self.row_count:
            return None
        try:
            key = self.coordinate_to_cell_key(self.cursor_coordinate).row_key
        except CellDoesNotExist:
            return None
        return key.value

    def sync(self, rows: Mapping[str, Sequence[Text]], order: Sequence[str], add_at_most: int = 250) -> bool:
        """Make the table show ``rows`` in ``order`` (keys of rows), touching only what changed.

        At most ``add_at_most`` new rows are added per call, so a huge first listing does not
        freeze the screen; returns False while rows are still missing (call again soon).
        """
        selected = self._restore or self._followed()
        keys = [c.key for c in self.columns_shown]
        gone = [k for k in self._shown if k not in rows]
        if len(gone) > REMOVE_AT_MOST:
            self.clear()  # the columns stay
            self._shown = {}
            self._given = {}
            self._order = []
            self._restore = selected  # put back once its row is added again
        else:
            for key in gone:
                self.remove_row(key)
                del self._shown[key]
                self._given.pop(key, None)
        for key in order:
            before = self._shown.get(key)
            if before is None and add_at_most <= 0:
                continue  # a later step adds it (its cells are not even built yet)
            given = rows[key]
            if before is not None and given is self._given.get(key):
                continue  # the very cells of last time: nothing to compare
            self._given[key] = given
            cells = tuple(given)
            if before is cells:
                continue
            if before is None:
                add_at_most -= 1
                self.add_row(*cells, key=key)
            elif not all(map(same, before, cells)):
                kept = tuple(old if same(old, new) else new for old, new in zip(before, cells, strict=True))
                changes = {ColumnKey(c): new for c, old, new in zip(keys, before, kept, strict=True) if new is not old}
                textual_private.update_row_cells(self, RowKey(key), changes)
                cells = kept
            else:
                cells = before  # keep the objects the table holds: the sort knows rows by them
            self._shown[key] = cells
        complete = len(self._shown) == len(rows)
        wanted = list(order)
        if complete and wanted != self._order_now():
            # Order by row key. DataTable's sort hands the key function cells, not keys, so each row is
            # known by the identity of its first cell (this table's own object, unique per row): never
            # by the cell's text, which may be clipped or shared.
            rank = {id(self._shown[key][0]): index for index, key in enumerate(wanted)}
            self.sort(keys[0], key=lambda cell: rank.get(id(cell), len(rank)))
        self._order = wanted
        if selected is not None and (selected in self._shown or complete):
            self._restore = None
        if selected is not None and selected in self._shown:
            index = self.get_row_index(selected)
            if index != self.cursor_row:
                self.move_cursor(row=index, animate=False)
        self._left_on = self.selected_key
        return complete

    def fill(self, rows: Mapping[str, Sequence[Text]], order: Sequence[str], to_top: bool = False) -> None:
        """:meth:`sync`, a chunk at a time until complete, the screen breathing between chunks (a huge
        org or a 15,000-batch job); a newer ``fill`` takes over from an unfinished one. ``to_top``:
        then put the cursor on the first row (a new order is read from its top)."""
        self._to_top = self._to_top or to_top
        self._filling = (rows, order)
        self._fill_step(self._filling)

    def _fill_step(self, job: tuple[Mapping[str, Sequence[Text]], Sequence[str]]) -> None:
        if job is not self._filling or not self.is_mounted:
            return  # a newer fill has taken over, or the screen closed
        with self.app.batch_update():
            complete = self.sync(*job)
            if complete and self._to_top:
                self._to_top = False
                if self.row_count:
                    self.move_cursor(row=0, animate=False)
                    self.scroll_home(animate=False)
                self._chosen = False
                self._left_on = self.selected_key
        if complete:
            self._filling = None
        else:
            self.set_timer(0.02, lambda: self._fill_step(job))

    def _order_now(self) -> list[str]:
        return [row.key.value for row in self.ordered_rows if row.key.value is not None]

    def select(self, key: str) -> None:
        if key in self._shown:
            self.move_cursor(row=self.get_row_index(key), animate=False)
            self._chosen = True


__all__ = ["KeyedTable", "RowKey"]
