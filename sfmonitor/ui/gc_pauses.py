"""Keep Python's full garbage collections from stalling the screen.

A full collection walks every live container. With a big org's jobs held (20,000 jobs, or ten orgs
of 2,000: about 300,000 objects) each one holds the event loop ~90 ms, every few seconds while the
history is read: keys wait behind it. After each full collection its survivors are frozen (out of
the collector's sight; still freed as usual when their last reference goes), so the next ones walk
only what is new (~10-20 ms). Every ``THAW_EVERY_S`` they are handed back, so cycles of garbage
among them are still collected: one long pause per interval instead of one every few seconds.
A view that closes with much in it (Failures: its tables, its report) calls :func:`thaw` so the next
full collection frees it then, not at the next interval (30 jobs' failures opened in turn otherwise
held some 50 MB of closed views until the thaw).
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable
from typing import Any

THAW_EVERY_S = 600.0


class CalmCollector:
    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self._thawed_at = clock()
        self._installed = False

    def install(self) -> None:
        if not self._installed:
            gc.callbacks.append(self._after)
            self._installed = True

    def uninstall(self) -> None:
        if self._installed:
            gc.callbacks.remove(self._after)
            self._installed = False
            gc.unfreeze()

    def _after(self, phase: str, info: dict[str, Any]) -> None:
        if phase != "stop" or info.get("generation") != 2:
            return
        now = self.clock()
        if now - self._thawed_at >= THAW_EVERY_S:
            gc.unfreeze()  # the next full collection looks at everything once more
            self._thawed_at = now
        else:
            gc.freeze()


def thaw() -> None:
    """Hand the frozen heap back now: the next full collection (when Python's thresholds call it, not
    at once) looks at everything, frees a closed view's cycles, and freezes what survives again."""
    gc.unfreeze()
