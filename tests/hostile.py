"""A small hostile HTTP server on loopback, for what the simulator will not do: a body that never ends,
a gzip bomb, an answer dripped a byte at a time. Each connection gets one answer from the test's
``answer(asked, wire)``; the server counts the bytes it managed to send (a client that stops reading
stops them), and closing it ends every drip at once (they wait on an event, not a sleep)."""

from __future__ import annotations

import contextlib
import gzip
import io
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass
from types import TracebackType


@dataclass(frozen=True)
class Asked:
    method: str
    path: str
    body: bytes


class Wire:
    """One connection's sending end."""

    def __init__(self, sock: socket.socket, server: HostileServer) -> None:
        self._sock = sock
        self._server = server

    def send(self, data: bytes) -> bool:
        """False once the client has gone (or the server is closing)."""
        if self._server.closing.is_set():
            return False
        try:
            self._sock.sendall(data)
        except OSError:
            return False
        with self._server.lock:
            self._server.sent += len(data)
        return True

    def head(self, status: int = 200, length: int | None = None, **headers: str) -> bool:
        lines = [f"HTTP/1.1 {status} X", "Connection: close"]
        lines += [f"{name.replace('_', '-')}: {value}" for name, value in headers.items()]
        if length is not None:
            lines.append(f"Content-Length: {length}")
        return self.send(("\r\n".join(lines) + "\r\n\r\n").encode())

    def drip(self, data: bytes, every: float) -> None:
        """``data`` a byte at a time, ``every`` seconds apart, until sent, the client goes or the server closes."""
        for byte in data:
            if self._server.closing.wait(every) or not self.send(bytes([byte])):
                return

    def endless(self, chunk: bytes) -> None:
        """``chunk`` again and again until the client goes or the server closes."""
        while self.send(chunk):
            pass


Answer = Callable[[Asked, Wire], None]


class HostileServer:
    def __init__(self, answer: Answer) -> None:
        self.answer = answer
        self.closing = threading.Event()
        self.lock = threading.Lock()
        self.sent = 0
        self.asked: list[Asked] = []
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self._listener.getsockname()[1]}"
        self._threads: list[threading.Thread] = []
        self._accepting = threading.Thread(target=self._accept, daemon=True)

    def __enter__(self) -> HostileServer:
        self._accepting.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.closing.set()
        with contextlib.suppress(OSError):
            self._listener.shutdown(socket.SHUT_RDWR)  # wakes the accept() (closing alone does not)
        self._listener.close()
        self._accepting.join(5)
        for thread in list(self._threads):
            thread.join(5)

    def _accept(self) -> None:
        while not self.closing.is_set():
            try:
                sock, _ = self._listener.accept()
            except OSError:
                return
            thread = threading.Thread(target=self._serve, args=(sock,), daemon=True)
            self._threads.append(thread)
            thread.start()

    def _serve(self, sock: socket.socket) -> None:
        with sock:
            sock.settimeout(10)
            data = b""
            try:
                while b"\r\n\r\n" not in data:
                    more = sock.recv(65536)
                    if not more:
                        return
                    data += more
                head, _, body = data.partition(b"\r\n\r\n")
                lines = head.decode("latin-1").split("\r\n")
                method, path, _ = lines[0].split(" ", 2)
                length = next((int(line.split(":", 1)[1]) for line in lines[1:]
                               if line.lower().startswith("content-length:")), 0)  # fmt: skip
                while len(body) < length:
                    more = sock.recv(65536)
                    if not more:
                        break
                    body += more
            except (OSError, ValueError):
                return
            asked = Asked(method, path, body)
            with self.lock:
                self.asked.append(asked)
            self.answer(asked, Wire(sock, self))


def gzip_bomb(inflated_mib: int) -> bytes:
    """``inflated_mib`` MiB of zeros, gzipped a MiB at a time: about a thousandth of that on the wire."""
    zeros = b"\0" * (1024 * 1024)
    buffer = io.BytesIO()
    with gzip.GzipFile(fileobj=buffer, mode="wb", compresslevel=9) as writer:
        for _ in range(inflated_mib):
            writer.write(zeros)
    return buffer.getvalue()
