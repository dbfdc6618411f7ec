"""``--faults``: each injected failure shows on the wire as a client would meet it."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import pytest

from sfmonitor.bulk.auth import StaticToken
from sfmonitor.bulk.errors import ApiError, ProtocolError, RequestLimitExceeded, TransportError
from sfmonitor.bulk.service import BulkService
from sfmonitor.bulk.transport import Transport
from sfmonitor.simulator.faults import Faults, FaultSpec, parse_faults
from sfmonitor.simulator.server import Simulator
from tests.conftest import make_sim


def test_spec_parsing() -> None:
    spec = parse_faults(
        "slow=2.5s@0.3, error=503@0.1, drop=0.05, garble=0.2, expire-after=100, limit-after=5000, "
        "on=patch+Post, down=30-630, window=10-20"
    )
    assert (spec.slow, spec.slow_p, spec.error, spec.error_p) == (2.5, 0.3, 503, 0.1)
    assert (spec.drop, spec.garble, spec.expire_after, spec.limit_after) == (0.05, 0.2, 100, 5000)
    assert spec.down == (30.0, 630.0) and spec.window == (10.0, 20.0)
    assert spec.methods == {"PATCH", "POST"}
    assert parse_faults("") == FaultSpec()


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("explode=1", "unknown fault"),
        ("drop=2", "probability"),
        ("error=418", "500, 502, 503 or 504"),
        ("slow", "needs a value"),
        ("down=9-3", "START-END"),
        ("limit-after=lots", "not a number"),
    ],
)
def test_bad_specs_name_the_problem(spec: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_faults(spec)


@asynccontextmanager
async def faulty(faults: FaultSpec, timeout: float = 10.0) -> AsyncIterator[tuple[Simulator, BulkService]]:
    """A seeded org with ``faults``, and a service pointed at it."""
    sim = make_sim(speed=60, faults=faults)
    transport = Transport(StaticToken(sim.base_url, sim.token), timeout=timeout)
    try:
        await transport.open()
        yield sim, BulkService(transport, "66.0")
    finally:
        await transport.aclose()
        sim.stop()


async def test_gateway_error_pages() -> None:
    async with faulty(FaultSpec(error=502)) as (_, service):
        with pytest.raises(ApiError) as caught:
            await service.list_jobs()
    assert caught.value.status == 502 and caught.value.transient
    assert "HTML" in str(caught.value)


async def test_dropped_connections() -> None:
    async with faulty(FaultSpec(drop=1.0)) as (_, service):
        with pytest.raises(TransportError):
            await service.list_jobs()


async def test_garbled_bodies_plain_and_gzipped() -> None:
    async with faulty(FaultSpec(badgzip=1.0)) as (_, service):
        with pytest.raises(ProtocolError):  # gzip stream cut short: undecodable or half a JSON document
            await service.list_jobs()
    async with faulty(FaultSpec(garble=1.0)) as (sim, service):
        with pytest.raises(ProtocolError, match="not valid JSON"):  # intact gzip, JSON cut short
            await service.list_jobs()
        async with httpx.AsyncClient() as plain:  # no gzip asked: JSON cut short
            answer = await plain.get(
                f"{sim.base_url}/services/data/v66.0/jobs/ingest",
                headers={"Authorization": f"Bearer {sim.token}", "Accept-Encoding": "identity"},
            )
        with pytest.raises(ValueError):
            answer.json()


async def test_slow_answers_time_out() -> None:
    async with faulty(FaultSpec(slow=2.0), timeout=0.5) as (_, service):
        started = time.monotonic()
        with pytest.raises(TransportError, match=r"no answer within 0\.5 s"):
            await service.list_jobs()
        assert time.monotonic() - started < 2.0


async def test_daily_limit_reached() -> None:
    async with faulty(FaultSpec(limit_after=3)) as (_, service):
        await service.list_jobs()  # 2 requests
        with pytest.raises(RequestLimitExceeded, match="TotalRequests Limit exceeded"):
            for _ in range(3):
                await service.list_jobs()


async def test_server_down_for_a_while_then_back() -> None:
    async with faulty(FaultSpec(down=(0.0, 3600.0))) as (sim, service):
        with pytest.raises(TransportError):
            await service.list_jobs()
        sim.faults.hold(False)  # the outage ends
        assert await service.list_jobs()


def test_windows_and_spans_follow_the_seconds_since_start() -> None:
    faults = Faults(FaultSpec(error=503, window=(10.0, 20.0), down=(30.0, 40.0)))
    assert [faults.active(t) for t in (9.9, 10.0, 19.9, 20.0)] == [False, True, True, False]
    assert [faults.down(t) for t in (29.9, 30.0, 39.9, 40.0)] == [False, True, True, False]
    faults.hold(True)
    assert faults.active(0.0) and faults.down(0.0)
    faults.hold(None)
    assert not faults.active(0.0)


async def test_token_endpoint_is_never_faulted() -> None:
    sim = make_sim(speed=60, faults=FaultSpec(error=503, drop=0.0))
    try:
        async with httpx.AsyncClient() as client:
            answer = await client.post(
                f"{sim.base_url}/services/oauth2/token", data={"grant_type": "client_credentials", "client_id": "c"}
            )
        assert answer.status_code == 200 and answer.json()["access_token"]
    finally:
        sim.stop()
