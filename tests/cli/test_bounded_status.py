"""``--timeout`` is the whole of each answer: a server that drips its answer a byte at a time (each
read quick, the whole half an hour) cannot hold ``status`` past a bounded time."""

from __future__ import annotations

import time

from tests.cli.runner import run_cli
from tests.hostile import Asked, HostileServer, Wire


def drip(asked: Asked, wire: Wire) -> None:
    if wire.head(200, 10_000, Content_Type="application/json"):
        wire.drip(b" " * 10_000, 0.2)


def test_status_against_a_dripping_server_ends_in_one_line_with_exit_3() -> None:
    with HostileServer(drip) as server:
        started = time.monotonic()
        result = run_cli(["status", "--instance-url", server.url, "--access-token", "t", "--timeout", "1"])
        took = time.monotonic() - started
    assert result.returncode == 3
    assert result.stderr.count("\n") == 1, result.stderr
    assert f"no answer within 1 s (GET {server.url}/services/data/)" in result.stderr
    assert took < 60  # the drip takes 2,000 s; the sign-in's three tries of two reads of 1 s each
