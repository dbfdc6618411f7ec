"""One HTTP face to the org: base URL, the right auth header per API, gzip, timeouts,
``Sforce-Call-Options: client=sfmonitor/VERSION`` on every request (the org's API Total
Usage event log names sfmonitor's calls by it), ``Sforce-Limit-Info`` on every response, each call
counted by kind, errors turned into typed exceptions, and one token
renewal when the org says the session expired.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import ssl
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import Any

import httpx

from ..text import inert
from .auth import OrgSession, TokenSource
from .bodies import API_ANSWER_CAP, deadline, inflated, no_answer, read_capped
from .calls import CALL_OPTIONS, CLIENT, CallLog
from .errors import (
    ApiError,
    AuthError,
    BulkError,
    ProtocolError,
    SessionExpired,
    TokenRejected,
    TransportError,
    parse_error,
)
from .models import ApiUsage, parse_limit_info
from .payload import loads_json
from .retry import retrying

log = logging.getLogger(__name__)

USER_AGENT = CLIENT
GET_RETRY_DELAY_S = 0.2
OPEN_PATH = "/services/data"  # the version list answers without looking at the token
MAX_RENEWALS = 4  # a refused token is never a sent request, so sending again is safe, even a write
MAX_BODY_BYTES = API_ANSWER_CAP  # an answer inflating past this (a gzip bomb) is refused, not held


def _is_v1(path: str) -> bool:
    return path.startswith("/services/async/")


class StreamedBody:
    """A streamed answer: its inflated chunks (iterate it) and its ``Content-Type`` (a proxy's HTML
    page served in place of a result file says so there)."""

    def __init__(self, chunks: AsyncIterator[bytes], content_type: str) -> None:
        self._chunks = chunks
        self.content_type = content_type

    def __aiter__(self) -> AsyncIterator[bytes]:
        return self._chunks


class Transport:
    """Async HTTP to one org. Not tied to any one API: the path decides the auth header."""

    def __init__(
        self,
        source: TokenSource,
        *,
        verify: bool | str = True,
        timeout: float = 30.0,
        retry_delay: float = GET_RETRY_DELAY_S,
        max_body: int = MAX_BODY_BYTES,
    ) -> None:
        self.source = source
        self.retry_delay = retry_delay
        self.max_body = max_body
        self._verify = verify
        self._timeout = timeout
        self._client: httpx.AsyncClient | None = None
        self._session: OrgSession | None = None
        self._renew_lock = asyncio.Lock()
        self.api_usage: ApiUsage | None = None
        self.requests_made = 0
        self.calls = CallLog()  # the last hour's requests by kind (listings, job reads, results, ...)
        self.accepted = False  # the org has answered one request with this token source: a refusal now is expiry

    async def __aenter__(self) -> Transport:
        await self.open()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def open(self) -> OrgSession:
        if self._session is None:
            self._session = await self.source.session()
        if self._client is None:
            # loading the CA bundle takes ~50 ms: off the event loop, so the screen keeps drawing
            verify = await asyncio.to_thread(ssl_context, self._verify, self._session.instance_url)
            self._client = httpx.AsyncClient(
                base_url=self._session.instance_url,
                verify=verify,
                timeout=httpx.Timeout(self._timeout, connect=min(self._timeout, 10.0)),
                headers={"Accept-Encoding": "gzip", "User-Agent": USER_AGENT, "Sforce-Call-Options": CALL_OPTIONS},
                limits=httpx.Limits(max_connections=10, max_keepalive_connections=10),
                follow_redirects=False,
            )
        return self._session

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    @property
    def session(self) -> OrgSession:
        if self._session is None:
            raise RuntimeError("transport not opened")
        return self._session

    async def request(
        self,
        method: str,
        path: str,
        *,
        content: bytes | None = None,
        content_type: str | None = None,
        accept: str | None = None,
        params: dict[str, Any] | None = None,
    ) -> httpx.Response:
        """Send one request; a 2xx response comes back, anything else raises a BulkError.

        A GET that fails transiently is sent once more. An expired session is renewed from the token
        source and the request sent again;
        the first request never reached the job (the org refused the token), so that is safe
        even for a close or abort.
        """
        session = await self.open()
        request = _Request(method, path, content, content_type, accept, params)
        delays = (self.retry_delay,) if method == "GET" else ()  # a read is safe to repeat; a write never is
        return await retrying(lambda: self._authorised(session, request), delays, f"{method} {path}")

    @contextlib.asynccontextmanager
    async def stream(
        self, path: str, *, accept: str | None = None, limit: int | None = None, within: float | None = None
    ) -> AsyncIterator[StreamedBody]:
        """GET a body that may be huge (a result file): its inflated chunks as they arrive, with the
        answer's content type, never the whole. Opening it (the answer's headers) is bounded by the
        timeout, retried and renewed like :meth:`request`; an error answer raises. ``limit``: a
        HostileBody once the inflated chunks pass that many bytes; ``within``: a TransportError unless
        the whole body has come within that many seconds of the opening (without it, each read waits
        at most the timeout)."""
        session = await self.open()
        request = _Request("GET", path, None, None, accept, None)
        response = await retrying(lambda: self._authorised(session, request, stream=True), (self.retry_delay,),
                                  f"GET {path}")  # fmt: skip
        try:
            yield StreamedBody(self._chunks(response, f"GET {self.session.instance_url}{path}", limit, within),
                               response.headers.get("content-type", ""))  # fmt: skip
        finally:
            await response.aclose()

    async def _chunks(
        self, response: httpx.Response, where: str, limit: int | None, within: float | None
    ) -> AsyncIterator[bytes]:
        ends = None if within is None else asyncio.get_running_loop().time() + within
        chunks = aiter(inflated(response, limit, where))
        while True:
            with self._as_bulk_errors(where):
                try:
                    async with asyncio.timeout_at(ends):
                        chunk = await anext(chunks)
                except StopAsyncIteration:
                    return
                except TimeoutError:
                    raise TransportError(f"{no_answer(within or 0)} ({where})") from None
            yield chunk

    @contextlib.contextmanager
    def _as_bulk_errors(self, where: str) -> Iterator[None]:
        """httpx's failures as this program's: an undecodable body, no answer in time, no answer.

        A request httpx would not send (``LocalProtocolError``, a header it cannot encode) is told in
        fixed words: its own text quotes the header, and a header can hold the token."""
        try:
            yield
        except (httpx.LocalProtocolError, UnicodeEncodeError):
            raise TransportError(f"the request could not be sent: a header holds a character HTTP does not allow "
                                 f"(the header is not shown: it may hold the token) ({where})") from None  # fmt: skip
        except httpx.DecodingError as exc:
            raise ProtocolError(f"the response body could not be decoded: {exc} ({where})") from None
        except httpx.TimeoutException:  # the reason first, the request after: a narrow header cuts the end
            raise TransportError(f"{no_answer(self._timeout)} ({where})") from None
        except httpx.HTTPError as exc:
            raise TransportError(f"{str(exc).rstrip('.') or type(exc).__name__} ({where})") from None

    async def _authorised(self, session: OrgSession, request: _Request, stream: bool = False) -> httpx.Response:
        """Send with the current token; a refused token is renewed and the request sent again, a few
        times at most (beside many requests in flight, a short-lived token can die again at once)."""
        for _ in range(MAX_RENEWALS):
            try:
                return await self._send(session, request, stream)
            except SessionExpired as expired:
                session = await self._renewed(session, expired)
        return await self._send(session, request, stream)

    async def _renewed(self, stale: OrgSession, expired: SessionExpired) -> OrgSession:
        async with self._renew_lock:
            if self._session is not None and self._session.access_token != stale.access_token:
                return self._session  # another request renewed it meanwhile
            log.info("session refused (%s); renewing from %s", expired.code, self.source.description)
            try:
                self._session = await self.source.renew()
            except AuthError as exc:
                if self.accepted:
                    raise
                raise TokenRejected(
                    f"the org at {stale.instance_url} rejected the {self.source.description} "
                    f"({expired.code or expired.status}: {expired.message}); it was never accepted, so it is "
                    "not a valid session for this org (wrong org, revoked, or mistyped)"
                ) from exc
            return self._session

    async def _send(self, session: OrgSession, request: _Request, stream: bool = False) -> httpx.Response:
        """One request. ``stream``: a 2xx answer comes back unread (the caller reads and closes it)."""
        assert self._client is not None
        method, path, content, content_type, accept, params = (
            request.method, request.path, request.content, request.content_type, request.accept, request.params
        )  # fmt: skip
        token = session.access_token.reveal()
        headers = {"X-SFDC-Session": token} if _is_v1(path) else {"Authorization": f"Bearer {token}"}
        if content_type:
            headers["Content-Type"] = content_type
        if accept:
            headers["Accept"] = accept
        self.requests_made += 1
        self.calls.record(method, path)
        where = f"{method} {session.instance_url}{path}"
        with self._as_bulk_errors(where):
            wire = self._client.build_request(method, path, content=content, headers=headers, params=params)
            async with deadline(self._timeout, where):  # the whole answer, not each read: a drip meets no read timeout
                response = await self._client.send(wire, stream=True)
                if stream and response.is_success:
                    kept = response
                else:
                    try:
                        response = await self._bounded(response, where)
                    finally:
                        await response.aclose()
                    kept = None
        usage = parse_limit_info(response.headers.get("Sforce-Limit-Info"))
        if usage is not None:
            self.api_usage = usage
        if response.is_success:
            if path.rstrip("/") != OPEN_PATH:
                self.accepted = True
            log.debug("%s %s -> %s", method, inert(path), response.status_code)  # -v: every request (never a header)
            return kept or response
        error = parse_error(
            response.status_code,
            response.headers.get("Content-Type", ""),
            response.content,
            response.reason_phrase,
        )
        log.info("%s %s -> %s %s", method, inert(path), response.status_code, error)
        raise error

    async def _bounded(self, response: httpx.Response, where: str) -> httpx.Response:
        """The whole (inflated) body, refused once it grows past ``max_body``: a small gzip bomb
        must not take the memory of the machine."""
        body = await read_capped(response, self.max_body, where)
        headers = [(k, v) for k, v in response.headers.multi_items() if k.lower() not in _BODY_HEADERS]
        return httpx.Response(
            response.status_code,
            headers=headers,
            content=body,
            request=response.request,
            # the body is inflated now; how it travelled stays known (gzip saves the operator's link)
            extensions={
                "reason_phrase": response.reason_phrase.encode(),
                "wire_encoding": response.headers.get("content-encoding", ""),
            },
        )


@dataclass(frozen=True)
class _Request:
    method: str
    path: str
    content: bytes | None
    content_type: str | None
    accept: str | None
    params: dict[str, Any] | None


_BODY_HEADERS = frozenset({"content-encoding", "content-length", "transfer-encoding"})


def ssl_context(verify: bool | str, url: str) -> ssl.SSLContext:
    """Certificate checks are always on (``verify`` False is refused where options are read); a CA
    bundle that is not PEM is said so, naming the org."""
    if not isinstance(verify, str):
        return httpx.create_ssl_context(verify=verify)
    try:
        return ssl.create_default_context(cafile=verify)
    except (ssl.SSLError, OSError, ValueError) as exc:
        raise TransportError(
            f"cannot trust {url} with --ca-bundle {verify}: not a PEM certificate bundle ({exc})"
        ) from None


def json_body(response: httpx.Response) -> Any:
    """The response's JSON, or a ProtocolError naming the request (garbled, or absurdly nested)."""
    request = response.request
    return loads_json(response.content, f"{request.method} {request.url.path}")


__all__ = ["ApiError", "BulkError", "Transport", "json_body"]
