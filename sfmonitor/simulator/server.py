"""The simulator's HTTP server: a real server on loopback that third-party clients can drive.

Puts :class:`~.api.Reply` objects on the wire with what Salesforce adds (``Sforce-Limit-Info``,
gzip when asked), optional TLS with a self-signed certificate, and the ``--faults`` injected.
"""

from __future__ import annotations

import datetime as dt
import gzip
import ipaddress
import logging
import shlex
import socket
import ssl
import tempfile
import threading
import time
import zlib
from collections import Counter, deque
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

from .api import SalesforceApi, v1_error, v2_error
from .faults import Faults, FaultSpec
from .seed import seed_world
from .world import Clock, World

log = logging.getLogger(__name__)

GATEWAY_PAGE = (
    "<html><head><title>{code} {reason}</title></head><body><h1>{reason}</h1>"
    "<p>The server encountered a temporary error and could not complete your request.</p></body></html>"
)


POLL_S = 0.05  # how often serve_forever looks for shutdown(): stop() waits this long, not 0.5 s


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    block_on_close = False
    simulator: Simulator

    def handle_error(self, request: object, client_address: object) -> None:
        """A client that hangs up mid-answer is normal (timeouts, faults): log it, print nothing."""
        log.debug("connection from %s ended abruptly", client_address, exc_info=True)

    def verify_request(self, request: object, client_address: object) -> bool:
        """``down=START-END``: the server is gone; connections are closed unanswered."""
        return not self.simulator.faults.down(time.monotonic() - self.simulator.started)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server
    # Headers and body go out in two writes: with Nagle on, the body waits for the client's delayed
    # ACK of the headers (~40 ms a request on Linux), capping a kept-alive connection at ~25 req/s.
    disable_nagle_algorithm = True

    def log_message(self, format: str, *args: object) -> None:
        log.debug("%s %s", self.address_string(), format % args)

    def do_GET(self) -> None:
        self._serve()

    do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_GET

    def _read_body(self) -> bytes:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            chunks = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    self.rfile.readline()
                    break
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
            body = b"".join(chunks)
        else:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if self.headers.get("Content-Encoding", "").lower() == "gzip":
            body = gzip.decompress(body)
        return body

    def _serve(self) -> None:
        sim = self.server.simulator
        elapsed = time.monotonic() - sim.started
        parts = urlsplit(self.path)
        try:
            body = self._read_body()
        except (ValueError, OSError, EOFError):
            self._send(400, b"bad request body", "text/plain")
            return
        sim.called_by(self.headers.get("Sforce-Call-Options"), self.command, parts.path)
        exempt = parts.path.rstrip("/") in ("/services/oauth2/token", "/services/data")
        faults = sim.faults
        if faults.down(elapsed):  # gone: kept-alive connections die too, unanswered
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
            return
        token_fault = faults.token_failure() if parts.path.rstrip("/") == "/services/oauth2/token" else None
        if token_fault is not None:
            self._fail(token_fault, parts.path)
            return
        if not exempt:
            if faults.drop(elapsed, self.command):
                self._fail("drop", parts.path)
                return
            delay = faults.delay(elapsed, self.command)
            if delay:
                time.sleep(delay)
            code = faults.error(elapsed, self.command)
            if code:
                self._fail(str(code), parts.path)
                return
        headers = {k.lower(): v for k, v in self.headers.items()}
        with sim.world.lock:
            if not exempt and faults.over_limit():
                msg = "TotalRequests Limit exceeded."
                if parts.path.startswith("/services/async/"):
                    reply = v1_error(403, "ExceededQuota", msg, "json" in headers.get("content-type", ""))
                else:
                    reply = v2_error(403, "REQUEST_LIMIT_EXCEEDED", msg)
            else:
                try:
                    reply = sim.api.handle(self.command, parts.path, parts.query, headers, body)
                except Exception:
                    log.exception("simulator error on %s %s", self.command, parts.path)
                    reply = v2_error(
                        500,
                        "UNKNOWN_EXCEPTION",
                        "An unexpected error occurred. Please include this ErrorId if you contact support: 0-sim",
                    )
            if reply.api_call:
                sim.world.api_used += 1
            usage = f"api-usage={sim.world.api_used}/{sim.world.api_max}"
            sim.requests += 1
            sim.log.append((self.command, parts.path, reply.status))
        out_headers = dict(reply.headers)
        if reply.api_call:
            out_headers["Sforce-Limit-Info"] = usage
        if reply.stream is not None:
            self._send_stream(reply.status, reply.stream, reply.content_type, out_headers,
                              "gzip" in headers.get("accept-encoding", "").lower())  # fmt: skip
            return
        payload = reply.body
        if payload and not exempt and faults.garble(elapsed, self.command):
            payload = payload[: max(1, len(payload) // 2)]  # broken JSON/XML, whatever the encoding
        if payload and "gzip" in headers.get("accept-encoding", "").lower():
            payload = gzip.compress(payload, compresslevel=5)
            out_headers["Content-Encoding"] = "gzip"
            if not exempt and faults.badgzip(elapsed, self.command):
                payload = payload[: max(1, len(payload) // 2)]
        self._send(reply.status, payload, reply.content_type, out_headers)

    def _fail(self, how: str, path: str) -> None:
        """A fault: ``"drop"`` (the connection closed unanswered) or a gateway's error page (its status)."""
        sim = self.server.simulator
        code = 0 if how == "drop" else int(how)
        with sim.world.lock:
            sim.log.append((self.command, path, code))  # 0: dropped unanswered
        if how == "drop":
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
            return
        reason = {500: "Internal Server Error", 502: "Bad Gateway", 503: "Service Unavailable",
                  504: "Gateway Timeout"}[code]  # fmt: skip
        self._send(code, GATEWAY_PAGE.format(code=code, reason=reason).encode(), "text/html")

    def _send_stream(self, status: int, pieces: Iterator[bytes], content_type: str, headers: dict[str, str],
                     gzipped: bool) -> None:  # fmt: skip
        """A body made while it is sent, in HTTP/1.1 chunks (gzipped as it goes when asked)."""
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        for key, value in headers.items():
            self.send_header(key, value)
        if gzipped:
            self.send_header("Content-Encoding", "gzip")
        self.send_header("Transfer-Encoding", "chunked")
        self.send_header("Date", self.date_time_string())
        self.end_headers()
        packer = zlib.compressobj(5, zlib.DEFLATED, 31) if gzipped else None
        try:
            for piece in pieces:
                data = packer.compress(piece) if packer else piece
                if data:
                    self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
            tail = packer.flush() if packer else b""
            if tail:
                self.wfile.write(b"%x\r\n%s\r\n" % (len(tail), tail))
            self.wfile.write(b"0\r\n\r\n")
        except OSError:  # the client went away mid-file
            self.close_connection = True

    def _send(self, status: int, payload: bytes, content_type: str, headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        if content_type:
            self.send_header("Content-Type", content_type)
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.send_header("Date", self.date_time_string())
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(payload)


def make_certificate(host: str, directory: Path) -> tuple[Path, Path]:
    """A self-signed certificate for ``host`` (and localhost/127.0.0.1), valid for 30 days."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "sfmonitor simulator")])
    alt: list[x509.GeneralName] = [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
    try:
        alt.append(x509.IPAddress(ipaddress.ip_address(host)))
    except ValueError:
        alt.append(x509.DNSName(host))
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=30))
        .add_extension(x509.SubjectAlternativeName(alt), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path = directory / "simulator-cert.pem"
    key_path = directory / "simulator-key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    key_path.chmod(0o600)
    return cert_path, key_path


class Simulator:
    """The fake org and its server. ``start()`` serves from a background thread; ``stop()`` ends it."""

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        seed: int = 7,
        speed: float = 1.0,
        tls: bool = False,
        faults: FaultSpec | None = None,
        spawn_every: float = 180.0,
        clock: Clock | None = None,
        seeded: bool = True,
        retention_hours: float = 168.0,
    ) -> None:
        self.world = World(clock or Clock(speed), seed=seed, spawn_every=spawn_every, retention=retention_hours * 3600)
        if seeded:
            seed_world(self.world)
        self.faults = Faults(faults or FaultSpec(), seed)
        self.started = time.monotonic()
        self.requests = 0
        self.log: deque[tuple[str, str, int]] = deque(maxlen=20_000)  # (method, path, status), for tests
        self.clients: Counter[str] = Counter()  # requests by the client= of their Sforce-Call-Options ("": none)
        self.unnamed: deque[tuple[str, str]] = deque(maxlen=100)  # (method, path) of requests that named none
        self._httpd = _Server((host, port), _Handler, bind_and_activate=True)
        self._httpd.simulator = self
        self.tls = tls
        self.cert_path: Path | None = None
        self._tmp: tempfile.TemporaryDirectory[str] | None = None
        if tls:
            self._tmp = tempfile.TemporaryDirectory(prefix="sfmonitor-sim-")
            cert, key = make_certificate(host, Path(self._tmp.name))
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(cert, key)
            self._httpd.socket = context.wrap_socket(self._httpd.socket, server_side=True)
            self.cert_path = cert
        self.api = SalesforceApi(self.world, lambda: self.base_url)
        self.api.token_lifetime = self.faults.spec.expire_after
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        return int(self._httpd.server_address[1])

    @property
    def base_url(self) -> str:
        host = str(self._httpd.server_address[0])
        if ":" in host:
            host = f"[{host}]"
        return f"{'https' if self.tls else 'http'}://{host}:{self.port}"

    @property
    def token(self) -> str:
        return self.api.token

    def start(self) -> Simulator:
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, args=(POLL_S,), name="sfmonitor-simulator", daemon=True
        )
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        self._httpd.serve_forever(POLL_S)

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        if self._tmp is not None:
            self._tmp.cleanup()

    def __enter__(self) -> Simulator:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def exports(self) -> list[str]:
        """Shell lines to paste; quoted, since a Salesforce-style token holds a `!` (bash history)."""
        values = {"SF_INSTANCE_URL": self.base_url, "SF_ACCESS_TOKEN": self.token}
        if self.cert_path is not None:
            values["SF_CA_BUNDLE"] = str(self.cert_path)
        return [f"export {name}={shlex.quote(value)}" for name, value in values.items()]

    def called_by(self, options: str | None, method: str, path: str) -> None:
        """Count one request by the client its ``Sforce-Call-Options`` names (``client=NAME``, among
        comma-separated options), as the org's API Total Usage event log would fill CLIENT_NAME."""
        fields = dict(part.strip().partition("=")[::2] for part in (options or "").split(",") if "=" in part)
        client = fields.get("client", "")
        with self.world.lock:
            self.clients[client] += 1
            if not client:
                self.unnamed.append((method, path))

    def stats(self) -> dict[str, object]:
        with self.world.lock:
            return {"requests": self.requests, "jobs": len(self.world.jobs), "apiUsed": self.world.api_used}
