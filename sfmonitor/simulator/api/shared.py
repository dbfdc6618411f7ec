"""What every API of the simulated org shares: the :class:`Reply` every handler returns (``server.py``
puts it on the wire: gzip, ``Sforce-Limit-Info``, faults), the error bodies, the API versions, and
:class:`ApiBase`, the state the handlers read (the world, the tokens issued, the test's hooks)."""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from ..jwt_grant import ConnectedApp
from ..records import xml_doc
from ..world import World

JSON_V2 = "application/json;charset=UTF-8"
JSON_V1 = "application/json"  # salesforce-bulk compares this exactly
XML = "application/xml"
CSV = "text/csv"
PAGE_SIZE = 1000
STREAM_ROWS = 20_000
VERSIONS = [f"{v}.0" for v in range(31, 67)]
RELEASES = {66: "Spring '26", 65: "Winter '26", 64: "Summer '25", 63: "Spring '25"}


@dataclass
class Reply:
    status: int
    body: bytes = b""
    content_type: str = ""
    headers: dict[str, str] = field(default_factory=dict)
    api_call: bool = True  # counts toward api-usage and carries Sforce-Limit-Info
    stream: Iterator[bytes] | None = None  # a body made while it is sent (chunked): huge result files


def v2_error(status: int, code: str, message: str) -> Reply:
    return Reply(status, json.dumps([{"errorCode": code, "message": message}]).encode(), JSON_V2)


def v1_error(status: int, code: str, message: str, as_json: bool) -> Reply:
    if as_json:
        body = json.dumps({"exceptionCode": code, "exceptionMessage": message}).encode()
        return Reply(status, body, JSON_V1)
    return Reply(status, xml_doc("error", {"exceptionCode": code, "exceptionMessage": message}), XML)


def new_token() -> str:
    org = "00D5g" + secrets.token_hex(5).upper()[:10]
    return org + "!" + "AQ" + secrets.token_urlsafe(72).replace("-", "x").replace("_", "y")


def bearer(headers: Mapping[str, str]) -> str:
    """The token of an ``Authorization: Bearer …`` header ("" if none)."""
    auth = headers.get("authorization", "")
    return auth[7:].strip() if auth.lower().startswith("bearer ") else ""


class ApiBase:
    """The org's state as every API's handlers see it. Call under ``world.lock``."""

    def __init__(self, world: World, base_url: Callable[[], str]) -> None:
        self.world = world
        self.base_url = base_url
        self.tokens: dict[str, int] = {}  # token -> authenticated requests made with it
        self.page_size = PAGE_SIZE
        self.token_lifetime = 0  # --faults expire-after=N: a token dies after N requests
        self.token = self.issue_token()
        self.connected_app: ConnectedApp | None = None  # for the JWT bearer grant
        # A hostile org for tests: (method, path, query, reply) -> the reply to send instead.
        self.rewrite: Callable[[str, str, str, Reply], Reply] | None = None

    def issue_token(self) -> str:
        token = new_token()
        self.tokens[token] = 0
        return token

    def authorised(self, token: str) -> bool:
        if token not in self.tokens:
            return False
        self.tokens[token] += 1
        if self.token_lifetime and self.tokens[token] > self.token_lifetime:
            del self.tokens[token]
            return False
        return True

    @staticmethod
    def ok_json(data: Any, status: int = 200) -> Reply:
        return Reply(status, json.dumps(data).encode(), JSON_V2)

    @staticmethod
    def method_not_allowed(method: str, allowed: str) -> Reply:
        return v2_error(405, "METHOD_NOT_ALLOWED", f"HTTP Method '{method}' not allowed. Allowed are {allowed}")
