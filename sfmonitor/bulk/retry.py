"""The one way a failed request is tried again: after each of a few delays, while it fails transiently."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import TypeVar

from .errors import BulkError, transient

T = TypeVar("T")
log = logging.getLogger(__name__)


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
        await asyncio.sleep(delay)
    raise AssertionError("unreachable")
