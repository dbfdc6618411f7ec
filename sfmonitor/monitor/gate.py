"""A bound on requests in flight that lets the most wanted in first.

Like ``asyncio.Semaphore``, but a waiter with a lower ``priority`` is let in before one with a
higher, whatever their order of arrival (equal ones in turn). A poll cycle asks for its reads
newest job first: in an org's first cycle the live jobs of a long listing's last page are read
before the old, finished-looking ones its first page brought (the likeliest running come first).
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import itertools
from collections.abc import AsyncIterator


class Gate:
    def __init__(self, size: int) -> None:
        self._free = size
        self._waiting: list[tuple[float, int, asyncio.Future[None]]] = []
        self._arrivals = itertools.count()

    @contextlib.asynccontextmanager
    async def held(self, priority: float = 0.0) -> AsyncIterator[None]:
        """Hold one place for the ``async with`` block, waiting for one (lowest ``priority`` first)."""
        if self._free > 0 and not self._waiting:
            self._free -= 1
        else:
            turn: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            heapq.heappush(self._waiting, (priority, next(self._arrivals), turn))
            try:
                await turn
            except asyncio.CancelledError:
                if turn.done() and not turn.cancelled():
                    self._release()  # let in just as it was cancelled: the place goes to the next
                raise  # (a cancelled turn still in the heap is passed over)
        try:
            yield
        finally:
            self._release()

    def _release(self) -> None:
        while self._waiting:
            _, _, turn = heapq.heappop(self._waiting)
            if not turn.done():
                turn.set_result(None)
                return
        self._free += 1
