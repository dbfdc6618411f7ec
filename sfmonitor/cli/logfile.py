"""The log file: the details the screen leaves out, readable by the user alone, kept to a bounded size."""

from __future__ import annotations

import logging
from io import TextIOWrapper
from logging.handlers import RotatingFileHandler
from pathlib import Path

from ..config import paths

MAX_BYTES = 5 * 2**20  # a file; with BACKUPS older ones, at most 20 MB however long sfmonitor runs
BACKUPS = 3
FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


class PrivateRotatingFile(RotatingFileHandler):
    """Rotates like its parent; every file it opens, the first and each new one, is mode 0600."""

    def _open(self) -> TextIOWrapper:
        paths.private_file(Path(self.baseFilename))
        return super()._open()


def file_handler(path: Path | None = None) -> logging.Handler:
    handler = PrivateRotatingFile(path or paths.log_file(), maxBytes=MAX_BYTES, backupCount=BACKUPS, encoding="utf-8")
    handler.setFormatter(logging.Formatter(FORMAT))
    return handler
