"""The log file of a dashboard left open for days: bounded in size, and every file of it private."""

from __future__ import annotations

import logging
import stat
from pathlib import Path

import pytest

from sfmonitor.cli import logfile


def test_the_log_rotates_and_every_file_stays_private(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(logfile, "MAX_BYTES", 4096)
    path = tmp_path / "state" / "sfmonitor.log"
    handler = logfile.file_handler(path)
    logger = logging.getLogger("sfmonitor.test-rotation")
    logger.propagate = False
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        for n in range(2000):  # a flaky link all night: ~200 KB of "poll failed" lines
            logger.info("poll failed %05d: HTTP 503: Service Unavailable (GET /services/data/v66.0/jobs/ingest)", n)
    finally:
        logger.removeHandler(handler)
        handler.close()
    files = sorted(path.parent.iterdir())
    assert [f.name for f in files] == ["sfmonitor.log", *(f"sfmonitor.log.{i}" for i in range(1, logfile.BACKUPS + 1))]
    assert all(stat.S_IMODE(f.stat().st_mode) == 0o600 for f in files)
    assert sum(f.stat().st_size for f in files) <= (logfile.BACKUPS + 1) * 4096
    assert "poll failed 01999" in path.read_text()  # the newest lines are in the file named by `locate log`
