"""The recorder's HTTP server: its own threads (stdlib ThreadingHTTPServer), never the polling loop.

``GET /metrics`` (and HEAD): the Prometheus text format, or OpenMetrics when the scraper's Accept
asks for it (prometheus_client's ``choose_encoder``), gzip when accepted.
``GET /api/v1/feed[?boot=B&after=N]``: the dashboards' stream (monitor/feed.py), one JSON object a
line, gzip when accepted, open until the recorder stops: the hello, what was missed since event N of
recorder B (else each org whole), then each poll's changes as they come; before each batch of lines the
recorder's clock (the time they are sent: the age of a poll kept for a reconnect), alone when idle.
``GET /api/v1/orgs``: the hello alone (the orgs recorded). ``GET /api/v1/history/…``: the history file
read for a dashboard (serve/history_api.py). Any other path: 404. With a
token (serve/access.py), a request without ``Authorization: Bearer <token>`` gets 401 and
``WWW-Authenticate: Bearer``, and is logged (the address, the path, why) without the header's value;
refusals from one address are logged at most once a minute, with how many were not.
"""

from __future__ import annotations

import gzip
import logging
import socket
import threading
import time
import zlib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

from prometheus_client.exposition import gzip_accepted

from ..bulk.auth import Secret
from ..monitor.feed import Feed
from ..store.memory import Memory
from ..text import clip, inert
from . import history_api
from .access import Listen, authorised
from .metrics import Exposition

log = logging.getLogger(__name__)

METRICS_PATH = "/metrics"
FEED_PATH = "/api/v1/feed"
ORGS_PATH = "/api/v1/orgs"
REFUSALS_LOGGED_EVERY_S = 60.0
TIMEOUT_S = 30.0  # a client that sends nothing is dropped (a thread each, not held for ever)
CONNECTIONS = 32  # at once: Prometheus needs one or two, each attached dashboard one


class _Server(ThreadingHTTPServer):
    """At most :data:`CONNECTIONS` connections at once: one more is closed unanswered (a client that
    trickles its headers holds a thread; many must not hold the recorder's)."""

    daemon_threads = True
    request_queue_size = 64  # connections the kernel holds before they are taken (the stdlib's 5 stalls a crowd)
    slots = threading.BoundedSemaphore(1)  # replaced per server by RecorderServer

    def process_request(self, request: Any, client_address: Any) -> None:
        if not self.slots.acquire(blocking=False):
            log.debug("recorder: %s connections at once: one from %s closed", CONNECTIONS, client_address)
            self.shutdown_request(request)
            return
        super().process_request(request, client_address)

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        try:
            super().process_request_thread(request, client_address)
        finally:
            self.slots.release()

    exposition: Exposition
    feed: Feed | None
    history: Memory | None
    token: Secret | None
    refusals: dict[str, tuple[float, int]]  # address -> (when last logged, refused since)
    lock: threading.Lock

    def handle_error(self, request: Any, client_address: Any) -> None:
        log.debug("recorder: a request from %s broke off", client_address, exc_info=True)


class _Server6(_Server):
    address_family = socket.AF_INET6


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    timeout = TIMEOUT_S
    server_version = "sfmonitor"
    sys_version = ""

    def do_GET(self) -> None:
        self._answer(body=True)

    def do_HEAD(self) -> None:
        self._answer(body=False)

    def _answer(self, body: bool) -> None:
        if not authorised(self.server.token, self.headers.get("Authorization")):
            self._refused()
            return
        path, _, query = self.path.partition("?")
        if path in (FEED_PATH, ORGS_PATH) and self.server.feed is not None:
            if path == ORGS_PATH:
                self._plain(200, (self.server.feed.hello() + "\n").encode(), "application/json")
            elif body:
                self._stream(self.server.feed, query)
            else:
                self._plain(405, b"the feed is a stream: GET it\n")
            return
        if path.startswith(history_api.PREFIX) and self.server.history is not None:
            status, answer = history_api.answer(self.server.history, path, query)
            self._plain(status, answer, "application/json")
            return
        if path != METRICS_PATH:
            self._plain(404, b"not found: the recorder serves /metrics, /api/v1/feed and /api/v1/orgs\n")
            return
        output, content_type = self.server.exposition.render(self.headers.get("Accept") or "")
        headers = [("Content-Type", content_type)]
        if gzip_accepted(self.headers.get("Accept-Encoding") or ""):
            output = gzip.compress(output, compresslevel=1)
            headers.append(("Content-Encoding", "gzip"))
        self.send_response(200)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(output)))
        self.end_headers()
        if body:
            self.wfile.write(output)

    def _stream(self, feed: Feed, query: str) -> None:
        """The feed until the recorder stops or the dashboard goes (a write that fails or blocks for
        TIMEOUT_S ends it: a dashboard that stops reading does not hold the recorder's memory)."""
        asked = parse_qs(query)
        boot = asked.get("boot", [None])[0]
        after_text = asked.get("after", [""])[0]
        after = int(after_text) if after_text.isascii() and after_text.isdigit() and len(after_text) < 19 else None
        lines, seq = feed.start(boot, after)
        gzipped = gzip_accepted(self.headers.get("Accept-Encoding") or "")
        packed = zlib.compressobj(1, zlib.DEFLATED, 31) if gzipped else None
        self.send_response(200)
        self.send_header("Content-Type", "application/x-ndjson; charset=utf-8")
        self.send_header("Cache-Control", "no-store")
        if packed is not None:
            self.send_header("Content-Encoding", "gzip")
        self.end_headers()
        self.close_connection = True
        hello = True  # the first line is the hello, then the clock
        while True:
            clock = f'{{"type":"clock","now":{feed.clock()!r}}}'  # the recorder's time as sent: the age of what follows
            data = ("\n".join([*lines[:1], clock, *lines[1:]] if hello else [clock, *lines]) + "\n").encode()
            hello = False
            if packed is not None:
                data = packed.compress(data) + packed.flush(zlib.Z_SYNC_FLUSH)
            self.wfile.write(data)
            self.wfile.flush()
            got = feed.after(seq)
            if got is None:
                return
            lines, seq = got

    def _refused(self) -> None:
        why = "no bearer token" if not self.headers.get("Authorization") else "a wrong token or scheme"
        address = str(self.client_address[0])
        now = time.monotonic()
        with self.server.lock:
            logged, since = self.server.refusals.get(address, (-REFUSALS_LOGGED_EVERY_S, 0))
            if now - logged >= REFUSALS_LOGGED_EVERY_S:
                more = f" ({since} more refused since the last line)" if since else ""
                path = self.path.split("?", 1)[0]  # never its query: a token may have been put there
                log.warning("recorder: refused %s for %s: %s (401)%s", inert(address), clip(inert(path), 120), why,
                            more)  # fmt: skip
                self.server.refusals[address] = (now, 0)
                if len(self.server.refusals) > 10_000:  # bounded whoever knocks
                    self.server.refusals.clear()
            else:
                self.server.refusals[address] = (logged, since + 1)
        self.send_response(401)
        self.send_header("WWW-Authenticate", 'Bearer realm="sfmonitor"')
        body = b"401: this recorder wants Authorization: Bearer <token>\n"
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _plain(self, status: int, body: bytes, kind: str = "text/plain") -> None:
        self.send_response(status)
        self.send_header("Content-Type", f"{kind}; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        """Nothing on stderr (the recorder prints nothing); refusals are logged by ``_refused``."""


class RecorderServer:
    """Serves ``exposition`` (and ``feed``, to attached dashboards) on ``listen`` from its own threads;
    ``start`` binds (an OSError when the address cannot be had), ``stop`` ends it."""

    def __init__(
        self, listen: Listen, exposition: Exposition, token: Secret | None, feed: Feed | None = None,
        history: Memory | None = None,
    ) -> None:  # fmt: skip
        kind = _Server6 if ":" in listen.host else _Server
        self._httpd = kind((listen.host, listen.port), _Handler, bind_and_activate=False)
        self._httpd.exposition = exposition
        self._httpd.feed = feed
        self._httpd.history = history
        self._httpd.token = token
        self._httpd.refusals = {}
        self._httpd.lock = threading.Lock()
        self._httpd.slots = threading.BoundedSemaphore(CONNECTIONS)
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        return int(self._httpd.server_address[1])

    def start(self) -> RecorderServer:
        try:
            self._httpd.server_bind()
            self._httpd.server_activate()
        except OSError:
            self._httpd.server_close()
            raise
        self._thread = threading.Thread(target=self._httpd.serve_forever, args=(0.25,), name="sfmonitor-server",
                                        daemon=True)  # fmt: skip
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._httpd.feed is not None:
            self._httpd.feed.close()  # every stream ends
        if self._thread is not None:
            self._httpd.shutdown()
            self._thread.join(5)
        self._httpd.server_close()
        if self._httpd.history is not None:
            self._httpd.history.close()
