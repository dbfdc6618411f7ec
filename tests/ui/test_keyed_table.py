"""The keyed table follows the data by key: many rows leaving at once (a filter typed) rebuilds it,
and the operator's row stays selected through that and through a fill added in steps."""

from __future__ import annotations

from rich.text import Text
from textual.app import App, ComposeResult

from sfmonitor.ui.cells import Column
from sfmonitor.ui.widgets import keyed_table
from sfmonitor.ui.widgets.keyed_table import KeyedTable

from .helpers import wait_for

COLUMNS = (Column("id", "Id", 8, 0), Column("n", "N", 6, 1))


def rows(keys: list[str]) -> dict[str, tuple[Text, ...]]:
    return {key: (Text(key), Text(str(int(key[1:]) * 2))) for key in keys}


def shown(table: KeyedTable) -> list[str]:
    return [str(row.key.value) for row in table.ordered_rows]


class TableApp(App[None]):
    def compose(self) -> ComposeResult:
        yield KeyedTable(id="t")


async def test_the_selected_row_survives_a_rebuild_and_a_fill_in_steps() -> None:
    everything = [f"r{i:03d}" for i in range(300)]
    app = TableApp()
    async with app.run_test(size=(60, 20)) as pilot:
        table = app.query_one(KeyedTable)
        table.set_columns(COLUMNS)
        table.fill(rows(everything), everything)
        await wait_for(pilot, lambda: table.row_count == 300)  # 250 rows a step: two steps
        assert shown(table) == everything
        table.select("r120")
        removed: list[object] = []
        original = table.remove_row
        table.remove_row = lambda key: removed.append(key) or original(key)  # type: ignore[method-assign,func-returns-value]
        narrowed = [k for k in everything if k.endswith("0")]  # 30 of 300 stay: far more leave than one by one pays
        table.fill(rows(narrowed), narrowed)
        await wait_for(pilot, lambda: table.row_count == 30)
        assert removed == [] and shown(table) == narrowed and table.selected_key == "r120"
        few_gone = [k for k in narrowed if k not in ("r010", "r020")]  # a couple leave: removed in place
        table.fill(rows(few_gone), few_gone)
        await wait_for(pilot, lambda: table.row_count == 28)
        assert removed == ["r010", "r020"] and table.selected_key == "r120"
        backwards = everything[::-1]  # the filter cleared, and a new order: rows come back in steps
        table.fill(rows(backwards), backwards)
        await wait_for(pilot, lambda: table.row_count == 300 and shown(table) == backwards)
        assert table.selected_key == "r120"
        assert len(removed) == 2 and keyed_table.REMOVE_AT_MOST < 270


async def test_the_cursor_stays_on_top_until_the_operator_moves_it() -> None:
    first = ["r001", "r002", "r003", "r004"]
    sunk = ["r002", "r003", "r004", "r001"]  # r001 finished: it sinks below the running rows
    app = TableApp()
    async with app.run_test(size=(60, 20)) as pilot:
        table = app.query_one(KeyedTable)
        table.set_columns(COLUMNS)
        table.fill(rows(first), first)
        await wait_for(pilot, lambda: table.row_count == 4)
        table.fill(rows(first), sunk)
        await pilot.pause()
        assert (table.cursor_row, table.selected_key) == (0, "r002")  # not dragged down with r001
        await pilot.press("down")  # the operator picks r003
        table.fill(rows(first), first)
        await pilot.pause()
        assert (table.cursor_row, table.selected_key) == (2, "r003")  # now it follows their row
