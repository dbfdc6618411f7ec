"""A screen the operator can trust at a glance: every row keeps the header's columns (faded rows of an
org that is down, the selected row, coloured cells alike), Failed shows at 80 columns with several
orgs, and a time of another day says which day. Checked on the text the terminal is sent."""

from __future__ import annotations

from datetime import timedelta

import pytest

from sfmonitor.ui import textual_private
from sfmonitor.ui.app import SfMonitorApp
from sfmonitor.ui.cells import CELL_PADDING, JOB_COLUMNS, ORG_COLUMN, visible
from sfmonitor.ui.screenshots import FIXED, SCENES, frozen_simulator, keep_spaces, scene_app
from sfmonitor.ui.widgets.keyed_table import KeyedTable
from tests.ui.helpers import cell, jobs_table, make_app, wait_for

pytestmark = pytest.mark.usefixtures("utc")  # local times drawn alike on any machine


def screen_lines(app: SfMonitorApp) -> list[str]:
    """The screen's text as the terminal gets it, one string a line."""
    return textual_private.screen_lines(app)


def assert_rows_keep_the_header_columns(app: SfMonitorApp, table: KeyedTable) -> int:
    """Each row's cell, on screen, sits where the header's column is: its padding blank and its text
    justified within the column's width as the header's label is. Returns the rows checked."""
    lines = screen_lines(app)
    x0, y0 = table.region.x, table.region.y
    rows = table.ordered_rows
    checked = 0
    for offset in range(table.region.height):
        index = offset - 1 + int(table.scroll_y)  # the header first, then the rows in view
        if offset and index >= len(rows):
            break
        texts = [c.label for c in table.columns_shown] if not offset else [
            t.plain for t in table.get_row(rows[index].key)]  # fmt: skip
        line, x = lines[y0 + offset], x0
        for column, text in zip(table.columns_shown, texts, strict=True):
            shown = line[x : x + column.width + CELL_PADDING]
            wanted = text.rjust(column.width) if column.right else text.ljust(column.width)
            assert shown == f" {wanted} ", (offset, column.key, shown, wanted)
            x += column.width + CELL_PADDING
        checked += 1
    return checked


@pytest.mark.parametrize(
    ("scene_name", "table_id"),
    [("orgs-120x40", "#jobs"), ("orgs-80x24", "#jobs"), ("batches-120x40", "#batches"), ("batches-80x24", "#batches")],
)
async def test_every_row_keeps_the_header_columns(scene_name: str, table_id: str) -> None:
    scene = next(s for s in SCENES if s.name == scene_name)
    sims, app = scene_app(scene)
    try:
        async with app.run_test(size=scene.size) as pilot:
            await scene.prepare(pilot)
            table = app.screen.query_one(table_id, KeyedTable)
            assert table.cursor_row == 0  # the selected row is among those checked
            if scene.fleet:  # the dev org is down: its rows are faded and marked
                assert any(table.get_row(r.key)[0].plain == "! DEV" for r in table.ordered_rows[:10])
            assert assert_rows_keep_the_header_columns(app, table) >= min(3, table.row_count) + 1  # and the header
            if scene.fleet:
                assert "failed" in [c.key for c in table.columns_shown]  # at 80 columns too
    finally:
        for sim in sims:
            sim.stop()


def test_screenshots_keep_their_leading_spaces() -> None:
    """The screenshots' SVG keeps a cell's padding in viewers that strip leading spaces (librsvg)."""
    assert keep_spaces('<svg class="x"><text>&#160;a</text></svg>').startswith('<svg xml:space="preserve" class')


def test_failed_shows_at_every_width_with_one_org_or_several() -> None:
    for columns in (JOB_COLUMNS, (ORG_COLUMN, *JOB_COLUMNS)):
        for width in range(80, 251):
            keys = [c.key for c in visible(columns, width)]
            assert "failed" in keys, (width, keys)
            assert "progress" not in keys or keys.index("failed") > keys.index("progress")  # the order stays


async def test_a_job_from_an_earlier_day_shows_its_date() -> None:
    sim = frozen_simulator()
    try:
        app = make_app(sim, clock=lambda: FIXED + timedelta(hours=10), interval=3600)  # 00:30 the next day
        async with app.run_test(size=(200, 50)) as pilot:
            await wait_for(pilot, lambda: app.org.state.polls_done and not app.org.polling)
            await pilot.pause(0.1)
            table = jobs_table(app)
            recent = max(app.org.state.jobs.values(), key=lambda j: j.created_date or FIXED - timedelta(days=999))
            assert recent.created_date is not None and recent.created_date.date() == FIXED.date()
            assert cell(table, recent.id, "created") == f"{recent.created_date:%b %d %H:%M}"  # not a bare time
            header = "\n".join(screen_lines(app)[:3])
            assert "updated Nov 21 00:30" not in header and "updated 00:30:00" in header  # today's poll: a time
    finally:
        sim.stop()
