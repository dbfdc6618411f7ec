"""A dashboard's side of a recorder (serve/attach.py): the address rules, the token file, and the Link
following a real RecorderServer's feed: events in order, a lost recorder said in words, a restarted
one on the same port found again on its own (each org whole, its new boot), and whatever a recorder
sends that is not its feed said in words, never raised out of follow()."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Callable, Mapping
from pathlib import Path
from typing import Any

import pytest

from sfmonitor.bulk.auth import Secret
from sfmonitor.bulk.errors import ConfigError
from sfmonitor.monitor.feed import Feed
from sfmonitor.serve import attach
from sfmonitor.serve.attach import Link, RecorderAddress, RecorderError, recorded_orgs, recorder_address
from sfmonitor.serve.server import RecorderServer
from tests.hostile import Asked, HostileServer, Wire
from tests.monitor.test_feed import job, poll, recorder_org, snap
from tests.serve.test_feed_http import serving

TOKEN = "attach-Token-0123456789"
FAST = (0.05,)  # the Link's wait after a loss, in these tests


def test_plain_http_only_to_a_loopback_recorder_https_anywhere() -> None:
    for ok in ("http://127.0.0.1:9464", "http://localhost:9464/", "http://[::1]:9464", "https://rec.example.org"):
        assert recorder_address(ok).url == ok.rstrip("/") and recorder_address(ok).token is None
    with pytest.raises(ConfigError) as refused:
        recorder_address("http://10.0.0.5:9464")
    assert "plain http only to a loopback address" in str(refused.value) and "https" in str(refused.value)
    for garbage in ("127.0.0.1:9464", "ftp://127.0.0.1", "http://", "not a url \x1b[2J"):
        with pytest.raises(ConfigError) as bad:
            recorder_address(garbage, where="recorder")
        assert str(bad.value).startswith("recorder wants the recorder's address") and "\x1b" not in str(bad.value)


def test_the_token_file_is_read_as_a_secret_file(tmp_path: Path) -> None:
    path = tmp_path / "recorder.token"
    path.write_text(TOKEN + "\n")
    path.chmod(0o644)
    with pytest.raises(ConfigError) as exposed:
        recorder_address("http://127.0.0.1:9464", str(path))
    words = str(exposed.value)
    assert "--recorder-token-file" in words and "chmod 600" in words and TOKEN not in words
    path.chmod(0o600)
    address = recorder_address("http://127.0.0.1:9464", str(path))
    assert address.token is not None and address.token.reveal() == TOKEN
    assert address.headers() == {"Authorization": f"Bearer {TOKEN}"} and TOKEN not in repr(address)
    with pytest.raises(ConfigError, match="recorder_token_file"):
        recorder_address("http://127.0.0.1:9464", str(tmp_path / "absent"), where="recorder")


class Seen:
    """What a Link handed its callbacks, in order; ``until`` waits (with a deadline) for a condition."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, Any]] = []
        self._changed = asyncio.Event()

    def _add(self, kind: str, value: Any) -> None:
        self.calls.append((kind, value))
        self._changed.set()

    def link(self, address: RecorderAddress) -> Link:
        return Link(address, lambda h: self._add("hello", h), lambda e: self._add("event", e),
                    lambda w: self._add("lost", w), retry_s=FAST)  # fmt: skip

    def of(self, kind: str) -> list[Any]:
        return [value for k, value in self.calls if k == kind]

    async def until(self, check: Callable[[], bool], timeout: float = 5.0) -> None:
        async with asyncio.timeout(timeout):
            while not check():
                self._changed.clear()
                await self._changed.wait()


@contextlib.asynccontextmanager
async def following(link: Link) -> AsyncIterator[asyncio.Task[None]]:
    task = asyncio.create_task(link.follow())
    try:
        yield task
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


def address_of(server: RecorderServer | HostileServer, token: str | None = None) -> RecorderAddress:
    url = server.url if isinstance(server, HostileServer) else f"http://127.0.0.1:{server.port}"
    return RecorderAddress(url, Secret(token) if token else None)


async def test_the_link_hands_the_hello_then_each_event_in_order() -> None:
    feed, org = Feed(), recorder_org()
    feed.listed([org])
    poll(feed, org, snap(job("750A")))
    seen = Seen()
    with serving(feed) as server:
        assert recorded_orgs(address_of(server)) == ["prod"]
        link = seen.link(address_of(server))
        async with following(link) as task:
            await seen.until(lambda: len(seen.of("event")) == 1)
            for n in range(3):
                poll(feed, org, snap(job("750A", processed=n + 1), read={"750A"}, at=n + 1))
            await seen.until(lambda: len(seen.of("event")) == 4)
            assert not task.done() and link.connected
    kinds = [kind for kind, _ in seen.calls]
    assert kinds[:5] == ["hello", "event", "event", "event", "event"]
    hello, *events = [value for _, value in seen.calls[:5]]
    assert hello["boot"] == feed.boot and hello["orgs"][0]["org"] == "prod"
    assert [e["seq"] for e in events] == [1, 2, 3, 4] and [e["full"] for e in events] == [True, False, False, False]
    assert [e["jobs"][0]["fields"]["numberRecordsProcessed"] for e in events] == [0, 1, 2, 3]
    assert link.boot == feed.boot and link.seq == 4


async def test_a_stopped_recorder_is_said_in_words_and_its_restart_on_the_same_port_is_found_again() -> None:
    feed, org = Feed(), recorder_org()
    feed.listed([org])
    poll(feed, org, snap(job("750A"), job("750B")))
    seen = Seen()
    with serving(feed) as server:
        port = server.port
        link = seen.link(address_of(server))
        async with following(link) as task:
            await seen.until(lambda: len(seen.of("event")) == 1)
            server.stop()  # the recorder stops (its feed closes every stream)
            await seen.until(lambda: len(seen.of("lost")) >= 1)
            assert seen.of("lost")[0] == f"recorder http://127.0.0.1:{port} closed the feed (stopped or restarting)"
            assert not link.connected

            again, org2 = Feed(), recorder_org()  # restarted: another boot, its own numbers
            again.listed([org2])
            poll(again, org2, snap(job("750A", "JobComplete", 9), job("750C")))
            with serving(again, port=port):
                await seen.until(lambda: len(seen.of("hello")) == 2)
                await seen.until(lambda: len(seen.of("event")) == 2)
                assert not task.done()
            assert seen.of("hello")[1]["boot"] == again.boot != feed.boot
            whole = seen.of("event")[1]
            assert whole["full"] and {j["fields"]["id"] for j in whole["jobs"]} == {"750A", "750C"}
            assert link.boot == again.boot and link.seq == 1
            await seen.until(lambda: not link.connected)
    assert all(words.startswith(f"recorder http://127.0.0.1:{port} ") for words in seen.of("lost"))


async def test_a_refused_token_is_said_in_words_that_name_the_token_option() -> None:
    feed = Feed()
    feed.listed([recorder_org()])
    seen = Seen()
    with serving(feed, Secret(TOKEN)) as server:
        async with following(seen.link(address_of(server))) as task:
            await seen.until(lambda: len(seen.of("lost")) >= 2)  # said, and tried again
            assert not task.done()
        with pytest.raises(RecorderError) as refused:
            recorded_orgs(address_of(server, "wrong-token"))
        assert "401" in str(refused.value) and "wrong-token" not in str(refused.value)
        assert recorded_orgs(address_of(server, TOKEN)) == ["prod"]
    [words] = set(seen.of("lost"))
    assert "401" in words and "--recorder-token-file" in words and seen.of("hello") == []


def answering(*lines: str, status: int = 200) -> Callable[[Asked, Wire], None]:
    def answer(asked: Asked, wire: Wire) -> None:
        wire.head(status, Content_Type="application/x-ndjson")
        wire.send("".join(line + "\n" for line in lines).encode())

    return answer


HELLO = json.dumps({"type": "hello", "version": 1, "boot": "b", "seq": 0, "orgs": [{"org": "prod"}]})
NOT_THE_FEED = [
    (["<html>not json</html>"], "sent something that is not its feed"),
    ([json.dumps({"type": "hello", "version": 99, "orgs": []})], "speaks feed version 99, this dashboard 1"),
    ([json.dumps({"type": "org"})], "its first line is not a hello"),
    ([json.dumps({"type": "hello", "version": 1, "orgs": "prod"})], "its list of orgs is not one"),
    ([HELLO, "[1, 2]"], "an event that is not an object"),
    ([HELLO, json.dumps({"type": "org", "seq": "7"})], "an event without its number"),
    ([HELLO, "{truncated"], "sent something that is not its feed"),
    ([], "closed the feed before its first line"),
]


@pytest.mark.parametrize(("lines", "said"), NOT_THE_FEED, ids=range(len(NOT_THE_FEED)))
async def test_what_is_not_its_feed_is_said_in_words_never_raised(lines: list[str], said: str) -> None:
    seen = Seen()
    with HostileServer(answering(*lines)) as hostile:
        async with following(seen.link(address_of(hostile))) as task:
            await seen.until(lambda: len(seen.of("lost")) >= 2)  # said, and tried again
            assert not task.done()
    words = seen.of("lost")[0]
    assert words.startswith(f"recorder {hostile.url} ") and said in words, words
    assert seen.of("event") == []


@pytest.mark.parametrize(
    ("status", "said"), [(404, "not an sfmonitor recorder started with --listen"), (502, "answered HTTP 502")]
)
async def test_a_404_and_a_server_error_are_said_in_words(status: int, said: str) -> None:
    seen = Seen()
    with HostileServer(answering("nope", status=status)) as hostile:
        async with following(seen.link(address_of(hostile))):
            await seen.until(lambda: len(seen.of("lost")) >= 1)
        with pytest.raises(RecorderError, match=said):
            recorded_orgs(address_of(hostile))
    assert said in seen.of("lost")[0]


async def test_an_event_the_dashboard_cannot_use_asks_for_each_org_whole() -> None:
    feed, org = Feed(), recorder_org()
    feed.listed([org])
    poll(feed, org, snap(job("750A")))
    seen = Seen()
    with serving(feed) as server:
        link = seen.link(address_of(server))

        def refuse(event: Mapping[str, Any]) -> None:
            seen._add("event", event)
            if not event["full"]:
                link.resync()  # what the dashboard does when Replica.apply refuses an event

        link.on_event = refuse
        async with following(link):
            await seen.until(lambda: len(seen.of("event")) == 1)
            poll(feed, org, snap(job("750A", processed=3), read={"750A"}, at=1))
            poll(feed, org, snap(job("750A", processed=4), read={"750A"}, at=2))  # ends the resync's read
            await seen.until(lambda: len(seen.of("event")) >= 3 and seen.of("event")[-1]["full"])
    assert "could not use" in seen.of("lost")[0]
    assert seen.of("event")[-1]["jobs"][0]["fields"]["numberRecordsProcessed"] == 4


async def test_a_line_that_never_ends_is_refused_at_the_limit_not_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(attach, "LINE_LIMIT", 100_000)

    def endless(asked: Asked, wire: Wire) -> None:
        wire.head(200, Content_Type="application/x-ndjson")
        wire.send((HELLO + "\n").encode())
        wire.endless(b"x" * 65536)  # one line, for ever

    seen = Seen()
    with HostileServer(endless) as hostile:
        async with following(seen.link(address_of(hostile))):
            await seen.until(lambda: len(seen.of("lost")) >= 1)
    assert "sent a line of more than 100,000 characters" in seen.of("lost")[0]
    assert len(seen.of("hello")) >= 1 and seen.of("event") == []


async def test_lines_are_cut_where_the_recorder_cut_them_whatever_the_chunks() -> None:
    events = [json.dumps({"type": "org", "seq": n, "pad": "y" * (n * 7919 % 90_000)}) for n in range(1, 40)]

    def dripped(asked: Asked, wire: Wire) -> None:
        wire.head(200, Content_Type="application/x-ndjson")
        body = "".join(line + "\n" for line in [HELLO, *events]).encode()
        for at in range(0, len(body), 4093):  # chunks that cut lines anywhere
            wire.send(body[at : at + 4093])

    seen = Seen()
    with HostileServer(dripped) as hostile:
        async with following(seen.link(address_of(hostile))):
            await seen.until(lambda: len(seen.of("lost")) >= 1)
    assert [e["seq"] for e in seen.of("event")] == list(range(1, 40))
    assert [json.dumps(e) for e in seen.of("event")] == events


async def test_after_a_cut_the_link_asks_for_what_it_missed_since_its_last_event() -> None:
    event = {"type": "org", "seq": 5, "org": "prod", "full": True, "gone": [], "jobs": []}
    answer = answering(HELLO, json.dumps(event), json.dumps({"type": "ping"}))  # then the line is cut
    seen = Seen()
    with HostileServer(answer) as hostile:
        link = seen.link(address_of(hostile))
        async with following(link):
            await seen.until(lambda: len(seen.of("hello")) >= 3)
        asked = [a.path for a in hostile.asked]
    assert asked[0] == "/api/v1/feed" and asked[1] == asked[2] == "/api/v1/feed?boot=b&after=5"
    assert "closed the feed" in seen.of("lost")[0] and [e["seq"] for e in seen.of("event")][:2] == [5, 5]


async def test_an_event_kept_for_a_reconnect_is_as_old_as_its_poll_not_as_fresh_as_its_sending() -> None:
    """The recorder's clock goes with each batch it writes: a poll it took a minute before the dashboard
    came back reads as a minute old on the dashboard, whatever the two clocks say."""
    now = [1_000_000.0]
    feed, org = Feed(clock=lambda: now[0]), recorder_org()
    feed.listed([org])
    poll(feed, org, snap(job("750A")))  # the feed's event says it was sent at 1,000,000
    now[0] += 60.0  # a minute later, the dashboard connects
    seen = Seen()
    with serving(feed) as server:
        async with following(seen.link(address_of(server))):
            await seen.until(lambda: len(seen.of("event")) == 1)
    [event] = seen.of("event")
    assert event["sent"] == now[0]  # the clock of the write, not of the event's making
