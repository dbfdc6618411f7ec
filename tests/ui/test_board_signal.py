"""The app publishes its board through a Textual Signal that the screens subscribe to. A Signal logs a
subscriber's exception and goes on; a bug in a screen's drawing must still crash loudly, as a bug in
any handler does, not leave a screen silently frozen."""

from __future__ import annotations

import pytest

from sfmonitor.simulator.server import Simulator
from sfmonitor.ui.screens.dashboard import DashboardScreen
from sfmonitor.ui.view import Board

from .helpers import make_app, wait_for


async def test_a_bug_in_a_screens_drawing_crashes_loudly(sim: Simulator, monkeypatch: pytest.MonkeyPatch) -> None:
    app = make_app(sim)
    show = DashboardScreen.show

    def broken(self: DashboardScreen, board: Board) -> None:
        if app.org.state.polls_done:
            raise RuntimeError("a bug while drawing the board")
        show(self, board)

    monkeypatch.setattr(DashboardScreen, "show", broken)
    with pytest.raises(RuntimeError, match="a bug while drawing the board"):
        async with app.run_test(size=(120, 40)) as pilot:
            await wait_for(pilot, lambda: app.return_code is not None, timeout=15)
