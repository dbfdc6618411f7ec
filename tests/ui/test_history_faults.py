"""Every way the history file can fail leaves the live dashboard polling: a file from a newer
sfmonitor, one another program keeps locked, a read-only one, a full disk (a real small filesystem
where this machine lets the test mount one, and SQLite's own "disk is full" injected mid-write
everywhere). Each is said once (a toast, the header's mark) and the org's jobs go on arriving."""

from __future__ import annotations

import contextlib
import os
import sqlite3
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from sfmonitor.simulator.server import Simulator
from sfmonitor.store import writer as store_writer
from sfmonitor.store.schema import connect
from sfmonitor.ui.app import SfMonitorApp
from sfmonitor.ui.remembering import HistoryOptions
from sfmonitor.ui.textual_private import notifications
from sfmonitor.ui.widgets.status_bar import StatusBar

from .helpers import make_app, wait_for


def header(app: SfMonitorApp) -> str:
    return app.screen.query_one("#header", StatusBar).content.plain


async def polls_on_without_history(app: SfMonitorApp, said: str) -> None:
    async with app.run_test(size=(160, 40), notifications=True) as pilot:
        await wait_for(pilot, lambda: "history off" in header(app))
        before = app.org.state.polls_done
        await wait_for(pilot, lambda: app.org.state.polls_done >= before + 2)  # polling goes on
        assert app.org.connection.error is None and app.org.state.jobs
        toasts = [n for n in notifications(app) if n.title == "History off"]
        assert len(toasts) == 1 and said in toasts[0].message, [n.message for n in toasts]
        assert app.history_fault is not None and said in app.history_fault


@contextlib.contextmanager
def mounted(folder: Path, *options: str) -> Iterator[None]:
    """A small tmpfs at ``folder`` (skipped where this machine does not let a test mount one)."""
    folder.mkdir(parents=True, exist_ok=True)
    made = subprocess.run(["mount", "-t", "tmpfs", "-o", ",".join(("size=1m", *options)), "tmpfs", str(folder)],
                          capture_output=True, text=True, check=False)  # fmt: skip
    if made.returncode != 0:
        pytest.skip(f"cannot mount a small filesystem here ({made.stderr.strip() or made.returncode})")
    try:
        yield
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=False)


async def test_a_file_from_a_newer_sfmonitor(sim: Simulator, tmp_path: Path) -> None:
    path = tmp_path / "history.sqlite3"
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA user_version = 99")
    before = path.read_bytes()
    await polls_on_without_history(make_app(sim, interval=0.5, history=HistoryOptions(path)), "newer sfmonitor")
    assert path.read_bytes() == before  # never written to


async def test_a_file_another_program_keeps_locked(sim: Simulator, tmp_path: Path) -> None:
    path = tmp_path / "history.sqlite3"
    connect(path, write=True).close()
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        app = make_app(sim, interval=0.5, history=HistoryOptions(path, busy_ms=300))
        await polls_on_without_history(app, "locked by another program")
    finally:
        holder.execute("ROLLBACK")
        holder.close()


async def test_a_read_only_file(sim: Simulator, tmp_path: Path) -> None:
    if os.geteuid() != 0:
        path = tmp_path / "history.sqlite3"
        connect(path, write=True).close()
        path.chmod(0o400)
        await polls_on_without_history(make_app(sim, interval=0.5, history=HistoryOptions(path)), "read-only")
        return
    folder = tmp_path / "ro"  # root writes through file modes: a read-only filesystem instead
    with mounted(folder):
        connect(folder / "history.sqlite3", write=True).close()
        subprocess.run(["mount", "-o", "remount,ro", str(folder)], check=True)
        app = make_app(sim, interval=0.5, history=HistoryOptions(folder / "history.sqlite3"))
        await polls_on_without_history(app, "read-only")


async def test_a_full_disk(sim: Simulator, tmp_path: Path) -> None:
    folder = tmp_path / "small"
    with mounted(folder):
        path = folder / "history.sqlite3"
        connect(path, write=True).close()
        filler = folder / "filler"
        with contextlib.suppress(OSError), filler.open("wb") as out:  # the rest of the disk, taken
            while True:
                out.write(b"\0" * 4096)
                out.flush()
        await polls_on_without_history(make_app(sim, interval=0.5, history=HistoryOptions(path)), "disk is full")


async def test_a_full_disk_mid_write_injected(sim: Simulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """SQLite's own error for a full disk, raised inside the poll's transaction (any machine)."""
    real = store_writer.Writer._job
    calls = 0

    def job(self: store_writer.Writer, *args: object) -> bool:
        nonlocal calls
        calls += 1
        if calls > 3:
            raise sqlite3.OperationalError("database or disk is full")
        return real(self, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(store_writer.Writer, "_job", job)
    path = tmp_path / "history.sqlite3"
    await polls_on_without_history(make_app(sim, interval=0.5, history=HistoryOptions(path)), "disk is full")
    with sqlite3.connect(path) as conn:  # the poll under way rolled back whole: nothing half-written
        assert conn.execute("SELECT count(*) FROM jobs").fetchone()[0] == 0
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


async def test_no_history_records_nothing(sim: Simulator, tmp_path: Path) -> None:
    """``--no-history`` (as ``history = false``): the dashboard polls, and no history file appears."""
    from sfmonitor.cli.watch import history_options
    from sfmonitor.config import paths
    from sfmonitor.config import settings as config

    settings = config.load(path=tmp_path / "config.toml", env={}, no_history=True)
    assert history_options(settings.history) is None
    app = make_app(sim, interval=0.5, history=history_options(settings.history))
    async with app.run_test(size=(160, 40)) as pilot:
        await wait_for(pilot, lambda: app.org.state.polls_done >= 2)
        await pilot.press("h")
        await pilot.pause()
        assert "History: off (nothing recorded" in app.history_note()
    assert not paths.history_file().exists()
