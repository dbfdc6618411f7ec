"""The terminal going away, and ctrl+z: a real pseudo-terminal, a real process."""

from __future__ import annotations

import os
import signal
import time

from tests.terminal import cpu_seconds, read_until, state, terminal


def _dashboard_up(leader: int) -> None:
    assert b"7505g" in read_until(leader, b"7505g"), "the dashboard did not come up"


def test_sighup_exits_within_5_seconds() -> None:
    proc, leader = terminal(["demo"])
    try:
        _dashboard_up(leader)
        started = time.monotonic()
        os.killpg(proc.pid, signal.SIGHUP)
        proc.wait(timeout=5)
        assert time.monotonic() - started < 5
    finally:
        if proc.poll() is None:
            proc.kill()
        os.close(leader)


def test_lost_terminal_exits_within_5_seconds_without_spinning() -> None:
    proc, leader = terminal(["demo"])
    try:
        _dashboard_up(leader)
        before = last = cpu_seconds(proc.pid)
        started = time.monotonic()
        os.close(leader)  # the SSH connection drops: no SIGHUP, the terminal is simply gone
        leader = -1
        while proc.poll() is None and time.monotonic() - started < 5:
            try:
                last = cpu_seconds(proc.pid)
            except (FileNotFoundError, ProcessLookupError, IndexError):
                break
            time.sleep(0.05)
        proc.wait(timeout=1)
        assert time.monotonic() - started < 5
        assert last - before < 1.5, f"burned {last - before:.1f} s of CPU on its way out"
    finally:
        if proc.poll() is None:
            proc.kill()
        if leader >= 0:
            os.close(leader)


def test_ctrl_z_suspends_and_fg_resumes() -> None:
    proc, leader = terminal(["demo"])
    try:
        _dashboard_up(leader)
        os.write(leader, b"\x1a")  # ctrl+z
        deadline = time.monotonic() + 10
        while state(proc.pid) != "T" and time.monotonic() < deadline:
            read_until(leader, b"\x00never", timeout=0.1)
        assert state(proc.pid) == "T", "ctrl+z did not suspend"
        os.killpg(proc.pid, signal.SIGCONT)  # what the shell's fg does
        redraw = read_until(leader, b"7505g", timeout=15)
        assert b"7505g" in redraw and state(proc.pid) != "T"
        os.write(leader, b"q")
        deadline = time.monotonic() + 10
        while proc.poll() is None and time.monotonic() < deadline:
            read_until(leader, b"\x00never", timeout=0.2)
        assert proc.returncode == 0
    finally:
        if proc.poll() is None:
            proc.kill()
        os.close(leader)


def test_sigterm_gives_the_terminal_back() -> None:
    """kill, systemd or tmux kill-server: the screen, the cursor and the mouse are restored on the way out."""
    proc, leader = terminal(["demo"])
    try:
        _dashboard_up(leader)
        os.kill(proc.pid, signal.SIGTERM)
        tail = b""
        deadline = time.monotonic() + 10
        while proc.poll() is None and time.monotonic() < deadline:
            tail += read_until(leader, b"\x00never", timeout=0.2)
        tail += read_until(leader, b"\x00never", timeout=0.3)
        assert proc.returncode == 143
        assert b"\x1b[?1049l" in tail  # the alternate screen is left
        assert b"\x1b[?25h" in tail  # the cursor is shown
        assert b"\x1b[?1000l" in tail  # mouse reporting is off
    finally:
        if proc.poll() is None:
            proc.kill()
        os.close(leader)
