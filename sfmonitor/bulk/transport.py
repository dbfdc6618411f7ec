"""One HTTP face to the org: base URL, the right auth header per API, gzip, timeouts,
``Sforce-Limit-Info`` on every response, errors turned into typed exceptions, and one token
renewal when the org says the session expired.
"""

from __future__ import annotations

import asyncio
import logging
import ssl
from typing import Any

import httpx

from .auth import OrgSession, TokenSource
from .errors import ApiError, BulkError, ProtocolError, SessionExpired, TransportError, parse_error
from .models import ApiUsage, parse_limit_info

log = logging.getLogger(__name__)

USER_AGENT = "sfmonitor/0.1"
GET_RETRY_DELAY_S = 0.2


def _is_v1(path: str) -> bool:
    return path.startswith("/services/async/")


class Transport:
    """Async HTTP to one org. Not tied to any one API: the path decides the auth header."""

    def __init__(
        self,
        source: TokenSource,
        *,
        verify: bool | str = True,
        timeout: float = 30.0,
    ) -> None:
        self.source = source
        self._verify = verify
        self._timeout = timeout
        self._client: httpx.AsyncClient | None = None
        self._session: OrgSession | None = None
        self._renew_lock = asyncio.Lock()
        self.api_usage: ApiUsage | None = None
        self.requests_made = 0

    async def __aenter__(self) -> Transport:
        await self.open()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def open(self) -> OrgSession:
        if self._session is None:
            self._session = await self.source.session()
        if self._client is None:
            verify = ssl.create_default_context(cafile=self._verify) if isinstance(self._verify, str) else self._verify
            self._client = httpx.AsyncClient(
                base_url=self._session.instance_url,
                verify=verify,
                timeout=httpx.Timeout(self._timeout, connect=min(self._timeout, 10.0)),
                headers={"Accept-Encoding": "gzip", "User-Agent": USER_AGENT},
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

        An expired session is renewed from the token source once and the request sent again;
        the first request never reached the job (the org refused the token), so that is safe
        even for a close or abort.
        """
        session = await self.open()
        for attempt in (1, 2):
            try:
                try:
                    return await self._send(session, method, path, content, content_type, accept, params)
                except SessionExpired:
                    session = await self._renewed(session)
                    return await self._send(session, method, path, content, content_type, accept, params)
            except (TransportError, ProtocolError, ApiError) as exc:
                transient = not isinstance(exc, ApiError) or exc.transient
                if method != "GET" or attempt == 2 or not transient or isinstance(exc, SessionExpired):
                    raise
                log.info("%s %s failed (%s); trying once more", method, path, exc)
                await asyncio.sleep(GET_RETRY_DELAY_S)  # a read is safe to repeat; a write never is
        raise AssertionError("unreachable")

    async def _renewed(self, stale: OrgSession) -> OrgSession:
        async with self._renew_lock:
            if self._session is not None and self._session.access_token != stale.access_token:
                return self._session  # another request renewed it meanwhile
            log.info("session expired; renewing from %s", self.source.description)
            self._session = await self.source.renew()
            return self._session

    async def _send(
        self,
        session: OrgSession,
        method: str,
        path: str,
        content: bytes | None,
        content_type: str | None,
        accept: str | None,
        params: dict[str, Any] | None,
    ) -> httpx.Response:
        assert self._client is not None
        token = session.access_token.reveal()
        headers = {"X-SFDC-Session": token} if _is_v1(path) else {"Authorization": f"Bearer {token}"}
        if content_type:
            headers["Content-Type"] = content_type
        if accept:
            headers["Accept"] = accept
        self.requests_made += 1
        try:
            response = await self._client.request(method, path, content=content, headers=headers, params=params)
            await response.aread()
        except httpx.DecodingError as exc:
            raise ProtocolError(f"the response body could not be decoded: {exc} ({method} {path})") from None
        except httpx.TimeoutException:  # the reason first, the request after: a narrow header cuts the end
            raise TransportError(f"no answer within {self._timeout:g} s ({method} {path})") from None
        except httpx.HTTPError as exc:
            raise TransportError(f"{str(exc).rstrip('.') or type(exc).__name__} ({method} {path})") from None
        usage = parse_limit_info(response.headers.get("Sforce-Limit-Info"))
        if usage is not None:
            self.api_usage = usage
        if response.is_success:
            return response
        error = parse_error(
            response.status_code,
            response.headers.get("Content-Type", ""),
            response.content,
            response.reason_phrase,
        )
        log.info("%s %s -> %s %s", method, path, response.status_code, error)
        raise error


def json_body(response: httpx.Response) -> Any:
    """The response's JSON, or a ProtocolError naming the request."""
    try:
        return response.json()
    except ValueError:
        request = response.request
        raise ProtocolError(f"the body is not valid JSON ({request.method} {request.url.path})") from None


__all__ = ["ApiError", "BulkError", "Transport", "json_body"]
