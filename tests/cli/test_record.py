"""``sfmonitor record``: headless (no terminal), on the simulator over real sockets; SIGTERM finishes
the history write under way and exits 0; what it cannot do is one line and its exit code."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from sfmonitor.cli import record
from sfmonitor.config import paths
from sfmonitor.config.history import HistorySettings
from sfmonitor.simulator.server import Simulator
from tests.cli.runner import run_cli
from tests.fakes import MemoryWriter


@pytest.fixture
def org(sim: Simulator) -> dict[str, str]:
    return {"SF_INSTANCE_URL": sim.base_url, "SF_ACCESS_TOKEN": sim.token}


@pytest.fixture
def writers(monkeypatch: pytest.MonkeyPatch) -> list[tuple[HistorySettings, MemoryWriter]]:
    """Each writer the command opens (an in-memory one), with the settings it was opened for."""
    opened: list[tuple[HistorySettings, MemoryWriter]] = []

    def open_writer(history: HistorySettings) -> MemoryWriter:
        writer = MemoryWriter(on_poll=_sigterm_after(2))
        opened.append((history, writer))
        return writer

    monkeypatch.setattr(record, "open_writer", open_writer)
    return opened


def _sigterm_after(polls: int) -> Callable[[MemoryWriter], None]:
    def on_poll(writer: MemoryWriter) -> None:
        if len(writer.polls) == polls:
            os.kill(os.getpid(), signal.SIGTERM)  # what systemd sends: handled on the loop, as an event

    return on_poll


def test_record_polls_until_sigterm_then_closes_the_history_and_exits_0(
    sim: Simulator, org: dict[str, str], writers: list[tuple[HistorySettings, MemoryWriter]]
) -> None:
    result = run_cli(["record", "--interval", "2"], org)
    assert result.returncode == 0, result.stderr
    [(history, writer)] = writers
    assert history.path == paths.history_file() and history.days == 400 and history.max_bytes == 2**30
    assert len(writer.polls) == 2 and writer.closed == record.CLOSE_TIMEOUT_S
    assert {job.id for job in writer.polls[0][1]} == set(sim.world.jobs)  # the first poll: every job
    assert writer.polls[0][0] == "127.0.0.1"  # the org of the environment: recorded under its host
    assert result.stdout == ""  # nothing on standard output, ever
    assert result.stderr.startswith("sfmonitor: recording 1 org (") and result.stderr.count("\n") == 1
    log = paths.log_file().read_text()
    assert f"recording 1 org ({sim.base_url}) to {paths.history_file()}" in log
    assert "SIGTERM: stopping; finishing the history write under way" in log
    assert "stopped (SIGTERM) after 2 polls; the history is closed" in log
    assert sim.token not in log + result.stderr


@pytest.mark.parametrize(
    ("how", "config", "why"),
    [
        ("flag", "", "--no-history"),
        ("top-level", "history = false\n", "history = false in config file"),
        ("table", "[history]\nenabled = false\n", "[history] enabled = false in config file"),
    ],
)
def test_record_with_history_off_refuses_in_one_line(
    org: dict[str, str], writers: list[object], how: str, config: str, why: str
) -> None:
    paths.config_file().parent.mkdir(parents=True, exist_ok=True)
    paths.config_file().write_text(config)
    result = run_cli(["record", *(["--no-history"] if how == "flag" else [])], org)
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and why in result.stderr and "nothing to record" in result.stderr
    assert writers == []


def test_record_when_no_org_can_sign_in_says_why_and_exits_3(writers: list[tuple[object, MemoryWriter]]) -> None:
    result = run_cli(["record", "--instance-url", "http://127.0.0.1:9", "--access-token", "secret-token-xyz"])
    assert result.returncode == 3, result.stderr
    assert result.stderr.splitlines()[-1].startswith("sfmonitor: no org could sign in, so nothing was recorded (")
    assert "secret-token-xyz" not in result.stderr + paths.log_file().read_text()
    [(_, writer)] = writers
    assert writer.polls == [] and writer.closed is not None


def test_record_whose_static_token_is_refused_at_once_exits_3(
    sim: Simulator, writers: list[tuple[object, MemoryWriter]]
) -> None:
    """A static token is not checked until it is used: the first poll's 401 is the sign-in failing."""
    result = run_cli(["record"], {"SF_INSTANCE_URL": sim.base_url, "SF_ACCESS_TOKEN": "bad-token-xyz"})
    assert result.returncode == 3, result.stderr
    last = result.stderr.splitlines()[-1]
    assert last.startswith("sfmonitor: no org could sign in, so nothing was recorded (") and "access token" in last
    log = paths.log_file().read_text()
    assert "signed in as" not in log and "its first poll tells whether the access token is accepted" in log
    assert "trying again" not in log  # it ends: not retried every few minutes for ever
    assert "no org could sign in" in log and "bad-token-xyz" not in log + result.stderr
    [(_, writer)] = writers
    assert writer.polls == [] and writer.closed is not None


def test_record_whose_history_cannot_be_written_exits_11(org: dict[str, str], monkeypatch: pytest.MonkeyPatch) -> None:
    writer = MemoryWriter(fail_after=1)
    monkeypatch.setattr(record, "open_writer", lambda history: writer)
    result = run_cli(["record"], org)
    assert result.returncode == 11
    assert result.stderr.splitlines()[-1] == (
        f"sfmonitor: the history {paths.history_file()} cannot be written: database disk image is malformed"
    )
    assert len(writer.polls) == 1 and writer.closed is not None


def test_locate_history_prints_where_the_history_is(tmp_path: Path) -> None:
    default = run_cli(["locate", "history"])
    assert default.returncode == 0 and default.stdout == f"{paths.history_file()}\n"
    assert paths.history_file().is_relative_to(Path(os.environ["XDG_DATA_HOME"]))
    paths.config_file().parent.mkdir(parents=True, exist_ok=True)
    paths.config_file().write_text('[history]\npath = "~/records/sfm.sqlite3"\n')
    chosen = run_cli(["locate", "history"])
    assert chosen.returncode == 0 and chosen.stdout == f"{Path.home() / 'records' / 'sfm.sqlite3'}\n"
    paths.config_file().write_text('[history]\npath = "records/sfm.sqlite3"\n')
    relative = run_cli(["locate", "history"])
    assert relative.returncode == 2 and "must be absolute" in relative.stderr


# A real process, as systemd runs it: no terminal, stdin /dev/null, SIGTERM to stop. The writer is an
# in-memory one that writes what it was handed to a file (the store is not this test's subject).
LAUNCH = """
import json, os, sys, time
from sfmonitor.cli import main, record

class FileWriter:
    fault = None
    def __init__(self, history):
        self.out = open(os.environ["RECORDED"], "a", buffering=1)
        self.out.write(json.dumps({"opened": str(history.path)}) + "\\n")
    def poll(self, org, jobs, at):
        self.out.write(json.dumps({"poll": org, "jobs": len(list(jobs))}) + "\\n")
    def close(self, timeout):
        time.sleep(0.3)  # a write under way, finished before the process ends
        self.out.write(json.dumps({"closed": timeout}) + "\\n")

record.open_writer = FileWriter
sys.exit(main.main(sys.argv[1:]))
"""


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGINT], ids=["sigterm", "ctrl+c"])
def test_a_recorder_process_stops_on_sigterm_after_closing_the_history(
    sim: Simulator, org: dict[str, str], tmp_path: Path, stop: signal.Signals
) -> None:
    recorded = tmp_path / "recorded.jsonl"
    proc = subprocess.Popen(
        [sys.executable, "-c", LAUNCH, "record", "--interval", "2"],
        env={**os.environ, **org, "RECORDED": str(recorded)},
        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 30
        while sum('"poll"' in line for line in _lines(recorded)) < 2:
            assert proc.poll() is None and time.monotonic() < deadline, proc.communicate(timeout=10)
            time.sleep(0.05)
        proc.send_signal(stop)
        out, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, err
    events = [json.loads(line) for line in _lines(recorded)]
    assert events[0] == {"opened": str(paths.history_file())}
    assert events[1] == {"poll": "127.0.0.1", "jobs": len(sim.world.jobs)}  # the first poll: every job
    assert all("poll" in event for event in events[1:-1])
    assert events[-1] == {"closed": record.CLOSE_TIMEOUT_S}  # closed last: no poll handed over after it
    assert out == "" and "Traceback" not in err and sim.token not in err
    log = paths.log_file().read_text()
    assert f"{stop.name}: stopping" in log and f"stopped ({stop.name})" in log and sim.token not in log


def _lines(path: Path) -> list[str]:
    return path.read_text().splitlines() if path.exists() else []


def test_record_whose_history_cannot_be_opened_says_so_in_one_line(
    org: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(history: HistorySettings) -> MemoryWriter:
        raise PermissionError(13, "Permission denied", str(history.path))

    monkeypatch.setattr(record, "open_writer", refuse)
    result = run_cli(["record"], org)
    assert result.returncode == 11 and result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    assert result.stderr.startswith(f"sfmonitor: the history {paths.history_file()} could not be opened: ")
