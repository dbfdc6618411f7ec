"""Columns fit the terminal, chosen by priority, at every width from 80 to 250."""

from __future__ import annotations

from sfmonitor.ui.cells import BATCH_COLUMNS, CELL_PADDING, JOB_COLUMNS, SCROLLBAR, visible
from tests.ui.helpers import frozen_dashboard, jobs_table


def test_every_width_fits_without_a_cut_header() -> None:
    for columns in (JOB_COLUMNS, BATCH_COLUMNS):
        for width in range(80, 251):
            shown = visible(columns, width)
            used = sum(c.width + CELL_PADDING for c in shown) + SCROLLBAR
            assert used <= width, (width, used)
            assert all(len(c.label) <= c.width for c in shown), width  # no header is cut
            assert width - used <= 12 or any(c.grow for c in shown), width  # the room is used
            keys = [c.key for c in shown]
            assert keys[:2] == [columns[0].key, columns[1].key]  # the id (and the API) always show


def test_what_shows_at_which_width() -> None:
    keys = {width: [c.key for c in visible(JOB_COLUMNS, width)] for width in (80, 120, 140, 200)}
    assert keys[80] == ["kind", "id", "object", "state", "progress", "failed"]
    assert "processed" in keys[120] and "operation" not in keys[120]
    assert "operation" in keys[140]
    wide = {c.key: c for c in visible(JOB_COLUMNS, 200)}
    assert wide["created"].width >= len("Nov 19 14:15")  # the Created time whole
    assert wide["object"].width > 14 and "message" in wide  # object names and messages get the room


async def test_no_horizontal_scrollbar_at_any_terminal_width() -> None:
    async with frozen_dashboard(size=(80, 24)) as (app, pilot, _):
        for width in (80, 97, 100, 120, 140, 163, 200, 250):
            await pilot.resize_terminal(width, 40)
            await pilot.pause(0.1)
            table = jobs_table(app)
            assert table.virtual_size.width <= table.size.width, width
            assert not table.show_horizontal_scrollbar, width
