"""Hostile bodies from the org cost the one request they came with, over real sockets: nesting 100,000
deep, a gzip bomb, a listing that never ends. And numbers and dates at the ends of their ranges."""

from __future__ import annotations

import gzip
import os
import time
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from sfmonitor.bulk import v2
from sfmonitor.bulk.errors import HostileBody, ProtocolError
from sfmonitor.bulk.models import Job
from sfmonitor.bulk.service import BulkService
from sfmonitor.cli.status import row
from sfmonitor.monitor.history import History
from sfmonitor.monitor.poller import Poller
from sfmonitor.numbers import clock, compact, duration, short_count
from sfmonitor.simulator.api import JSON_V2, XML, Reply
from sfmonitor.simulator.server import Simulator
from sfmonitor.ui.cells import JOB_COLUMNS, Palette, job_cells
from tests.conftest import connected, find_job

DEEP = 100_000


async def test_a_body_nested_100000_deep_costs_that_job_only(sim: Simulator, service: BulkService) -> None:
    ingest = find_job(sim, "ingest", "InProgress")
    classic = find_job(sim, "classic", "Closed")
    deep_json = b'{"id": "' + ingest.encode() + b'", "x": ' + b"[" * DEEP + b"]" * DEEP + b"}"
    deep_xml = b'<?xml version="1.0"?><jobInfo>' + b"<a>" * DEEP + b"</a>" * DEEP + b"</jobInfo>"

    def nest(method: str, path: str, query: str, reply: Reply) -> Reply:
        if path.endswith(f"/jobs/ingest/{ingest}"):
            return Reply(200, deep_json, JSON_V2)
        if path.endswith(f"/job/{classic}"):
            return Reply(200, deep_xml, XML)
        return reply

    sim.api.rewrite = nest
    snapshot = await Poller(service).cycle()
    assert set(snapshot.errors) == {ingest, classic}
    assert all("nests deeper than 32 levels" in message for message in snapshot.errors.values())
    assert len(snapshot.jobs) == len(sim.world.jobs)  # every other job is read and shown
    others = [job for job_id, job in snapshot.jobs.items() if job_id not in snapshot.errors and not job.finished]
    assert others and all(job.number_records_processed is not None or job.state == "Open" for job in others)


async def test_a_gzip_bomb_is_refused_past_the_limit_per_job(sim: Simulator) -> None:
    victim = find_job(sim, "query", "InProgress")
    inflated = b'{"id": "' + victim.encode() + b'", "pad": "' + b"0" * (8 * 1024 * 1024) + b'"}'
    assert len(gzip.compress(inflated)) < 64 * 1024  # the server gzips it: a few KB on the wire

    def inflate(method: str, path: str, query: str, reply: Reply) -> Reply:
        if path.endswith(f"/jobs/query/{victim}"):
            return Reply(200, inflated, JSON_V2)
        return reply

    sim.api.rewrite = inflate
    async with connected(sim, max_body=1024 * 1024) as service:
        snapshot = await Poller(service).cycle()
    assert list(snapshot.errors) == [victim]
    assert "answer over 1 MiB once inflated: not read" in snapshot.errors[victim]
    assert len(snapshot.jobs) == len(sim.world.jobs)


async def test_a_listing_that_never_ends_stops_after_a_bounded_number_of_pages(
    sim: Simulator, service: BulkService, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(v2, "MAX_LISTING_PAGES", 25)
    pages = iter(range(10**6))

    def endless(method: str, path: str, query: str, reply: Reply) -> Reply:
        if path.endswith("/jobs/ingest") and method == "GET":
            locator = f"01g5g0000000001-{next(pages)}"
            body = f'{{"done": false, "records": [], "nextRecordsUrl": "/x?queryLocator={locator}"}}'
            return Reply(200, body.encode(), JSON_V2)
        return reply

    sim.api.rewrite = endless
    before = len(sim.log)
    with pytest.raises(ProtocolError, match="did not end after 25 pages"):
        await service.list_jobs()
    assert len(sim.log) - before == 25


def by_id(*jobs: Job) -> dict[str, Job]:
    return {j.id: j for j in jobs}


def test_hostile_bodies_are_not_retried() -> None:
    from sfmonitor.bulk.errors import transient

    assert not transient(HostileBody("refused"))
    assert transient(ProtocolError("garbled"))


@pytest.fixture(params=["UTC", "Pacific/Kiritimati", "Pacific/Pago_Pago", "America/Los_Angeles"])
def zone(request: pytest.FixtureRequest) -> Iterator[str]:
    old = os.environ.get("TZ")
    os.environ["TZ"] = request.param
    time.tzset()
    yield request.param
    if old is None:
        os.environ.pop("TZ", None)
    else:
        os.environ["TZ"] = old
    time.tzset()


@pytest.mark.parametrize("created", ["0001-01-01T00:00:00.000+0000", "9999-12-31T23:59:59.999+0000",
                                     "0001-01-01T00:00:00.000+1400", "9999-12-31T23:59:59.000-1200"])  # fmt: skip
@pytest.mark.parametrize("count", [10**30, 10**400, -(10**30)])
def test_huge_counts_and_far_dates_show_compactly_in_any_zone(zone: str, created: str, count: int) -> None:
    now = datetime(2026, 11, 20, 14, 30, tzinfo=UTC)
    job = Job.from_fields({"id": "750x", "jobType": "V2Ingest", "state": "InProgress", "createdDate": created,
                           "systemModstamp": created, "numberRecordsProcessed": count, "numberRecordsFailed": count,
                           "totalProcessingTime": count})  # fmt: skip
    history = History()
    history.record(1.0, by_id(job))
    history.record(2.0, by_id(job.merged(Job.from_fields({"id": "750x", "numberRecordsProcessed": count * 2}))))
    cells = job_cells(job, history, now, JOB_COLUMNS, Palette())
    for column, cell in zip(JOB_COLUMNS, cells, strict=True):
        assert "…" not in cell.plain or column.key in ("kind", "object"), (column.key, cell.plain)
        assert len(cell.plain) <= column.width, (column.key, cell.plain)
    text = {c.key: cell.plain for c, cell in zip(JOB_COLUMNS, cells, strict=True)}
    assert text["processed"] == ("-1e30" if count < 0 else f"1e{len(str(abs(count))) - 1}")
    assert clock(job.created_date, now)  # a time, not an exception
    status = row(job, now)
    assert status[6] == text["processed"] and "…" not in " ".join(status[5:])


def test_number_formats() -> None:
    assert compact(1_234_567, 9) == "1,234,567" and compact(1_234_567, 7) == "1.2M"
    assert compact(10**18, 7) == "1e18" and compact(10**400, 7) == "1e400"
    assert short_count(10**400) == "1e400" and short_count(1_384_000) == "1.4M"
    assert duration(10**400) == "1e400ms" and duration(90_061_000) == "25h01m"
