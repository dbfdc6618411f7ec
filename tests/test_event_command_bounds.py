"""The --on-event command under load, with real processes: a few at once and the rest queued (past the
queue, dropped and counted); only the tail of a flood of output kept; the command's exit waited on,
never its output's end (a background child it leaves holding the pipe); a killed command's group
killed with it."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import signal
import sys
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

import pytest

from sfmonitor.notify.event_command import MAX_RUNNING, MAX_WAITING, OUTPUT_KEPT, EventCommands, run_event_command

EVENT = {"event": "ended", "job": {"id": "750x"}}


def gone(pid: int) -> bool:
    """Dead: no such process, or a zombie waiting for its reaper."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
    except (FileNotFoundError, ProcessLookupError):
        return True


async def until(condition: Callable[[], bool], seconds: float = 30) -> None:
    """Poll ``condition`` (a file a real process writes, a process gone) until true, or fail."""
    ends = time.monotonic() + seconds
    while not condition() and time.monotonic() < ends:
        await asyncio.sleep(0.02)
    assert condition(), "not within the time given"


async def test_a_few_commands_run_at_once_the_rest_wait_their_turn_and_past_the_queue_are_dropped(
    tmp_path: Path,
) -> None:
    log, gate = tmp_path / "log", tmp_path / "gate"
    script = (f"import os, sys, time; log = open({str(log)!r}, 'a'); log.write('start\\n'); log.flush()\n"
              f"while not os.path.exists({str(gate)!r}): time.sleep(0.01)\n"
              "log.write('end\\n')")  # fmt: skip
    commands = EventCommands(running=2, waiting=3)
    works = [commands.submit([sys.executable, "-c", script], {**EVENT, "n": n}, 60) for n in range(10)]
    accepted = [work for work in works if work is not None]
    assert len(accepted) == 5 and commands.dropped == 5 and commands.pending == 5
    running = asyncio.gather(*accepted)
    await until(lambda: log.exists() and log.read_text().count("start") == 2)
    gate.touch()  # the two running end; the three queued run, two at a time
    assert await running == [True] * 5
    open_at_once, most = 0, 0
    for line in log.read_text().split():
        open_at_once += 1 if line == "start" else -1
        most = max(most, open_at_once)
    assert most == 2 and log.read_text().count("start") == 5
    assert commands.pending == 0  # room again for the next poll's events


def test_three_hundred_events_at_once_start_at_most_the_running_few() -> None:
    commands = EventCommands()
    works = [commands.submit(["true"], EVENT, 10) for _ in range(300)]
    accepted = [work for work in works if work is not None]
    assert len(accepted) == MAX_RUNNING + MAX_WAITING and commands.dropped == 300 - len(accepted)
    for work in accepted:
        work.close()  # never run


async def test_a_flood_of_output_keeps_only_its_tail(caplog: pytest.LogCaptureFixture) -> None:
    flood = "import sys; sys.stderr.buffer.write(b'x' * 50_000_000); sys.stdout.write('THE END'); sys.exit(3)"
    tracemalloc.start()
    try:
        with caplog.at_level(logging.WARNING):
            assert not await run_event_command([sys.executable, "-c", flood], EVENT, 60)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 4 * 1024 * 1024, peak  # 50 MB went through; what was held is its tail
    (record,) = [r for r in caplog.records if "--on-event" in r.getMessage()]
    said = record.getMessage()
    assert "exited 3" in said and said.endswith("THE END")
    assert f"its last {OUTPUT_KEPT:,} bytes of 50,000,007" in said
    assert len(said) < OUTPUT_KEPT + 500


async def test_a_background_child_holding_the_output_does_not_hold_sfmonitor(tmp_path: Path) -> None:
    pidfile = tmp_path / "pid"
    leaves = ["/bin/sh", "-c", f'cat >/dev/null; sleep 100 & echo $! > {pidfile}; echo "posted"']
    started = time.monotonic()
    try:
        assert await run_event_command(leaves, EVENT, 60)
        assert time.monotonic() - started < 30  # its child holds the pipe for 100 s
    finally:
        os.kill(int(pidfile.read_text()), signal.SIGKILL)


async def test_at_the_time_limit_the_command_and_what_it_started_are_killed(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    pidfile = tmp_path / "pid"
    hangs = ["/bin/sh", "-c", f"sleep 100 & echo $! > {pidfile}; echo waiting; sleep 100"]
    with caplog.at_level(logging.WARNING):
        assert not await run_event_command(hangs, EVENT, 1)
    child = int(pidfile.read_text())
    await until(lambda: gone(child))
    assert any("did not finish within 1 s: killed; it said: waiting" in r.getMessage() for r in caplog.records)


async def test_the_event_arrives_whole_on_stdin(tmp_path: Path) -> None:
    got = tmp_path / "event.json"
    big = {**EVENT, "text": "é" * 200_000}  # more than a pipe holds: stdin is a file, nothing blocks
    copy = f"import sys; open({str(got)!r}, 'wb').write(sys.stdin.buffer.read())"
    assert await run_event_command([sys.executable, "-c", copy], big, 60)
    assert json.loads(got.read_text()) == big


async def test_stop_kills_every_running_command_and_what_it_started(tmp_path: Path) -> None:
    pidfile = tmp_path / "pid"
    hangs = ["/bin/sh", "-c", f"sleep 120 & echo $! > {pidfile}; sleep 120"]
    commands = EventCommands(running=1, waiting=1)
    first, queued = commands.submit(hangs, EVENT, 600), commands.submit(hangs, EVENT, 600)
    assert first is not None and queued is not None
    running = asyncio.gather(first, queued)
    await until(lambda: pidfile.exists() and pidfile.read_text().strip() != "")
    (group,) = commands.groups
    commands.stop()
    assert await running == [False, False]  # the queued one never started
    child = int(pidfile.read_text())
    await until(lambda: gone(child) and gone(group))
    assert commands.submit(hangs, EVENT, 600) is None and not commands.groups


async def test_the_output_reaches_the_log_inert(caplog: pytest.LogCaptureFixture) -> None:
    says = ["/bin/sh", "-c", "printf 'it said: \\033]0;PWN\\007out line\\n'; exit 2"]
    with caplog.at_level(logging.WARNING):
        assert not await run_event_command(says, EVENT, 60)
    (said,) = [r.getMessage() for r in caplog.records if "--on-event" in r.getMessage()]
    assert "\x1b" not in said and "\x07" not in said
    assert said.endswith("it said: \\x1b]0;PWN\\x07out line")
