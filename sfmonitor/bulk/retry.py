"""The one way a failed request is tried again: after each of a few delays, while it fails transiently."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Iterator
from contextvars import ContextVar
from typing import TypeVar

from .errors import BulkError, transient

T = TypeVar("T")
log = logging.getLogger(__name__)

Pause = Callable[[float], Awaitable[None]]


async def _sleep(delay: float) -> None:
    await asyncio.sleep(delay)


_PAUSE: ContextVar[Pause] = ContextVar("retry_pause", default=_sleep)


@contextlib.contextmanager
def pausing_with(pause: Pause) -> Iterator[None]:
    """Every retry delay in this context (and the event loops and threads it starts) is ``pause(delay)``
    instead of a real sleep: a command run in-process by a test retries at once."""
    token = _PAUSE.set(pause)
    try:
        yield
    finally:
        _PAUSE.reset(token)


async def retrying(call: Callable[[], Awaitable[T]], delays: tuple[float, ...], what: str = "request") -> T:
    """``call()``, tried again after each of ``delays`` while it fails transiently (no answer, a 5xx, a
    garbled body); any other failure, or the last, is raised at once."""
    for delay in (*delays, None):
        try:
            return await call()
        except BulkError as exc:
            if delay is None or not transient(exc):
                raise
            log.info("%s failed (%s); trying again in %.1f s", what, exc, delay)
        await _PAUSE.get()(delay)
    raise AssertionError("unreachable")
