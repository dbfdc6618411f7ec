"""The dashboards' feed over real sockets (serve/server.py on a Feed, monitor/feed.py): the stream read
with httpx, gzip or not; the token on every path; the stream ends when the recorder stops; a
reconnect gets only what it missed; a reader that stops reading never holds the recorder's loop.
One case end to end: a real ``sfmonitor record --listen`` against the simulator."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from sfmonitor.bulk.auth import Secret
from sfmonitor.config import paths
from sfmonitor.monitor.feed import Feed, Replica
from sfmonitor.monitor.figures import Published
from sfmonitor.monitor.org import Org
from sfmonitor.monitor.schedule import Schedule
from sfmonitor.serve.access import Listen, read_token_file
from sfmonitor.serve.metrics import Exposition
from sfmonitor.serve.server import RecorderServer
from sfmonitor.simulator.server import Simulator
from tests.cli.test_record_metrics import TOKEN, Recorder, frozen, launch, read, token_file
from tests.monitor.test_feed import HOSTILE, fail, job, poll, recorder_org, snap

__all__ = ["frozen", "launch", "token_file"]  # fixtures, shared with the /metrics tests

IDENTITY = {"Accept-Encoding": "identity"}


@contextlib.contextmanager
def serving(feed: Feed, token: Secret | None = None, port: int = 0) -> Iterator[RecorderServer]:
    server = RecorderServer(Listen("127.0.0.1", port), Exposition(Published()), token, feed).start()
    try:
        yield server
    finally:
        server.stop()


def url(server: RecorderServer, path: str = "/api/v1/feed") -> str:
    return f"http://127.0.0.1:{server.port}{path}"


def recording() -> tuple[Feed, Org]:
    feed, org = Feed(), recorder_org()
    feed.listed([org])
    return feed, org


def line(lines: Iterator[str]) -> dict[str, Any]:
    """The next line that is not the recorder's clock (one comes before each batch of lines)."""
    while True:
        value = json.loads(next(lines))
        assert isinstance(value, dict)
        if value.get("type") != "clock":
            return value


@pytest.mark.parametrize("headers", [{}, IDENTITY], ids=["gzip", "plain"])
def test_the_stream_is_the_hello_each_org_whole_then_each_poll_as_it_comes(headers: dict[str, str]) -> None:
    feed, org = recording()
    b = job("750B")  # the same object each poll: not read again, not sent again
    poll(feed, org, snap(job("750A", object=HOSTILE), b))
    with serving(feed) as server, httpx.stream("GET", url(server), headers=headers, timeout=5) as answer:
        assert answer.status_code == 200 and answer.headers["content-type"].startswith("application/x-ndjson")
        assert answer.headers.get("content-encoding") == ("gzip" if not headers else None)
        lines = answer.iter_lines()
        hello = line(lines)
        assert hello["type"] == "hello" and hello["boot"] == feed.boot and hello["seq"] == 1
        whole = line(lines)
        assert whole["full"] and {j["fields"]["id"] for j in whole["jobs"]} == {"750A", "750B"}
        assert [j["fields"]["object"] for j in whole["jobs"] if j["fields"]["id"] == "750A"] == [HOSTILE]
        for n in range(3):  # each poll's event arrives as it is made (gzip: flushed line by line)
            poll(feed, org, snap(job("750A", processed=n + 1), b, read={"750A"}, at=n + 1))
            event = line(lines)
            assert event["seq"] == n + 2 and not event["full"]
            assert [j["fields"]["numberRecordsProcessed"] for j in event["jobs"]] == [n + 1]
        fail(feed, org, "HTTP 503", at=9)
        assert line(lines)["error"] == "HTTP 503"
        orgs = httpx.get(url(server, "/api/v1/orgs"), timeout=5)
        assert orgs.status_code == 200 and orgs.json()["orgs"] == [
            {"org": "prod", "label": None, "target": "https://prod.example"}]  # fmt: skip
        assert httpx.head(url(server), timeout=5).status_code == 405


def test_the_stream_ends_when_the_recorder_stops() -> None:
    feed, org = recording()
    poll(feed, org, snap(job("750A")))
    server = RecorderServer(Listen("127.0.0.1", 0), Exposition(Published()), None, feed).start()
    try:
        with httpx.stream("GET", url(server), headers=IDENTITY, timeout=5) as answer:
            lines = answer.iter_lines()
            assert line(lines)["type"] == "hello" and line(lines)["full"]
            began = time.monotonic()
            server.stop()  # Feed.close: the stream's wait ends, the connection closes
            assert [json.loads(rest)["type"] for rest in lines if rest] == []
            assert time.monotonic() - began < 2.0
    finally:
        server.stop()


def test_a_reconnect_with_its_boot_and_last_event_gets_only_what_it_missed() -> None:
    feed, org = recording()
    poll(feed, org, snap(job("750A"), job("750B")))
    with serving(feed) as server:
        with httpx.stream("GET", url(server), headers=IDENTITY, timeout=5) as answer:
            lines = answer.iter_lines()
            boot = line(lines)["boot"]
            assert line(lines)["full"]
            poll(feed, org, snap(job("750A", processed=5), job("750B"), read={"750A"}, at=1))
            last = line(lines)["seq"]
        poll(feed, org, snap(job("750A", processed=6), job("750B"), read={"750A"}, at=2))  # missed while away
        poll(feed, org, snap(job("750A", processed=6), read=set(), at=3))  # 750B gone, missed too
        params = {"boot": boot, "after": str(last)}
        with httpx.stream("GET", url(server), params=params, headers=IDENTITY, timeout=5) as answer:
            lines = answer.iter_lines()
            assert line(lines)["seq"] == last + 2
            missed = [line(lines), line(lines)]
            assert [(e["seq"], e["full"]) for e in missed] == [(last + 1, False), (last + 2, False)]
            assert missed[1]["gone"] == ["750B"]
            poll(feed, org, snap(job("750A", processed=7), read={"750A"}, at=4))
            assert (line(lines)["seq"], feed.closed) == (last + 3, False)  # then live: no org whole in between
        for hostile in ("%C2%B2", "-1", "1e9", "99999999999999999999999"):  # a number it never sent, or none
            with httpx.stream("GET", f"{url(server)}?boot={boot}&after={hostile}", headers=IDENTITY,
                              timeout=5) as answer:  # fmt: skip
                lines = answer.iter_lines()
                assert answer.status_code == 200 and line(lines)["type"] == "hello"
                assert line(lines)["full"], hostile


def test_a_reader_that_stops_reading_never_holds_the_recorders_loop() -> None:
    feed, org = recording()
    poll(feed, org, snap(job("750A")))
    with serving(feed) as server:
        stalled = socket.socket()
        stalled.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        stalled.connect(("127.0.0.1", server.port))
        stalled.sendall(b"GET /api/v1/feed HTTP/1.1\r\nHost: x\r\nAccept-Encoding: identity\r\n\r\n")
        try:
            big = "x" * 200_000  # an event of ~200 kB each poll: the stalled reader's buffers fill at once
            slowest = 0.0
            for n in range(60):  # ~12 MB the stalled reader never takes
                began = time.monotonic()
                poll(feed, org, snap(job("750A", processed=n, errorMessage=big), read={"750A"}, at=n))
                slowest = max(slowest, time.monotonic() - began)
            assert slowest < 0.5  # the writer never waited for the reader
            with httpx.stream("GET", url(server), headers=IDENTITY, timeout=5) as answer:  # others are served
                lines = answer.iter_lines()
                assert line(lines)["seq"] == 61
                assert line(lines)["jobs"][0]["fields"]["numberRecordsProcessed"] == 59
            got = stalled.recv(4096)
            assert got.startswith(b"HTTP/1.0 200")  # it was answered, and is held, unread
        finally:
            stalled.close()


class Caught(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


def test_with_a_token_the_feed_and_the_orgs_want_it_and_refusals_are_logged_without_it(token_file: Path) -> None:
    feed, org = recording()
    poll(feed, org, snap(job("750A")))
    caught, logger = Caught(), logging.getLogger("sfmonitor.serve.server")
    logger.addHandler(caught)
    try:
        with serving(feed, read_token_file(str(token_file), "--token-file")) as server:
            queried = httpx.get(f"{url(server)}?token={TOKEN}", timeout=5)  # the token put in the query: not logged
            assert queried.status_code == 401 and queried.headers["www-authenticate"].startswith("Bearer")
            for path in ("/api/v1/feed", "/api/v1/orgs"):
                for headers in ({}, {"Authorization": "Bearer not-the-token"}, {"Authorization": f"Basic {TOKEN}"}):
                    refused = httpx.get(url(server, path), headers=headers, timeout=5)
                    assert refused.status_code == 401 and "750A" not in refused.text and "hello" not in refused.text
            right = {"Authorization": f"Bearer {TOKEN}"}
            orgs = httpx.get(url(server, "/api/v1/orgs"), headers=right, timeout=5)
            assert orgs.status_code == 200 and orgs.json()["boot"] == feed.boot
            with httpx.stream("GET", url(server), headers=right, timeout=5) as answer:
                assert answer.status_code == 200
                lines = answer.iter_lines()
                assert line(lines)["type"] == "hello" and line(lines)["jobs"][0]["fields"]["id"] == "750A"
    finally:
        logger.removeHandler(caught)
    assert caught.lines[0] == "recorder: refused 127.0.0.1 for /api/v1/feed: no bearer token (401)"
    assert not any(TOKEN in text or "not-the-token" in text for text in caught.lines)


def test_a_real_recorder_streams_the_orgs_jobs_as_a_poller_reads_them(
    frozen: Simulator, launch: list[Recorder], token_file: Path
) -> None:
    launch.append(recorder := Recorder(frozen, "--token-file", str(token_file)))
    base = recorder.url.removesuffix("/metrics")
    assert httpx.get(f"{base}/api/v1/feed", timeout=5).status_code == 401
    assert httpx.get(f"{base}/api/v1/orgs", timeout=5).status_code == 401
    right = {"Authorization": f"Bearer {TOKEN}"}
    [listed] = httpx.get(f"{base}/api/v1/orgs", headers=right, timeout=5).json()["orgs"]
    replica = Replica()
    with httpx.stream("GET", f"{base}/api/v1/feed", headers=right, timeout=30) as answer:
        lines = answer.iter_lines()
        assert line(lines)["orgs"] == [listed]
        deadline = time.monotonic() + 30
        while True:  # the org whole (empty before the first poll), then the first poll's event
            event = line(lines)
            if event["type"] != "org":
                continue
            assert event["org"] == listed["org"]
            update = replica.apply(event)
            if update is not None and update.polled is not None:
                break
            assert time.monotonic() < deadline
        jobs = asyncio.run(read(frozen))  # what the org says (its time stopped: what the recorder read)
        assert list(replica.jobs) == list(jobs) and len(jobs) >= 20
        for job_id, theirs in jobs.items():
            ours = replica.jobs[job_id]
            assert ours == theirs and dict(ours.fields) == dict(theirs.fields), job_id
        recorder.stop()  # SIGTERM: the stream ends, and the recorder exits 0
        assert [rest for rest in lines if rest and json.loads(rest)["type"] != "clock"] == []
    log = paths.log_file().read_text()
    assert "recorder: refused 127.0.0.1 for /api/v1/feed: no bearer token (401)" in log and TOKEN not in log


def test_org_names_a_dashboard_reads_are_what_the_recorder_lists() -> None:
    feed = Feed()
    feed.listed([Org(Schedule(5.0), remembered_as=name, label=HOSTILE) for name in ("prod", "sandbox")])
    with serving(feed) as server:
        orgs = httpx.get(url(server, "/api/v1/orgs"), timeout=5).json()["orgs"]
    assert [(o["org"], o["label"]) for o in orgs] == [("prod", HOSTILE), ("sandbox", HOSTILE)]
