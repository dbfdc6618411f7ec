"""The terminal going away (SSH dropped, tmux pane killed, kill): leave at once, and cleanly."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import sys
import threading
from typing import Any

from textual.app import App

log = logging.getLogger(__name__)

CHECK_EVERY_S = 0.5  # isatty() is cheap
HARD_EXIT_AFTER_S = 3.0
HANG_UP_EXIT = 129


def watch_terminal(app: App[Any]) -> None:
    """SIGHUP or a terminal that stops being one ends the app with 129; SIGTERM ends it as ``q`` does,
    so the terminal gets its screen, cursor and mouse back (the default would end it mid-screen)."""
    tty = next((s.fileno() for s in (sys.__stdout__, sys.__stdin__) if s and s.isatty()), None)

    def gone(why: str) -> None:
        # restoring a dead terminal can block: a hard exit backs the clean one
        log.warning("%s: exiting", why)
        hard = threading.Timer(HARD_EXIT_AFTER_S, os._exit, args=(HANG_UP_EXIT,))
        hard.daemon = True
        hard.start()
        app.exit(return_code=HANG_UP_EXIT)

    with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
        loop = asyncio.get_running_loop()
        loop.add_signal_handler(signal.SIGHUP, gone, "hang-up signal")
        loop.add_signal_handler(signal.SIGTERM, app.exit, None, 143)
    if tty is not None:
        app.set_interval(CHECK_EVERY_S, lambda: None if os.isatty(tty) else gone("terminal closed"),
                         name="terminal watchdog")  # fmt: skip
