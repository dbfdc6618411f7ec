"""A reverse proxy on loopback that counts the requests passing through it, by kind.

Each client under measurement gets its own proxy in front of the same simulator, so the counts are
what went over the wire, whoever made them (sfmonitor, a per-job poller, a third-party client).
"""

from __future__ import annotations

import http.client
import re
import threading
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

KINDS = (
    ("listing", re.compile(r"/jobs/(ingest|query)/?(\?.*)?$")),
    ("batch list", re.compile(r"/job/\w+/batch/?$")),
    ("job read", re.compile(r"/(jobs/(ingest|query)|job)/\w+/?$")),
)
HOP = {"connection", "keep-alive", "transfer-encoding", "content-length", "proxy-connection"}


def kind_of(method: str, path: str) -> str:
    if method != "GET":
        return "write"
    for name, pattern in KINDS:
        if pattern.search(path):
            return name
    return "other"


class _QuietServer(ThreadingHTTPServer):
    def handle_error(self, request: object, client_address: object) -> None:
        pass  # a client that hung up (a dashboard quit mid-request) is no news


class CountingProxy:
    def __init__(self, upstream: str) -> None:
        parts = urlsplit(upstream)
        self.upstream = (parts.hostname or "127.0.0.1", parts.port or 80)
        self.counts: Counter[str] = Counter()
        self.lock = threading.Lock()
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: object) -> None:
                pass

            def _forward(self) -> None:
                with proxy.lock:
                    proxy.counts[kind_of(self.command, self.path)] += 1
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else None
                upstream: http.client.HTTPConnection | None = getattr(self, "upstream", None)
                if upstream is None:  # one upstream connection per client connection (this handler)
                    upstream = self.upstream = http.client.HTTPConnection(*proxy.upstream, timeout=60)
                headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP}
                try:
                    upstream.request(self.command, self.path, body=body, headers=headers)
                    reply = upstream.getresponse()
                    data = reply.read()
                except (OSError, http.client.HTTPException):
                    upstream.close()
                    self.upstream = None
                    self.send_error(502)
                    return
                self.send_response(reply.status)
                for key, value in reply.getheaders():
                    if key.lower() not in HOP:
                        self.send_header(key, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = _forward

        self.server = _QuietServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> CountingProxy:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    @property
    def total(self) -> int:
        with self.lock:
            return sum(self.counts.values())
