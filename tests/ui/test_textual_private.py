"""Pins every private Textual name sfmonitor uses (sfmonitor/ui/textual_private.py): if Textual renames
one, this fails loudly here, instead of a cache quietly growing or a token reaching a crash screen."""

from __future__ import annotations

from rich.text import Text
from textual.app import App, ComposeResult
from textual.widgets import DataTable, Static

from sfmonitor.ui import textual_private
from sfmonitor.ui.app import SfMonitorApp
from sfmonitor.ui.cells import Column
from sfmonitor.ui.widgets.keyed_table import KeyedTable


def test_the_styles_cache_can_be_cleared() -> None:
    from textual._styles_cache import StylesCache

    assert callable(StylesCache.get_inner_outer.cache_clear)  # type: ignore[attr-defined]
    assert textual_private.forget_closed_widgets()


def test_the_data_table_caches_exist_and_shrink() -> None:
    table: DataTable[str] = DataTable()
    assert textual_private.shrink_table_caches(table)
    assert {name: getattr(table, name).maxsize for name in textual_private.TABLE_CACHES} == textual_private.TABLE_CACHES


async def test_the_crash_path_and_notifications_exist() -> None:
    assert "_fatal_error" in vars(App) and "_fatal_error" in vars(SfMonitorApp)  # overrides a real method

    class Probe(App[None]):
        pass

    app = Probe()
    async with app.run_test() as pilot:
        assert isinstance(app._exit_renderables, list) and callable(app._close_messages_no_wait)
        app.notify("hello")
        await pilot.pause()
        assert [n.message for n in textual_private.notifications(app)] == ["hello"]


class Words(App[None]):
    def compose(self) -> ComposeResult:
        yield Static("hello [b]there[/b]")


async def test_the_screen_can_be_read_as_drawn() -> None:
    app = Words()
    async with app.run_test(size=(40, 5)) as pilot:
        await pilot.pause()
        lines = textual_private.screen_lines(app)
        assert len(lines) == 5 and lines[0].startswith("hello there")
        out = textual_private.screen_output(app)
        assert "hello" in out and "\x1b[" in out  # the bytes of a full repaint, styles and all


class Table(App[None]):
    def compose(self) -> ComposeResult:
        yield KeyedTable(id="t")


async def test_rows_are_ordered_by_key_not_by_their_clipped_text() -> None:
    app = Table()
    async with app.run_test() as pilot:
        table = app.query_one(KeyedTable)
        table.set_columns((Column("id", "Job ID", 6, 0),))
        ids = [f"7505g0000000NQ{n}AAM" for n in "abcdef"]  # the same first 6 characters: clipped alike
        rows = {job_id: (Text(job_id[:5] + "…"),) for job_id in ids}
        assert table.sync(rows, ids)
        wanted = list(reversed(ids))
        table.sync(rows, wanted)
        await pilot.pause()
        assert [row.key.value for row in table.ordered_rows] == wanted
        table.set_columns((Column("id", "Job ID", 6, 0), Column("state", "State", 8, 0)))
        table.sync({job_id: (Text(job_id[:5] + "…"), Text("Open")) for job_id in ids}, ids)
        changed = {job_id: (Text(job_id[:5] + "…"), Text("Done" if job_id == ids[0] else "Open")) for job_id in ids}
        table.sync(changed, wanted)  # one cell changed, equal new objects for the rest: still ordered by key
        await pilot.pause()
        assert [row.key.value for row in table.ordered_rows] == wanted


async def test_a_cell_update_repaints_its_row_only() -> None:
    class Probe(App[None]):
        def compose(self) -> ComposeResult:
            yield DataTable()

    app = Probe()
    async with app.run_test(size=(60, 12)) as pilot:
        table = app.query_one(DataTable)
        table.add_columns("a", "b")
        for i in range(8):
            table.add_row(str(i), "x", key=f"r{i}")
        await pilot.pause()
        assert isinstance(table._data, dict) and isinstance(table._update_count, int)
        regions = []
        original = table.refresh

        def spy(*args: object, **kwargs: object) -> object:
            regions.append(args)
            return original(*args, **kwargs)  # type: ignore[arg-type]

        table.refresh = spy  # type: ignore[method-assign]
        key = table.coordinate_to_cell_key((3, 1))
        textual_private.update_row_cells(table, key.row_key, {key.column_key: "y"})
        assert table.get_cell("r3", table.coordinate_to_cell_key((3, 1)).column_key) == "y"
        assert len(regions) == 1 and len(regions[0]) == 1  # one region ...
        region = regions[0][0]
        assert getattr(region, "height", None) == 1  # ... one line high: row 3, not the table
        await pilot.pause()
        assert "".join(s.text for s in table.render_line(4)).split() == ["3", "y"]  # header line, then rows 0..3
