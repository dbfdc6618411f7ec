"""The access token never reaches the process title, crash output, screenshots or the log."""

from __future__ import annotations

import io
import os
import time

import pytest
from rich.console import Console

from sfmonitor.config import paths
from sfmonitor.simulator.server import Simulator
from sfmonitor.ui.app import SfMonitorApp
from tests.terminal import read_until, terminal

from .helpers import make_app, wait_for


def test_process_title_hides_a_token_given_on_the_command_line(sim: Simulator) -> None:
    proc, leader = terminal(["watch", "--instance-url", sim.base_url, "--access-token", sim.token])
    try:
        assert b"7505g" in read_until(leader, b"7505g")
        with open(f"/proc/{proc.pid}/cmdline", "rb") as handle:
            title = handle.read().replace(b"\x00", b" ").decode()
        assert sim.token not in title
        assert "--access-token ****" in title
        os.write(leader, b"q")
        deadline = time.monotonic() + 10
        while proc.poll() is None and time.monotonic() < deadline:
            read_until(leader, b"\x00never", timeout=0.2)
    finally:
        if proc.poll() is None:
            proc.kill()
        os.close(leader)


async def test_crash_output_and_log_hold_no_token(sim: Simulator, monkeypatch: pytest.MonkeyPatch) -> None:
    from sfmonitor.cli.main import _logger_kept, _logging

    def broken(self: SfMonitorApp, message: object) -> None:
        token = sim.token  # a frame whose locals hold the token, as a request's do
        raise RuntimeError(f"a bug while handling a poll ({len(token)} characters)")

    monkeypatch.setattr(SfMonitorApp, "on_poll_done", broken)
    captured: list[object] = []
    with _logger_kept():  # the next test in this process logs as before (propagating to pytest's capture)
        _logging(False, to_file=True)
        app = make_app(sim)
        with pytest.raises(RuntimeError, match="a bug while handling a poll"):
            async with app.run_test(size=(120, 40)) as pilot:
                await wait_for(pilot, lambda: app._exit_renderables, timeout=15)
                captured = list(app._exit_renderables)  # what would be printed on the terminal
    out = io.StringIO()
    console = Console(file=out, width=120, force_terminal=False)
    for renderable in captured:
        console.print(renderable)
    printed = out.getvalue()
    assert "a bug while handling a poll" in printed and "details in" in printed
    assert sim.token[:24] not in printed  # not even a fragment (Rich cuts long locals at 80 characters)
    logged = paths.log_file().read_text()
    assert "a bug while handling a poll" in logged and sim.token not in logged


async def test_screenshots_hold_no_token(sim: Simulator) -> None:
    app = make_app(sim)
    async with app.run_test(size=(200, 50)) as pilot:
        await wait_for(pilot, lambda: app.org.state.polls_done)
        assert sim.token not in app.export_screenshot()
        await pilot.press("question_mark")
        await pilot.pause(0.2)
        assert sim.token not in app.export_screenshot()
