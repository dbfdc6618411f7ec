"""Every use of a private Textual name, in one place, each guarded.

Textual is pinned to 8.2.8 in the test extras and ``tests/ui/test_textual_private.py`` fails loudly
when any of these names changes; in a user's newer Textual, a missing name degrades to "not done"
(a cache not trimmed, Textual's own crash screen) rather than a crash.

- ``StylesCache.get_inner_outer``: an ``lru_cache(1024)`` on a method, whose keys keep the rendered
  lines of each widget drawn lately, closed or not (~200 KB a closed job detail).
- DataTable's render caches (``_cell_render_cache`` …): keyed by an update counter, so a live
  table fills them with dead entries.
- ``App._fatal_error`` (overridden by the app), ``App._exit_renderables``,
  ``App._close_messages_no_wait``: Textual's crash path, which prints frames' local variables.
- ``App._notifications``: the toasts on screen, read by the tests.
- ``Screen._compositor``: the screen as drawn, line by line (``screen_lines``) or as the bytes a full
  repaint writes (``screen_output``), read by the tests: Textual has no public text of its screen.
- ``DataTable._data`` and ``DataTable._update_count``: ``update_cell`` repaints the whole table (every
  row and both scrollbars) for one changed cell; :func:`update_row_cells` repaints that row only.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from typing import Any

from rich.console import RenderableType
from textual.app import App
from textual.cache import LRUCache
from textual.geometry import Region
from textual.notifications import Notification
from textual.widgets import DataTable

TABLE_CACHES = {"_cell_render_cache": 2000, "_row_render_cache": 200, "_row_renderable_cache": 200, "_line_cache": 200}


def forget_closed_widgets() -> bool:
    """Let go of the rendered lines of widgets no longer on screen; live ones refill it as they draw.
    Returns whether it could."""
    try:
        from textual._styles_cache import StylesCache
    except ImportError:
        return False
    cache_clear = getattr(getattr(StylesCache, "get_inner_outer", None), "cache_clear", None)
    if not callable(cache_clear):
        return False
    cache_clear()
    return True


def shrink_table_caches(table: DataTable[Any]) -> bool:
    """Give a DataTable render caches sized for one screen of rows (a screen shows ~60 rows of ~13
    cells); returns whether every cache was found."""
    found = True
    for name, size in TABLE_CACHES.items():
        if isinstance(getattr(table, name, None), LRUCache):
            setattr(table, name, LRUCache(size))
        else:
            found = False
    return found


def print_crash_without_locals(app: App[Any], log: logging.Logger, renderables: Iterable[RenderableType]) -> bool:
    """Textual's crash path, but the traceback printed and logged without local variables (a request's
    locals hold the access token). Returns False where Textual's names moved: its own path then runs."""
    exit_renderables = getattr(app, "_exit_renderables", None)
    close = getattr(app, "_close_messages_no_wait", None)
    if not isinstance(exit_renderables, list) or not callable(close):
        return False
    log.exception("sfmonitor crashed")
    app.bell()
    exit_renderables.extend(renderables)
    close()
    return True


def update_row_cells(table: DataTable[Any], row_key: Any, changes: Mapping[Any, Any]) -> None:
    """``table.update_cell`` for each changed cell of one row, repainting that row only, once (where
    Textual's names moved: ``update_cell`` per cell, which repaints the whole table)."""
    data = getattr(table, "_data", None)
    row = data.get(row_key) if isinstance(data, dict) else None
    if (
        not isinstance(row, dict)
        or not all(column_key in row for column_key in changes)
        or not isinstance(getattr(table, "_update_count", None), int)
    ):
        for column_key, value in changes.items():
            table.update_cell(row_key, column_key, value)
        return
    row.update(changes)
    table._update_count += 1  # the render caches are keyed by it: the old lines are not reused
    # The row's line on screen, if it is on screen (rows are one line high). DataTable's own
    # refresh_row walks every row to find it: 1,000 rows, per changed cell.
    header = table.header_height if table.show_header else 0
    y = header + table.get_row_index(row_key) - round(table.scroll_y)
    size = table.size
    if header <= y < size.height:
        table.refresh(Region(0, y, size.width, 1))


def notifications(app: App[Any]) -> list[Notification]:
    """The toasts the app is showing (for tests: Textual has no public way to read them)."""
    return list(getattr(app, "_notifications", ()))


def screen_lines(app: App[Any]) -> list[str]:
    """The app's screen as drawn, one string a terminal line (toasts and overlays included)."""
    return [strip.text for strip in app.screen._compositor.render_strips()]


def screen_output(app: App[Any]) -> str:
    """What a full repaint of the app's screen writes to the terminal (escape sequences included)."""
    update: Any = app.screen._compositor.render_update(full=True)  # a LayoutUpdate on a full repaint
    return str(update.render_segments(app.console))


def write_to_terminal(app: App[Any], data: str) -> bool:
    """Write escape sequences (a desktop notification) to the terminal, in order with the screen's
    own output: through the app's driver (``App._driver``). False where there is none (headless)."""
    driver = getattr(app, "_driver", None)
    if driver is None or app.is_headless:
        return False
    driver.write(data)
    return True
