"""Alerts on a real pseudo-terminal: the bell byte and the desktop notification (wrapped for tmux
under $TMUX) in the terminal stream, and the --on-event command handed the event as JSON."""

from __future__ import annotations

import json
import os
import signal
import sys
import time
from pathlib import Path

import pytest

from sfmonitor.simulator.server import Simulator
from tests.conftest import add_running_ingest_job
from tests.terminal import read_until, terminal

WRAPPED_OSC9 = b"\x1bPtmux;\x1b\x1b]9;"


def _config(tmp_path: Path, lines: str) -> None:
    path = Path(os.environ["XDG_CONFIG_HOME"], "sfmonitor", "config.toml")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(lines)


def test_a_job_ending_rings_notifies_through_tmux_and_runs_the_event_command(
    quiet_sim: Simulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sim = quiet_sim
    got = tmp_path / "event.json"
    script = f"import sys; open({str(got)!r}, 'a').write(sys.stdin.read() + chr(10))"  # a line per event
    _config(tmp_path, f'[alerts]\ndesktop = "osc9"\non_event = {json.dumps([sys.executable, "-c", script])}\n')
    monkeypatch.setenv("SF_INSTANCE_URL", sim.base_url)
    monkeypatch.setenv("SF_ACCESS_TOKEN", sim.token)
    monkeypatch.setenv("TMUX", f"{tmp_path}/no-tmux-server,1,0")  # inside tmux, whose server does not answer
    add_running_ingest_job(sim, total=10**6, rate=50, running_for=0, fail_permille=0)  # runs all along: not idle
    proc, leader = terminal(["watch", "--interval", "1"])
    try:
        seen = read_until(leader, b"updated ", timeout=30)  # the first poll is in: after it, an end is news
        job = add_running_ingest_job(sim, total=300, rate=3, running_for=0, fail_permille=100)  # ends ~2 s in
        seen = read_until(leader, WRAPPED_OSC9, timeout=30)
        if WRAPPED_OSC9 in seen and b"\x07" not in seen[seen.index(WRAPPED_OSC9) :]:
            seen += read_until(leader, b"\x07", timeout=5)  # the bell, if it came in a later write
        assert WRAPPED_OSC9 in seen, seen[-2000:]
        after = seen[seen.index(WRAPPED_OSC9) :]
        # object, state, job and counts (the org holds no other job, so no other alert)
        assert f"Contact insert JobComplete: job {job}".encode() in after, after[:600]
        assert b"300 processed, 30 failed" in after, after[:600]
        assert b"\x07" in after  # the bell, after the notification
        deadline = time.monotonic() + 10  # the command runs beside the screen: wait for its file
        while time.monotonic() < deadline and job not in (got.read_text() if got.exists() else ""):
            time.sleep(0.05)
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        read_until(leader, b"\x1b[?1049l", timeout=10)  # drain: the app writes its goodbye as it exits
        proc.wait(timeout=10)
        os.close(leader)
    events = [json.loads(line) for line in got.read_text().splitlines()]
    (ended,) = [e for e in events if e["job"]["id"] == job]
    assert ended["event"] == "ended" and ended["job"]["numberRecordsFailed"] == 30


def test_muted_nothing_rings(quiet_sim: Simulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    sim = quiet_sim
    _config(tmp_path, '[alerts]\ndesktop = "osc9"\n')
    monkeypatch.setenv("SF_INSTANCE_URL", sim.base_url)
    monkeypatch.setenv("SF_ACCESS_TOKEN", sim.token)
    monkeypatch.delenv("TMUX", raising=False)
    add_running_ingest_job(sim, total=10**6, rate=50, running_for=0, fail_permille=0)  # runs all along: not idle
    proc, leader = terminal(["watch", "--interval", "1"])
    try:
        read_until(leader, b"updated ", timeout=30)  # the first poll is in
        os.write(leader, b"m")
        muted = read_until(leader, b"alerts muted (m)", timeout=10)
        assert b"alerts muted (m)" in muted
        add_running_ingest_job(sim, total=300, rate=3, running_for=0, fail_permille=0)  # ends ~2 s in
        # the poll that sees the end would write the notification and the bell before the screen
        # repaints the row: everything up to the row saying JobComplete must hold neither
        later = read_until(leader, b"JobComplete", timeout=30)
        assert b"JobComplete" in later
        assert b"\x1b]9;" not in later and b"\x07" not in later
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        read_until(leader, b"\x1b[?1049l", timeout=10)  # drain: the app writes its goodbye as it exits
        proc.wait(timeout=10)
        os.close(leader)
