"""Typed errors carrying the server's own code and message, and the parser for every error shape.

Shapes (reference §1.8, §2.7, §3.1): a Bulk 2.0 / REST JSON array of ``{"errorCode", "message"}``;
a Bulk 1.0 XML ``<error>`` or JSON object with ``exceptionCode`` / ``exceptionMessage``; and
anything else a gateway may send (HTML pages, empty bodies).
"""

from __future__ import annotations

import json
from typing import Any

import xmltodict


def code_key(code: str) -> str:
    """Wire codes differ in case and underscores (``INVALIDJOBSTATE``, ``InvalidJobState``)."""
    return code.replace("_", "").lower()


class BulkError(Exception):
    """Anything that went wrong talking to the org; ``str()`` is one line for a person."""


class ConfigError(BulkError):
    """Connection options that cannot work (missing token, non-loopback http, ...)."""


class AuthError(BulkError):
    """The token could not be had or renewed (sf CLI missing, unknown alias, expired static token)."""


class TokenRejected(AuthError):
    """The org refused a token that it never accepted: not a valid session for this org (not "expired")."""


class TransportError(BulkError):
    """The request did not get an HTTP answer: refused, reset, timed out. Often transient."""


class TokenUnavailable(TransportError):
    """The OAuth token endpoint gave no token for a passing reason (no answer, a reset, a timeout, a 5xx
    or 429): tried again like any transient failure, never taken for a refused sign-in."""


class ProtocolError(BulkError):
    """The server answered, but with a body this program cannot read (garbled XML/JSON, ...)."""


class HostileBody(ProtocolError):
    """A body refused on purpose (entity declarations, absurd nesting, a gzip bomb): asking again gets
    the same body, so it is not retried."""


class NotAnId(BulkError):
    """A job or batch id that is not a Salesforce id (15 or 18 letters and digits): never put in a
    request path, so the job it names is left unread (asking again changes nothing)."""


class WrongRecord(HostileBody):
    """The org answered a read of one job with the record of another: not that job's values."""


class IllegalAction(BulkError):
    """A close or abort refused locally, before any request, because the reference forbids it."""


class ActionOutcomeUnknown(BulkError):
    """A close or abort whose answer never arrived: it may or may not have taken effect."""


class ApiError(BulkError):
    """The server refused a request; carries its HTTP status, error code and message verbatim."""

    def __init__(self, status: int, code: str, message: str) -> None:
        self.status = status
        self.code = code
        self.message = message
        super().__init__(f"{code}: {message}" if code else f"HTTP {status}: {message}")

    @property
    def transient(self) -> bool:
        return self.status >= 500


class SessionExpired(ApiError):
    """401 INVALID_SESSION_ID (Bulk 2.0) or 400 InvalidSessionId (Bulk 1.0)."""


class RequestLimitExceeded(ApiError):
    """403 REQUEST_LIMIT_EXCEEDED: the org's daily API budget is spent."""


class NotFound(ApiError):
    """404 / NOT_FOUND / InvalidJob for a job id the org does not know (any more)."""


class InvalidJobState(ApiError):
    """The server refused a state change (INVALIDJOBSTATE / InvalidJobState)."""


def transient(error: BulkError) -> bool:
    """A failure worth another try: no answer, an unreadable body, a 5xx page. Not: a refusal, a
    refused token (renewed elsewhere), or a body refused on purpose (asking again brings the same)."""
    if isinstance(error, HostileBody):
        return False
    if isinstance(error, TransportError | ProtocolError):
        return True
    return isinstance(error, ApiError) and error.transient


_BY_CODE: dict[str, type[ApiError]] = {
    code_key("INVALID_SESSION_ID"): SessionExpired,
    code_key("REQUEST_LIMIT_EXCEEDED"): RequestLimitExceeded,
    code_key("NOT_FOUND"): NotFound,
    code_key("INVALIDJOBSTATE"): InvalidJobState,
}


def _from_json(data: Any) -> tuple[str, str] | None:
    if isinstance(data, list) and data and isinstance(data[0], dict):
        first = data[0]
        if "errorCode" in first or "message" in first:
            return str(first.get("errorCode") or ""), str(first.get("message") or "")
    if isinstance(data, dict):
        if "exceptionCode" in data or "exceptionMessage" in data:
            return str(data.get("exceptionCode") or ""), str(data.get("exceptionMessage") or "")
        if "errorCode" in data or "message" in data:
            return str(data.get("errorCode") or ""), str(data.get("message") or "")
        if "error" in data:  # OAuth: {"error": "invalid_grant", "error_description": "..."}
            return str(data.get("error") or ""), str(data.get("error_description") or "")
    return None


def _from_xml(body: bytes) -> tuple[str, str] | None:
    try:
        doc = xmltodict.parse(body, process_namespaces=False, disable_entities=True)
    except Exception:
        return None
    if not isinstance(doc, dict) or not doc:
        return None
    root = next(iter(doc.values()))
    if not isinstance(root, dict):
        return None
    # Namespaced documents may carry prefixes: match on the local name.
    local = {key.rsplit(":", 1)[-1]: value for key, value in root.items()}
    if "exceptionCode" in local or "exceptionMessage" in local:
        return str(local.get("exceptionCode") or ""), str(local.get("exceptionMessage") or "")
    if "errorCode" in local or "message" in local:
        return str(local.get("errorCode") or ""), str(local.get("message") or "")
    return None


def parse_error(status: int, content_type: str, body: bytes, reason: str = "") -> ApiError:
    """Turn an error response into the matching typed exception, keeping the server's words."""
    parsed: tuple[str, str] | None = None
    stripped = body.lstrip()
    if stripped[:1] in (b"[", b"{"):
        try:
            parsed = _from_json(json.loads(body))
        except (ValueError, RecursionError):
            parsed = None
    elif stripped[:1] == b"<" and "html" not in content_type.lower():
        parsed = _from_xml(body)
    if parsed is None:
        summary = reason or "error"
        if "html" in content_type.lower() or stripped[:1] == b"<":
            summary = f"{reason or 'error'} (the server sent an HTML page, not a Salesforce error)"
        elif stripped:
            text = stripped[:200].decode("utf-8", "replace")
            summary = f"{reason}: {text}" if reason else text
        code, message = "", summary
    else:
        code, message = parsed
    cls = _BY_CODE.get(code_key(code), ApiError)
    if cls is ApiError:
        if status == 401 and code_key(code) in ("", code_key("INVALID_SESSION_ID")):
            cls = SessionExpired
        elif status == 404:
            cls = NotFound
        elif status == 403 and code_key(code) == "exceededquota":
            cls = RequestLimitExceeded  # Bulk 1.0's word for the spent daily budget
    return cls(status, code, message)
