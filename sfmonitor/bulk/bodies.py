"""Every body the org (or its token endpoint) sends is read here: streamed, inflated by this module
with a byte cap on the *inflated* size, and within a total deadline.

httpx inflates a gzip chunk in one call, so a 64 KiB chunk of a gzip bomb becomes ~64 MiB before a
running total could look at it; here each chunk is inflated at most ``cap + 1`` bytes at a time
(``zlib``'s ``max_length``), so the memory a body takes is its cap, whatever it claims to be.
An answer over its cap is a :class:`HostileBody` for that one request, never memory growth.
"""

from __future__ import annotations

import asyncio
import contextlib
import zlib
from collections.abc import AsyncIterator, Iterator

import httpx

from .errors import HostileBody, ProtocolError, TransportError

MIB = 1024 * 1024
TOKEN_ANSWER_CAP = 1 * MIB  # a token answer is a few hundred bytes
API_ANSWER_CAP = 32 * MIB  # one JSON or XML answer: a listing page, a job, a batch list
INFLATE_STEP = 256 * 1024  # the most one call inflates: a bomb costs its cap, never more


def over_cap(cap: int) -> str:
    """The one wording of a refused body: ``answer over 32 MiB: not read``."""
    size = f"{cap // MIB} MiB" if cap >= MIB and cap % MIB == 0 else f"{cap:,} bytes"
    return f"answer over {size} once inflated: not read"


def no_answer(seconds: float) -> str:
    return f"no answer within {seconds:g} s"


class _Inflater:
    """gzip or deflate (zlib-wrapped or raw, as httpx accepts), inflated in bounded steps."""

    def __init__(self, encoding: str) -> None:
        self.encoding = encoding
        self._raw_fallback = encoding == "deflate"
        self._z = zlib.decompressobj(zlib.MAX_WBITS | 16 if encoding == "gzip" else zlib.MAX_WBITS)

    def feed(self, data: bytes) -> Iterator[bytes]:
        while data:
            try:
                out = self._z.decompress(data, INFLATE_STEP)
            except zlib.error:
                if not self._raw_fallback:
                    raise
                self._raw_fallback = False  # a deflate body without the zlib wrapper (some servers)
                self._z = zlib.decompressobj(-zlib.MAX_WBITS)
                continue
            self._raw_fallback = False
            data = self._z.unconsumed_tail  # left over only when this step filled INFLATE_STEP
            if out:
                yield out

    def flush(self) -> bytes:
        return self._z.flush()


async def inflated(response: httpx.Response, cap: int | None, where: str) -> AsyncIterator[bytes]:
    """The body's chunks, inflated; a :class:`HostileBody` once they pass ``cap`` bytes (None: no cap).
    Identity, gzip and deflate are read (sfmonitor asks for gzip); another encoding is refused."""
    encoding = response.headers.get("content-encoding", "").strip().lower()
    if encoding in ("", "identity"):
        inflater = None
    elif encoding in ("gzip", "x-gzip", "deflate"):
        inflater = _Inflater("deflate" if encoding == "deflate" else "gzip")
    else:
        raise ProtocolError(f"the answer is encoded as {encoding!r}, which sfmonitor did not ask for ({where})")
    total = 0
    try:
        async for raw in response.aiter_raw():
            for chunk in inflater.feed(raw) if inflater else (raw,):
                total += len(chunk)
                if cap is not None and total > cap:
                    raise HostileBody(f"the {over_cap(cap)} ({where})")
                yield chunk
        tail = inflater.flush() if inflater else b""
    except zlib.error as exc:
        raise ProtocolError(f"the response body could not be decoded: {exc} ({where})") from None
    if tail:
        if cap is not None and total + len(tail) > cap:
            raise HostileBody(f"the {over_cap(cap)} ({where})")
        yield tail


async def read_capped(response: httpx.Response, cap: int, where: str) -> bytes:
    """The whole inflated body, at most ``cap`` bytes (else :class:`HostileBody`)."""
    body = bytearray()
    async for chunk in inflated(response, cap, where):
        body += chunk
    return bytes(body)


@contextlib.asynccontextmanager
async def deadline(seconds: float, where: str) -> AsyncIterator[None]:
    """The whole of what it wraps (connect, send, every byte of the answer) within ``seconds``, or a
    :class:`TransportError`: httpx's own timeout is per read, and a byte every few seconds meets it."""
    try:
        async with asyncio.timeout(seconds):
            yield
    except TimeoutError:
        raise TransportError(f"{no_answer(seconds)} ({where})") from None
