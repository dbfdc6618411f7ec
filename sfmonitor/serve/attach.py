"""A dashboard's side of a recorder (``sfmonitor --recorder URL``): the recorder's address rules, the
orgs it records, and its feed (monitor/feed.py) followed for as long as the dashboard runs.

The address: ``http://`` only on a loopback host (a token and the org's jobs never cross a network
in the clear); any other host is reached over ``https://`` (a reverse proxy in front of the
recorder, the README's example). A token file (``--recorder-token-file``, ``recorder_token_file``)
is read as every secret file is and sent as ``Authorization: Bearer``.

:class:`Link` follows the feed: it reconnects on its own (after 0.5, 1, 2, 5 s, then every 10 s),
asking for what it missed since the last event it took (the recorder sends each org whole when it
restarted or kept too little). It never raises: what it reads, and each loss with its words, go to
the callbacks it is given.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import urlsplit

import httpx

from ..bulk.auth import Secret, is_loopback
from ..bulk.errors import ConfigError
from ..monitor.feed import PING_S, VERSION
from ..monitor.usual import PastRun
from ..store.memory import as_past_runs
from ..store.reader import Timeline
from ..store.rows import Remembered
from ..store.schema import StoreError
from ..store.wire import remembered_from_wire, timeline_from_wire
from ..text import clip, inert
from .access import read_token_file

log = logging.getLogger(__name__)

T = TypeVar("T")

RETRY_S = (0.5, 1.0, 2.0, 5.0, 10.0)  # after each loss in a row; the last repeats
CONNECT_S = 5.0
LINE_LIMIT = (
    256 * 1024 * 1024
)  # one event (an org of 20,000 jobs whole is ~12 MB): past this the recorder is not trusted


@dataclass(frozen=True)
class RecorderAddress:
    """Where a recorder is, and the token it wants (None: none)."""

    url: str
    token: Secret | None = None

    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token.reveal()}"} if self.token is not None else {}


def recorder_address(url: str, token_file: str | None = None, where: str = "--recorder") -> RecorderAddress:
    """``url`` checked (http only on loopback) and its token read; a ConfigError in one line."""
    text = url.strip().rstrip("/")
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(f"{where} wants the recorder's address, as http://127.0.0.1:9464 or https://HOST, "
                          f"got {inert(url)!r}")  # fmt: skip
    if parts.scheme == "http" and not is_loopback(parts.hostname):
        raise ConfigError(f"{where} {inert(text)}: plain http only to a loopback address; reach a recorder on "
                          "another host over https (a reverse proxy in front of it: see the README)")  # fmt: skip
    token = read_token_file(token_file, f"{where}-token-file" if where == "--recorder" else "recorder_token_file") \
        if token_file else None  # fmt: skip
    return RecorderAddress(text, token)


class RecorderError(Exception):
    """The recorder could not be read; ``str()`` is one line for a person (never the token)."""


def _words(exc: BaseException) -> str:
    if isinstance(exc, RecorderError):
        return str(exc)
    if isinstance(exc, httpx.ConnectError):
        return "not reachable (connection refused or no route)"
    if isinstance(exc, httpx.TimeoutException):
        return "no answer in time"
    if isinstance(exc, httpx.RemoteProtocolError | httpx.ReadError):
        return "the connection was cut"
    if isinstance(exc, ValueError):
        return f"sent something that is not its feed ({clip(inert(str(exc)), 80)})"
    return f"{type(exc).__name__}"


class RecorderRefused(RecorderError):
    """The recorder refused this dashboard's token, or asked for one it was not given (401)."""


def _refusal(response: httpx.Response) -> RecorderError:
    if response.status_code == 401:
        if response.request.headers.get("Authorization"):
            return RecorderRefused("refused this dashboard's token (401): check --recorder-token-file (or "
                                   "recorder_token_file) holds the recorder's --token-file")  # fmt: skip
        return RecorderRefused("asks for a token (401): give it with --recorder-token-file (or recorder_token_file)")
    if response.status_code == 404:
        return RecorderError("answered 404: not an sfmonitor recorder started with --listen, or an older one")
    return RecorderError(f"answered HTTP {response.status_code}")


def _hello(line: str) -> dict[str, Any]:
    hello = json.loads(line)
    if not isinstance(hello, dict) or hello.get("type") != "hello":
        raise ValueError("its first line is not a hello")
    if hello.get("version") != VERSION:
        raise RecorderError(f"speaks feed version {inert(str(hello.get('version')))}, this dashboard {VERSION}: "
                            "run the same sfmonitor on both")  # fmt: skip
    orgs = hello.get("orgs")
    if not isinstance(orgs, list) or not all(isinstance(o, dict) and isinstance(o.get("org"), str) for o in orgs):
        raise ValueError("its list of orgs is not one")
    return hello


def recorded_orgs(address: RecorderAddress, timeout: float = CONNECT_S) -> list[str]:
    """The orgs the recorder records (their history names), asked once; a RecorderError with words."""
    try:
        with httpx.Client(timeout=timeout, headers=address.headers(), trust_env=False) as client:
            response = client.get(f"{address.url}/api/v1/orgs")
            if response.status_code != 200:
                raise _refusal(response)
            return [org["org"] for org in _hello(response.text)["orgs"]]
    except (httpx.HTTPError, ValueError, RecorderError) as exc:
        kind = RecorderRefused if isinstance(exc, RecorderRefused) else RecorderError
        raise kind(f"the recorder at {address.url} {_words(exc)}") from None


async def _lines(response: httpx.Response) -> AsyncIterator[str]:
    """The stream's lines, none longer than LINE_LIMIT characters (httpx's own line reader keeps a
    line that never ends without bound: a recorder that is not one would fill the dashboard's memory)."""
    parts: list[str] = []
    size = 0
    async for text in response.aiter_text():
        start = 0
        while (cut := text.find("\n", start)) >= 0:
            if size + cut - start > LINE_LIMIT:
                break
            parts.append(text[start:cut])
            yield "".join(parts)
            parts, size, start = [], 0, cut + 1
        parts.append(text[start:])
        size += len(text) - start
        if size > LINE_LIMIT:
            raise RecorderError(f"sent a line of more than {LINE_LIMIT:,} characters: not its feed")
    if parts and (last := "".join(parts)):
        yield last


class Link:
    """The feed of one recorder, followed until cancelled. ``on_hello(hello)`` when a connection is
    made, ``on_event(event)`` for each org event in order, ``on_lost(words)`` when one is lost (or
    cannot be made), then it tries again."""

    def __init__(
        self,
        address: RecorderAddress,
        on_hello: Callable[[Mapping[str, Any]], object],
        on_event: Callable[[Mapping[str, Any]], object],
        on_lost: Callable[[str], object],
        *,
        retry_s: tuple[float, ...] = RETRY_S,
    ) -> None:
        self.address = address
        self.on_hello, self.on_event, self.on_lost = on_hello, on_event, on_lost
        self.retry_s = retry_s
        self.boot: str | None = None
        self.seq: int | None = None
        self.connected = False
        self._resync = False

    def resync(self) -> None:
        """An event could not be used: the connection is dropped and each org asked for whole."""
        self._resync = True

    async def follow(self) -> None:
        losses = 0
        timeout = httpx.Timeout(CONNECT_S, read=3 * PING_S)  # a line comes every PING_S: silence is a dead line
        async with httpx.AsyncClient(timeout=timeout, headers=self.address.headers(), trust_env=False) as client:
            while True:
                try:
                    await self._read(client)
                    why = "closed the feed (stopped or restarting)"
                except asyncio.CancelledError:
                    raise
                except Exception as exc:  # whatever the line brings, the dashboard goes on and tries again
                    why = _words(exc)
                if self.connected and not self._resync:  # a line it could not use: the pause still grows
                    losses = 0
                self.connected = False
                self.on_lost(f"recorder {self.address.url} {why}")
                await asyncio.sleep(self.retry_s[min(losses, len(self.retry_s) - 1)])
                losses += 1

    async def _read(self, client: httpx.AsyncClient) -> None:
        if self._resync:
            self._resync, self.boot, self.seq = False, None, None
        params = {"boot": self.boot, "after": str(self.seq)} if self.boot and self.seq is not None else None
        async with client.stream("GET", f"{self.address.url}/api/v1/feed", params=params) as response:
            if response.status_code != 200:
                raise _refusal(response)
            lines = _lines(response)
            first = await anext(lines, None)
            if first is None:  # else StopAsyncIteration, whose name would be the words
                raise RecorderError("closed the feed before its first line")
            hello = _hello(first)
            sent: Any = None
            if hello.get("boot") != self.boot:
                self.boot, self.seq = str(hello.get("boot")), None
            self.connected = True
            self.on_hello(hello)
            async for line in lines:
                if self._resync:
                    raise RecorderError("sent an event this dashboard could not use: asking for each org whole")
                event = json.loads(line)
                if not isinstance(event, dict):
                    raise ValueError("an event that is not an object")
                if event.get("type") == "clock":
                    sent = event.get("now")  # what follows was sent then (an event kept for a reconnect: now)
                    continue
                if event.get("type") != "org":
                    continue  # a kind this dashboard does not know
                seq = event.get("seq")
                if not isinstance(seq, int):
                    raise ValueError("an event without its number")
                self.on_event({**event, "sent": sent} if sent is not None else event)
                self.seq = seq


class RemoteHistory:
    """The recorder's history, asked over HTTP (serve/history_api.py), for a dashboard attached to it:
    what ``h`` and the usual pace read (store.memory.HistoryReader). Blocking: asked from a thread.
    Each failure is a StoreError in words (the recorder's, or why it could not be asked)."""

    def __init__(self, address: RecorderAddress, timeout: float = 10.0) -> None:
        self.address = address
        self._client = httpx.Client(timeout=timeout, headers=address.headers(), trust_env=False)  # thread-safe

    def _get(self, what: str, **params: str) -> Any:
        try:
            response = self._client.get(f"{self.address.url}/api/v1/history/{what}", params=params)
        except httpx.HTTPError as exc:
            raise StoreError(f"the recorder {self.address.url} did not answer: {_words(exc)}") from None
        try:
            body = response.json()
        except ValueError:
            body = None
        if response.status_code != 200:
            said = body.get("error") if isinstance(body, dict) else None
            raise StoreError(str(said) if said else f"the recorder {self.address.url} {_refusal(response)}")
        if body is None:
            raise StoreError(f"the recorder {self.address.url} sent a history that is not JSON")
        return body

    def past_runs(self, org: str, object_name: str, operation: str, before: float, limit: int = 50) -> list[Remembered]:
        asked = {"org": org, "object": object_name, "operation": operation, "before": repr(before), "limit": str(limit)}
        body = self._get("runs", **asked)
        return self._decoded(lambda: [remembered_from_wire(run) for run in body])

    def runs(self, org: str, object_name: str, operation: str, before: float) -> list[PastRun]:
        return as_past_runs(self.past_runs(org, object_name, operation, before))

    def timeline(self, job: Remembered) -> Timeline:
        body = self._get("timeline", org=job.org, id=job.job.id)
        return self._decoded(lambda: timeline_from_wire(body))

    def last_jobs(self, org: str, limit: int = 2000) -> tuple[list[Remembered], float | None]:
        body = self._get("last", org=org, limit=str(limit))
        polled = body.get("polled") if isinstance(body, dict) else None
        jobs = self._decoded(lambda: [remembered_from_wire(run) for run in body["jobs"]])
        return jobs, float(polled) if isinstance(polled, int | float) else None

    def _decoded(self, decode: Callable[[], T]) -> T:
        try:
            return decode()
        except (ValueError, KeyError, TypeError) as exc:
            raise StoreError(f"the recorder {self.address.url} sent a history this dashboard cannot read "
                             f"({clip(inert(str(exc)), 80)})") from None  # fmt: skip

    def close(self) -> None:
        self._client.close()
