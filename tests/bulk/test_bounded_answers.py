"""Every answer is bounded, over real sockets against a hostile server: in size once inflated (a token
endpoint's endless answer, a gzip bomb, a result file past its limit cost a capped amount of memory
and one clear error) and in time (a server dripping a byte at a time meets a total deadline)."""

from __future__ import annotations

import time
import tracemalloc
import zlib

import pytest

from sfmonitor.bulk.auth import ClientCredentials, StaticToken
from sfmonitor.bulk.bodies import MIB, TOKEN_ANSWER_CAP
from sfmonitor.bulk.errors import AuthError, HostileBody, TokenUnavailable, TransportError
from sfmonitor.bulk.transport import Transport
from sfmonitor.config.connection import ConnectionOptions, open_service
from tests.hostile import Answer, Asked, HostileServer, Wire, gzip_bomb

JOBS = "/services/data/v62.0/jobs/ingest"
TOKEN = '{"access_token": "00Dx!tok", "instance_url": "http://127.0.0.1"}'


def endless(asked: Asked, wire: Wire) -> None:
    """A 400 MB answer (declared), sent until the client stops reading."""
    if wire.head(200, 400 * 1000 * 1000, Content_Type="application/json"):
        wire.endless(b'{"pad": "' + b"x" * 65536)


def bomb(inflated_mib: int) -> tuple[bytes, Answer]:
    body = gzip_bomb(inflated_mib)

    def answer(asked: Asked, wire: Wire) -> None:
        if wire.head(200, len(body), Content_Type="application/json", Content_Encoding="gzip"):
            wire.send(body)

    return body, answer


def drip(asked: Asked, wire: Wire) -> None:
    """Headers at once, then a byte every 0.2 s: each read is quick, the whole would take half an hour."""
    if wire.head(200, 10_000, Content_Type="application/json"):
        wire.drip(b" " * 10_000, 0.2)


async def test_a_token_endpoint_answering_without_end_costs_one_mib_and_one_clear_error() -> None:
    with HostileServer(endless) as server, pytest.raises(AuthError, match="answer over 1 MiB once inflated: not read"):
        await ClientCredentials(server.url, "app", "secret").session()
    assert server.sent < 64 * MIB  # what loopback buffers took before the client hung up: not 400 MB


async def test_a_gzip_bombed_token_answer_never_holds_more_than_its_cap() -> None:
    body, answer = bomb(200)
    assert len(body) < 400 * 1024  # 200 MiB inflated
    with HostileServer(answer) as server:
        tracemalloc.start()
        try:
            with pytest.raises(AuthError, match="answer over 1 MiB once inflated: not read"):
                await ClientCredentials(server.url, "app", "secret").session()
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
    assert peak < TOKEN_ANSWER_CAP + 8 * MIB, peak


async def test_the_timeout_bounds_the_whole_token_answer_not_each_read() -> None:
    """``--timeout`` reaches the token endpoint (through the connection options, as the CLI passes it)."""
    with HostileServer(drip) as server:
        started = time.monotonic()
        # past the deadline is a passing failure (tried again later), not a refused sign-in
        with pytest.raises(TokenUnavailable, match=r"could not get a token from .*: no answer within 1 s"):
            async with open_service(ConnectionOptions(instance_url=server.url, client_id="app",
                                                      client_secret="secret", timeout=1)):  # fmt: skip
                pass
        took = time.monotonic() - started
    assert took < 30  # the drip would take 2,000 s; the deadline is 1 s (a loaded machine is slow, not 30x)
    assert [a.path for a in server.asked] == ["/services/oauth2/token"]


async def test_an_api_gzip_bomb_is_refused_within_its_cap_and_not_asked_again() -> None:
    _, answer = bomb(64)
    with HostileServer(answer) as server:
        async with Transport(StaticToken(server.url, "tok"), max_body=MIB) as transport:
            tracemalloc.start()
            try:
                with pytest.raises(HostileBody, match=r"answer over 1 MiB once inflated: not read \(GET "):
                    await transport.request("GET", JOBS)
                _, peak = tracemalloc.get_traced_memory()
            finally:
                tracemalloc.stop()
    # httpx alone inflates a 64 KiB wire chunk of this bomb into ~64 MiB at once
    assert peak < MIB + 8 * MIB, peak
    assert len(server.asked) == 1  # a body refused on purpose is not asked for again


async def test_a_dripping_api_answer_meets_the_total_deadline() -> None:
    with HostileServer(drip) as server:
        async with Transport(StaticToken(server.url, "tok"), timeout=1, retry_delay=0) as transport:
            started = time.monotonic()
            with pytest.raises(TransportError, match=r"no answer within 1 s \(GET "):
                await transport.request("GET", JOBS)
            took = time.monotonic() - started
    assert took < 30
    assert len(server.asked) == 2  # a read is asked once more, under its own deadline


async def test_a_streamed_result_file_stops_at_its_limit() -> None:
    with HostileServer(endless) as server:
        async with Transport(StaticToken(server.url, "tok")) as transport:
            read = 0
            with pytest.raises(HostileBody, match="answer over 2 MiB once inflated: not read"):
                async with transport.stream(JOBS + "/x/failedResults/", limit=2 * MIB) as chunks:
                    async for chunk in chunks:
                        read += len(chunk)
    assert read <= 2 * MIB
    assert server.sent < 64 * MIB


async def test_a_streamed_result_file_can_be_bounded_in_time() -> None:
    with HostileServer(drip) as server:
        async with Transport(StaticToken(server.url, "tok"), timeout=5) as transport:
            started = time.monotonic()
            with pytest.raises(TransportError, match=r"no answer within 1 s \(GET "):
                async with transport.stream(JOBS + "/x/failedResults/", within=1) as chunks:
                    async for _ in chunks:
                        pass
            took = time.monotonic() - started
    assert took < 30


@pytest.mark.parametrize("wbits", [zlib.MAX_WBITS, -zlib.MAX_WBITS], ids=["zlib", "raw"])
async def test_deflate_answers_are_read_either_way_servers_send_them(wbits: int) -> None:
    squeezer = zlib.compressobj(wbits=wbits)
    body = squeezer.compress(b'{"records": [], "done": true}') + squeezer.flush()

    def answer(asked: Asked, wire: Wire) -> None:
        if wire.head(200, len(body), Content_Type="application/json", Content_Encoding="deflate"):
            wire.send(body)

    with HostileServer(answer) as server:
        async with Transport(StaticToken(server.url, "tok")) as transport:
            response = await transport.request("GET", JOBS)
    assert response.json() == {"records": [], "done": True}


async def test_a_token_answer_within_its_cap_still_signs_in() -> None:
    def answer(asked: Asked, wire: Wire) -> None:
        body = TOKEN.encode()
        if wire.head(200, len(body), Content_Type="application/json"):
            wire.send(body)

    with HostileServer(answer) as server:
        session = await ClientCredentials(server.url, "app", "secret", timeout=5).session()
    assert session.access_token.reveal() == "00Dx!tok"
    assert b"client_secret=secret" in server.asked[0].body
