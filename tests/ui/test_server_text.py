"""Server text is data: markup and escape sequences from the org show literally and do nothing."""

from __future__ import annotations

from sfmonitor.simulator.server import Simulator
from sfmonitor.ui.screens.detail import JobDetailScreen
from sfmonitor.ui.textual_private import notifications
from sfmonitor.ui.widgets.keyed_table import KeyedTable

from .helpers import cell, jobs_table, make_app, wait_for

HOSTILE_OBJECT = "[bold]Acct[/bold][link=https://evil.test]x\x1b]0;pwned\x07\x1b[31m"
HOSTILE_MESSAGE = "[red]boom[/red] \x1b]52;c;ZXZpbA==\x07 \u202eRTL"
HOSTILE_STATE = "[blink]Weird"


def _plant(sim: Simulator) -> tuple[str, str]:
    with sim.world.lock:
        ingest = next(j for j in sim.world.jobs.values() if j.api == "ingest" and j.state == "Failed")
        ingest.object = HOSTILE_OBJECT
        ingest.error_message = HOSTILE_MESSAGE
        classic = next(j for j in sim.world.jobs.values() if j.api == "classic" and j.state == "Open")
        classic.state = HOSTILE_STATE
        classic.content_type = "JSON"  # raw control characters cannot travel in XML 1.0; JSON carries them
        classic.batches[0].override = "Failed"
        classic.batches[0].override_message = HOSTILE_MESSAGE
        return ingest.id, classic.id


async def test_markup_and_escapes_render_literally_everywhere(sim: Simulator) -> None:
    ingest_id, classic_id = _plant(sim)
    app = make_app(sim)
    async with app.run_test(size=(200, 50)) as pilot:
        await wait_for(
            pilot,
            lambda: app.org.state.polls_done and ingest_id in app.org.state.jobs and classic_id in app.org.state.jobs,
        )
        table = jobs_table(app)
        shown = cell(table, ingest_id, "object")
        assert shown.startswith("[bold]Acct[/bold][link=") and shown.endswith("…")  # text, clipped
        assert "\x1b" not in shown and "\x07" not in shown
        assert cell(table, classic_id, "state").startswith("[blink]Weird")
        screen_svg = app.export_screenshot()
        assert "[bold]Acct[/b" in screen_svg
        assert "\x1b" not in screen_svg and "\x07" not in screen_svg

        # the detail: error message and batch state message
        table.select(ingest_id)
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, JobDetailScreen))
        await pilot.pause(0.2)
        detail_svg = app.export_screenshot()
        assert "[bold]Acct[/bold][link=https://evil.test]x\\x1b]0;pwned\\x07" in detail_svg
        assert "[red]boom[/red]" in detail_svg
        assert "\\x1b]52;c;ZXZpbA==\\x07" in detail_svg  # the clipboard write shows as text, inert
        assert "\\u202eRTL" in detail_svg
        await pilot.press("escape")
        await wait_for(pilot, lambda: not isinstance(app.screen, JobDetailScreen))

        table.select(classic_id)
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, JobDetailScreen))
        batches = app.screen.query_one("#batches", KeyedTable)
        await wait_for(pilot, lambda: batches.row_count > 0)
        first = next(iter(r.key.value for r in batches.ordered_rows))
        assert cell(batches, first, "message").startswith("[red]boom[/red] \\x1b]52")

        # a notification that quotes server text
        await pilot.press("c")  # closing a job in state "[blink]Weird" is refused, quoting the state
        await pilot.pause(0.2)
        note = next(n for n in notifications(app) if "Weird" in n.message)
        assert "[blink]Weird" in note.message and not note.markup
