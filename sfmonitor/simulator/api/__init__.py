"""Salesforce's side of the conversation: routes, semantics, status codes and error bodies, one module
an API: ``oauth`` (sign-in), ``rest`` (the version list, limits, queries, the user), ``v2`` (Bulk 2.0
jobs), ``v1`` (Bulk 1.0 jobs and batches); ``shared``: the :class:`Reply` each handler returns.

Independent of the HTTP server so that every answer is a plain :class:`Reply`; ``server.py``
puts it on the wire (gzip, ``Sforce-Limit-Info``, faults).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from urllib.parse import parse_qs

from .oauth import OAuthApi
from .rest import RestApi
from .shared import CSV, JSON_V1, JSON_V2, VERSIONS, XML, Reply, bearer, v1_error, v2_error
from .v1 import BulkV1Api
from .v2 import BulkV2Api

__all__ = ["CSV", "JSON_V1", "JSON_V2", "XML", "Reply", "SalesforceApi", "v1_error", "v2_error"]


class SalesforceApi(OAuthApi, RestApi, BulkV2Api, BulkV1Api):
    """Handles one request against the world, routed to its API by path. Call under ``world.lock``."""

    def handle(self, method: str, path: str, query: str, headers: Mapping[str, str], body: bytes) -> Reply:
        reply = self._handle(method, path, query, headers, body)
        return reply if self.rewrite is None else self.rewrite(method, path, query, reply)

    def _handle(self, method: str, path: str, query: str, headers: Mapping[str, str], body: bytes) -> Reply:
        params = {k: v[-1] for k, v in parse_qs(query, keep_blank_values=True).items()}
        if path.rstrip("/") == "/services/data" and method == "GET":
            return self.versions()
        if path.rstrip("/") == "/services/oauth2/token":
            return self.oauth_token(method, body)
        if path.rstrip("/") == "/services/oauth2/userinfo":
            return self.userinfo(headers)
        if path.startswith("/services/async/"):
            return self.v1(method, path, params, headers, body)
        if path.startswith("/services/data/"):
            return self.data(method, path, params, headers, body)
        return v2_error(404, "NOT_FOUND", "The requested resource does not exist")

    def data(self, method: str, path: str, params: dict[str, str], headers: Mapping[str, str], body: bytes) -> Reply:
        """``/services/data/vNN.N/…``: a REST resource, else Bulk 2.0 jobs."""
        if not self.authorised(bearer(headers)):
            return v2_error(401, "INVALID_SESSION_ID", "Session expired or invalid")
        match = re.fullmatch(r"/services/data/v(\d+\.\d)(/.*)?", path.rstrip("/") or "/")
        if not match or match.group(1) not in VERSIONS:
            return v2_error(404, "NOT_FOUND", "The requested resource does not exist")
        version, rest = match.group(1), (match.group(2) or "").rstrip("/")
        t = self.world.advance()
        answer = self.rest(method, rest, params, version, t)
        return answer if answer is not None else self.v2_jobs(method, rest, params, body, version, t)
