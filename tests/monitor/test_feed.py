"""The recorder's feed without sockets (monitor/feed.py): each poll's event carries what changed, a
failed poll its words, a reader that reconnects gets what it missed (or each org whole), and a
dashboard's Replica fed the same events ends with the recorder's jobs, hostile text intact."""

from __future__ import annotations

import json
import threading
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from sfmonitor.bulk.models import Action, Batch, Job, JobKind
from sfmonitor.monitor.feed import Feed, Replica, from_wire, to_wire
from sfmonitor.monitor.org import Org
from sfmonitor.monitor.poller import Poller, Snapshot, newest_first
from sfmonitor.monitor.schedule import Schedule
from sfmonitor.simulator.server import Simulator
from tests.conftest import add_classic_job, connected

T0 = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)
HOSTILE = '[bold red]boom[/] \x1b]52;c;ZXZpbA==\x07\x1b[2J "quoted"\nline\\ \ud800 lone'


def stamp(minutes: float) -> str:
    return (T0 + timedelta(minutes=minutes)).strftime("%Y-%m-%dT%H:%M:%S.000+0000")


def job(job_id: str, state: str = "InProgress", processed: int = 0, modstamp: float = 0.0, **more: Any) -> Job:
    return Job.from_fields({"id": job_id, "jobType": "V2Ingest", "object": "Account", "operation": "insert",
                            "state": state, "createdDate": stamp(-60), "systemModstamp": stamp(modstamp),
                            "numberRecordsProcessed": processed, **more})  # fmt: skip


def classic(job_id: str, *batch_states: str) -> Job:
    info = Job.from_fields({"id": job_id, "object": "Contact", "operation": "upsert", "state": "Closed",
                            "contentType": "CSV", "createdDate": stamp(-30), "systemModstamp": stamp(-1),
                            "numberBatchesTotal": str(len(batch_states)), "numberRecordsProcessed": "150",
                            "apiVersion": "62.0"}, listed_as=JobKind.CLASSIC)  # fmt: skip
    raw = [{"id": f"751{i}", "jobId": job_id, "state": state, "stateMessage": HOSTILE if i else "",
            "createdDate": stamp(-29), "systemModstamp": stamp(-2), "numberRecordsProcessed": "50",
            "numberRecordsFailed": "1"} for i, state in enumerate(batch_states)]  # fmt: skip
    batches = tuple(Batch.from_fields(fields) for fields in raw)
    return info.with_batches(batches)


def recorder_org() -> Org:
    return Org(Schedule(5.0), name="ops@prod", remembered_as="prod", target="https://prod.example")


def snap(*jobs: Job, read: set[str] | None = None, at: float = 0.0) -> Snapshot:
    ordered = dict(sorted(((j.id, j) for j in jobs), key=newest_first))  # as a poll hands them
    return Snapshot(ordered, None, T0 + timedelta(minutes=at), 1,
                    read=frozenset({j.id for j in jobs} if read is None else read))  # fmt: skip


def poll(feed: Feed, org: Org, snapshot: Snapshot) -> None:
    """What the recorder does with a good poll: the org's transition, then the feed's event."""
    org.polled(snapshot, org.state.poll_started(), snapshot.taken_at, 0.0)
    feed.polled(org, snapshot)


def fail(feed: Feed, org: Org, words: str, at: float = 1.0) -> None:
    org.poll_failed(words, T0 + timedelta(minutes=at), 0.0)
    feed.failed(org)


def events(lines: list[str]) -> list[dict[str, Any]]:
    return [json.loads(line) for line in lines]


def since(feed: Feed, seq: int) -> list[dict[str, Any]]:
    got = feed.after(seq, timeout=0)
    assert got is not None
    return events(got[0])


def test_an_event_carries_only_the_jobs_whose_read_changed_and_the_ids_gone() -> None:
    feed, org = Feed(), recorder_org()
    feed.listed([org])
    a, b, c = job("750A"), job("750B"), job("750C")
    poll(feed, org, snap(a, b, c))
    [first] = since(feed, 0)
    assert first["type"] == "org" and first["org"] == "prod" and first["seq"] == 1 and not first["full"]
    assert {j["fields"]["id"] for j in first["jobs"]} == {"750A", "750B", "750C"} and first["gone"] == []
    assert first["name"] == "ops@prod" and first["last_good"] == T0.isoformat() and first["error"] is None

    b2, d = job("750B", processed=500, modstamp=1), job("750D")
    poll(feed, org, snap(a, b2, d, read={"750B", "750D"}, at=1))  # a: the same object (not read again); c left
    [second] = since(feed, 1)
    assert second["seq"] == 2 and sorted(j["fields"]["id"] for j in second["jobs"]) == ["750B", "750D"]
    assert second["gone"] == ["750C"] and sorted(second["read"]) == ["750B", "750D"]
    [b_wire] = [j for j in second["jobs"] if j["fields"]["id"] == "750B"]
    assert from_wire(b_wire).number_records_processed == 500


def test_a_failed_poll_is_an_event_with_its_words_and_no_jobs() -> None:
    feed, org = Feed(), recorder_org()
    feed.listed([org])
    poll(feed, org, snap(job("750A")))
    fail(feed, org, "HTTP 503 from the org", at=2)
    [failed] = since(feed, 1)
    assert failed["error"] == "HTTP 503 from the org"
    assert failed["failing_since"] == (T0 + timedelta(minutes=2)).isoformat()
    assert failed["jobs"] == [] and failed["gone"] == [] and failed["last_good"] == T0.isoformat()


def test_a_reader_of_the_same_boot_gets_what_it_missed_another_boot_or_one_fallen_behind_each_org_whole() -> None:
    feed, org = Feed(ring=3), recorder_org()
    other = Org(Schedule(5.0), name="ops@sandbox", remembered_as="sandbox", production=False)
    feed.listed([org, other])
    for n in range(3):
        poll(feed, org, snap(job("750A", processed=n), job("750B"), read={"750A"}, at=n))
    hello, *missed = events(feed.start(feed.boot, 1)[0])
    assert hello["type"] == "hello" and hello["boot"] == feed.boot and hello["seq"] == 3 and hello["version"] == 1
    assert [o["org"] for o in hello["orgs"]] == ["prod", "sandbox"]
    assert [e["seq"] for e in missed] == [2, 3] and not any(e["full"] for e in missed)
    assert feed.start(feed.boot, 3) == ([feed.hello()], 3)  # nothing missed: the hello alone

    for reader in (("another-boot", 3), (None, None), (feed.boot, 99)):  # restarted, new, or a number never sent
        _, *whole = events(feed.start(*reader)[0])
        assert [(e["org"], e["full"]) for e in whole] == [("prod", True), ("sandbox", True)], reader
        assert {j["fields"]["id"]: j["fields"]["numberRecordsProcessed"] for j in whole[0]["jobs"]} == {
            "750A": 2, "750B": 0}  # fmt: skip
        assert whole[1]["jobs"] == [] and whole[1]["last_good"] is None

    poll(feed, org, snap(job("750A", processed=3), job("750B"), read={"750A"}, at=3))
    poll(feed, org, snap(job("750A", processed=4), read={"750A"}, at=4))  # 750B gone
    _, *behind = events(feed.start(feed.boot, 1)[0])  # events 2 and 3 are no longer kept (a ring of 3)
    assert [e["full"] for e in behind] == [True, True] and [j["fields"]["id"] for j in behind[0]["jobs"]] == ["750A"]
    fallen = feed.after(1, timeout=0)
    assert fallen is not None and fallen[1] == 5 and [e["full"] for e in events(fallen[0])] == [True, True]
    assert [e["seq"] for e in since(feed, 2)] == [3, 4, 5]  # still kept: the events themselves


def test_after_answers_nothing_on_timeout_and_none_once_closed() -> None:
    feed, org = Feed(), recorder_org()
    feed.listed([org])
    assert feed.after(0, timeout=0.01) == ([], 0)  # no event came: [] (the stream sends a ping)
    woken: list[object] = []
    waiting = threading.Thread(target=lambda: woken.append(feed.after(0, timeout=30)))
    waiting.start()
    poll(feed, org, snap(job("750A")))
    waiting.join(5)
    assert not waiting.is_alive() and woken[0] is not None and woken[0][1] == 1  # type: ignore[index]

    waiting = threading.Thread(target=lambda: woken.append(feed.after(1, timeout=30)))
    waiting.start()
    feed.close()  # the recorder stops: a reader waiting is woken at once
    waiting.join(5)
    assert not waiting.is_alive() and woken[1] is None
    assert feed.after(0, timeout=0) is None


def replay(feed: Feed, replica: Replica, dashboard: Org, seq: int | None) -> int:
    """Apply to ``replica`` (and hand ``dashboard``) the events after ``seq`` (None: from the start)."""
    if seq is None:
        lines, seq = feed.start(None, None)
        lines = lines[1:]
    else:
        got = feed.after(seq, timeout=0)
        assert got is not None
        lines, seq = got
    for event in events(lines):
        update = replica.apply(event)
        if update is not None:
            dashboard.fed(update, 0.0)
    return seq


def test_a_replica_fed_the_events_has_the_recorders_jobs_fields_counts_and_batches() -> None:
    feed, org = Feed(), recorder_org()
    feed.listed([org])
    replica, dashboard = Replica(), Org(Schedule(5.0), recorder="http://127.0.0.1:9464")
    seq = replay(feed, replica, dashboard, None)  # attached before the first poll: the org whole, empty
    assert replica.whole and replica.jobs == {}

    hostile = job("750H", errorMessage=HOSTILE, object=HOSTILE, createdById="005\ud83d")
    first = snap(job("750A"), classic("750C", "Completed", "InProgress"), hostile)
    poll(feed, org, first)
    seq = replay(feed, replica, dashboard, seq)
    poll(feed, org, snap(job("750A", "JobComplete", 900, 3), first.jobs["750C"], read={"750A"}, at=3))
    poll(feed, org, snap(job("750A", "JobComplete", 900, 3), classic("750C", "Completed", "Completed"),
                         job("750N", modstamp=4), read={"750C", "750N"}, at=4))  # fmt: skip
    seq = replay(feed, replica, dashboard, seq)

    assert list(replica.jobs) == list(org.state.jobs)  # the same jobs, in the same order (newest first)
    for job_id, theirs in org.state.jobs.items():
        ours = dashboard.state.jobs[job_id]
        assert ours == theirs and dict(ours.fields) == dict(theirs.fields)  # state, counts and every field
        assert (ours.batches is None) == (theirs.batches is None)
        for mine, recorded in zip(ours.batches or (), theirs.batches or (), strict=True):
            assert mine == recorded and dict(mine.fields) == dict(recorded.fields)
    assert dashboard.state.jobs["750C"].finished and dashboard.state.jobs["750A"].state == "JobComplete"
    assert dashboard.state.jobs["750C"].batches[1].state_message == HOSTILE  # type: ignore[index]
    assert dashboard.connection.last_good == T0 + timedelta(minutes=4) and dashboard.name == "ops@prod"

    late = Replica()  # a dashboard attached now: the org whole, the same jobs
    lines, _ = feed.start(None, None)
    [whole] = events(lines[1:])
    update = late.apply(whole)
    assert update is not None and update.polled is not None and update.failing is None
    assert update.polled[0].jobs == org.state.jobs and update.polled[1] == T0 + timedelta(minutes=4)


async def test_a_replica_of_a_simulated_org_read_by_the_poller_has_its_jobs_and_bulk_1_batches(
    sim: Simulator,
) -> None:
    classic_id = add_classic_job(sim, [40, 40, 40], state="Closed", started_ago=1.0, rate=1.0)
    feed, org = Feed(), recorder_org()
    feed.listed([org])
    replica, dashboard = Replica(), Org(Schedule(5.0), recorder="http://127.0.0.1:9464")
    seq = replay(feed, replica, dashboard, None)
    async with connected(sim) as service:
        poller = Poller(service)
        for _ in range(3):  # the first cycle reads every job; later ones what may have changed
            poll(feed, org, await poller.cycle(watch={classic_id}))
            seq = replay(feed, replica, dashboard, seq)
    assert dashboard.state.jobs == org.state.jobs and len(org.state.jobs) >= 20
    recorded = org.state.jobs[classic_id]
    assert recorded.batches and len(recorded.batches) == 3
    mine = dashboard.state.jobs[classic_id]
    assert [dict(b.fields) for b in mine.batches or ()] == [dict(b.fields) for b in recorded.batches]
    assert all(dict(dashboard.state.jobs[i].fields) == dict(j.fields) for i, j in org.state.jobs.items())


def test_hostile_server_text_survives_the_wire_exactly() -> None:
    hostile = job("750H", errorMessage=HOSTILE, object=HOSTILE, createdById="\udfff\x00\x7f")
    line = json.dumps(to_wire(hostile), separators=(",", ":"))
    assert "\n" not in line and line.isascii()  # one line, whatever the text
    back = from_wire(json.loads(line))
    assert back == hostile and dict(back.fields) == dict(hostile.fields) and back.object == HOSTILE
    bulk1 = classic("750C", "Failed", "Completed")
    again = from_wire(json.loads(json.dumps(to_wire(bulk1))))
    assert again == bulk1 and again.batches is not None and again.batches[1].state_message == HOSTILE

    feed, org = Feed(), Org(Schedule(5.0), name=HOSTILE, remembered_as="prod", target=HOSTILE)
    feed.listed([org])
    poll(feed, org, snap(hostile))
    fail(feed, org, HOSTILE)
    got = feed.after(0, timeout=0)
    assert got is not None and all("\n" not in line and line.isascii() for line in got[0])
    polled, failed = events(got[0])
    assert polled["name"] == HOSTILE and failed["error"] == HOSTILE
    assert json.loads(feed.hello())["orgs"][0]["target"] == HOSTILE


MALFORMED: list[dict[str, Any]] = [
    {"full": False, "jobs": ["not a job"], "gone": []},
    {"full": False, "jobs": [{"kind": "v2ingest", "fields": {"state": "Open"}, "batches": None}], "gone": []},
    {"full": False, "jobs": [{"kind": "v9", "fields": {"id": "750X"}}], "gone": []},
    {"full": False, "jobs": [{"kind": "classic", "fields": {"id": "750X"}, "batches": "no"}], "gone": []},
    {"full": False, "jobs": [{"kind": "classic", "fields": {"id": "750X"}, "batches": [1]}], "gone": []},
    {"full": False, "jobs": None, "gone": []},
    {"full": False, "jobs": [], "gone": "750A"},
    {"full": False, "jobs": [], "gone": [["unhashable"]]},
    {"jobs": [], "gone": []},
    {"full": True, "jobs": [], "gone": [], "last_good": 12},
    {"full": False, "jobs": [], "gone": [], "last_good": "not a time"},
    {"full": False, "jobs": [], "gone": [], "last_good": T0.isoformat(), "errors": ["x"]},
    {"full": False, "jobs": [], "gone": [], "last_good": T0.isoformat(), "read": "750A"},
    {"full": False, "jobs": [], "gone": [], "last_good": T0.isoformat(), "usage": ["many", 5]},
    {"full": True, "jobs": [], "gone": ["750A"], "last_good": T0.isoformat(), "backlog": "lots"},
]


@pytest.mark.parametrize("event", MALFORMED, ids=range(len(MALFORMED)))
def test_a_malformed_event_is_refused_and_leaves_the_replica_as_it_was(event: dict[str, Any]) -> None:
    feed, org = Feed(), recorder_org()
    feed.listed([org])
    poll(feed, org, snap(job("750A"), job("750B")))
    replica = Replica()
    lines, seq = feed.start(None, None)
    assert replica.apply(json.loads(lines[1])) is not None
    before = dict(replica.jobs)
    with pytest.raises((ValueError, KeyError, TypeError)):
        replica.apply(event)
    assert replica.jobs == before and replica.whole
    poll(feed, org, snap(job("750A", "JobComplete", 7, 2), job("750B"), read={"750A"}, at=2))
    got = feed.after(seq, timeout=0)
    assert got is not None
    update = replica.apply(json.loads(got[0][0]))  # still usable: the next event applies
    assert update is not None and update.polled is not None
    assert replica.jobs["750A"].state == "JobComplete" and set(replica.jobs) == {"750A", "750B"}


def test_the_org_whole_while_failing_is_its_last_good_poll_then_the_failure() -> None:
    feed, org = Feed(), recorder_org()
    feed.listed([org])
    poll(feed, org, snap(job("750A")))
    fail(feed, org, "the org's daily API limit is reached", at=5)
    lines, _ = feed.start(None, None)
    [whole] = events(lines[1:])
    dashboard = Org(Schedule(5.0), recorder="http://127.0.0.1:9464")
    update = dashboard.replica.apply(whole)  # the dashboard's copy of the org, as the app keeps it
    assert update is not None and update.polled is not None and update.failing is not None
    assert set(update.polled[0].jobs) == {"750A"} and update.polled[1] == T0
    assert update.failing == ("the org's daily API limit is reached", T0 + timedelta(minutes=5))

    dashboard.fed(update, 0.0)
    assert set(dashboard.state.jobs) == {"750A"} and dashboard.connection.last_good == T0
    assert dashboard.connection.error == "the org's daily API limit is reached"
    assert dashboard.connection.failing_since == T0 + timedelta(minutes=5)
    dashboard.recorder_lost("recorder http://127.0.0.1:9464 closed the feed", T0 + timedelta(minutes=6))
    dashboard.recorder_back()  # the recorder's last word on the org stands
    assert dashboard.connection.error == "the org's daily API limit is reached"


def abort_sent() -> tuple[Feed, Org, Replica, Org, int]:
    """A recorder's org with a running job, a dashboard attached to it that has sent an abort of it."""
    feed, org = Feed(), recorder_org()
    feed.listed([org])
    replica, dashboard = Replica(), Org(Schedule(5.0), recorder="http://127.0.0.1:9464")
    poll(feed, org, snap(job("750A", "InProgress", 10, modstamp=0)))
    seq = replay(feed, replica, dashboard, None)
    assert dashboard.state.action_sent("750A", Action.ABORT)
    return feed, org, replica, dashboard, seq


def test_a_feed_read_older_than_an_abort_answer_keeps_the_answer_and_a_newer_one_ends_it() -> None:
    feed, org, replica, dashboard, seq = abort_sent()
    dashboard.action_answered("750A", job("750A", "Aborted", 20, modstamp=2))  # the org's answer

    poll(feed, org, snap(job("750A", "InProgress", 15, modstamp=1), at=1))  # the recorder read it before
    seq = replay(feed, replica, dashboard, seq)
    assert dashboard.state.jobs["750A"].state == "Aborted" and dashboard.state.pending == {"750A": Action.ABORT}
    assert dashboard.refusal(Action.ABORT, dashboard.state.jobs["750A"]) is not None  # not offered again

    poll(feed, org, snap(job("750A", "Aborted", 20, modstamp=3), at=3))  # read after the answer
    replay(feed, replica, dashboard, seq)
    assert dashboard.state.jobs["750A"].state == "Aborted" and not dashboard.state.pending
    assert not dashboard.state.awaiting_read


def test_an_abort_whose_answer_was_lost_is_not_undone_by_a_poll_the_recorder_began_before_it() -> None:
    """No answer, so no time of the org's to compare: the next event may come from a poll the recorder
    began before the request went out (its read is set aside); the one after it began after."""
    feed, org, replica, dashboard, seq = abort_sent()
    dashboard.action_answered("750A")  # the answer was lost: the outcome is not known

    poll(feed, org, snap(job("750A", "InProgress", 15, modstamp=1), at=1))  # begun before the request
    seq = replay(feed, replica, dashboard, seq)
    assert dashboard.state.pending == {"750A": Action.ABORT}  # still on its way: abort is not offered again
    assert dashboard.refusal(Action.ABORT, dashboard.state.jobs["750A"]) is not None

    poll(feed, org, snap(job("750A", "Aborted", 15, modstamp=2), at=2))  # begun after it
    replay(feed, replica, dashboard, seq)
    assert dashboard.state.jobs["750A"].state == "Aborted" and not dashboard.state.pending


def test_the_org_whole_while_failing_keeps_what_its_last_good_poll_could_not_read() -> None:
    feed, org = Feed(), recorder_org()
    feed.listed([org])
    last = replace(snap(job("750A"), job("750B"), read={"750A"}), errors={"750B": "HTTP 500 reading job 750B"},
                   backlog=3)  # fmt: skip
    poll(feed, org, last)
    fail(feed, org, "not reachable", at=5)
    lines, _ = feed.start(None, None)
    update = Replica().apply(json.loads(lines[1]))
    assert update is not None and update.polled is not None and update.failing is not None
    assert update.polled[0].errors == {"750B": "HTTP 500 reading job 750B"}  # still marked unread
    assert update.polled[0].backlog == 3
    dashboard = Org(Schedule(5.0), recorder="http://127.0.0.1:9464")
    dashboard.fed(update, 0.0)
    assert dashboard.state.errors == {"750B": "HTTP 500 reading job 750B"}


async def test_the_recorder_hands_its_feed_each_poll_and_each_failure(sim: Simulator) -> None:
    from sfmonitor.config.connection import ConnectionOptions
    from sfmonitor.monitor.recorder import Recorder
    from tests.fakes import MemoryWriter
    from tests.monitor.test_recorder import _org, _record_until, _sim_org

    good = _sim_org(sim, several=True)
    bad = _org("bad", ConnectionOptions(instance_url=sim.base_url, access_token="not-a-token"), several=True)
    feed, writer = Feed(), MemoryWriter(wanted=2)
    recorder = Recorder([good, bad], writer, feed=feed)
    assert [o["org"] for o in json.loads(feed.hello())["orgs"]] == ["sim", "bad"]
    await _record_until(recorder, writer.enough.is_set, lambda: bad[0].schedule.failures >= 1)
    got = feed.after(0, timeout=0)
    assert got is not None
    by_org: dict[str, list[dict[str, Any]]] = {}
    for event in events(got[0]):
        by_org.setdefault(event["org"], []).append(event)
    first = by_org["sim"][0]
    assert first["error"] is None and first["last_good"] is not None
    assert {j["fields"]["id"] for j in first["jobs"]} == {job.id for job in writer.polls[0][1]}  # the first: every job
    assert all(e["jobs"] == [] and "token" in e["error"] and "not-a-token" not in e["error"] for e in by_org["bad"])
    # each event's gap is the recorder's own poll gap (a failing org's backoff, not the bare interval)
    assert by_org["bad"][-1]["gap"] == bad[0].poll_gap > bad[0].schedule.interval
    replica = Replica()
    lines, _ = feed.start(None, None)
    for event in events(lines[1:]):
        if event["org"] == "sim":
            replica.apply(event)
    assert replica.jobs == good[0].state.jobs


def test_a_bulk_1_job_of_many_batches_is_sent_with_only_the_batches_that_changed() -> None:
    """A 3,000-batch job read again each poll: its batches as before go as null, the copy is whole."""
    feed, org = Feed(), recorder_org()
    feed.listed([org])
    fields = {"id": "750G", "jobType": "Classic", "object": "Lead", "operation": "insert", "state": "Open",
              "createdDate": stamp(-60), "systemModstamp": stamp(0)}  # fmt: skip

    def giant(done: int, touched: float = 0.0) -> Job:
        batches = tuple(Batch.from_fields({"id": f"751{i:012d}", "jobId": "750G", "state": "Completed" if i < done
                                           else "InProgress", "numberRecordsProcessed": str(200 if i < done else 7),
                                           "systemModstamp": stamp(touched if i >= done else 0)})
                        for i in range(3000))  # fmt: skip
        return Job.from_fields(fields).with_batches(batches)

    poll(feed, org, snap(giant(100)))
    replica, dashboard = Replica(), Org(Schedule(5.0), recorder="http://127.0.0.1:9464")
    seq = replay(feed, replica, dashboard, None)
    poll(feed, org, snap(giant(103), at=1))  # three batches finished
    got = feed.after(seq, timeout=0)
    assert got is not None
    [line] = got[0]
    sent = json.loads(line)["jobs"][0]["batches"]
    assert sum(b is not None for b in sent) == 3 and len(sent) == 3000
    assert len(line) < 60_000  # not the whole list again (~850 kB)
    seq = replay(feed, replica, dashboard, seq)
    assert replica.jobs["750G"].batches == giant(103).batches
    poll(feed, org, snap(giant(103, touched=1), at=2))  # every unfinished batch's time touched, nothing more
    got = feed.after(seq, timeout=0)
    assert got is not None
    [line] = got[0]
    assert len(line) < 200_000  # each batch's change, not each batch again
    replay(feed, replica, dashboard, seq)
    assert replica.jobs["750G"].batches == giant(103, touched=1).batches
    whole = Replica()  # a dashboard connecting now gets the job whole
    assert whole.apply(json.loads(feed.start(None, None)[0][1])) is not None
    assert whole.jobs["750G"].batches == giant(103, touched=1).batches


def test_batches_as_before_with_no_copy_to_take_them_from_are_refused() -> None:
    raw = {"kind": "classic", "fields": {"id": "750G", "jobType": "Classic"}, "batches": [None],
           "batches_as_before": True}  # fmt: skip
    with pytest.raises(ValueError, match="no such batch"):
        from_wire(raw)


def test_the_events_kept_for_a_reconnect_are_bounded_in_bytes_too() -> None:
    feed, org = Feed(ring_bytes=20_000), recorder_org()
    feed.listed([org])
    for minute in range(20):
        poll(feed, org, snap(*(job(f"750{minute:02d}{n:02d}", processed=minute) for n in range(10)), at=minute))
    kept = feed._ring
    assert sum(len(line) for _, line in kept) <= 20_000 + max(len(line) for _, line in kept)
    assert len(kept) < 20
    lines, _ = feed.start(feed.boot, 1)  # fell behind what is kept: each org whole
    assert json.loads(lines[1])["full"] is True


def test_a_poll_is_as_old_as_the_recorder_says_whatever_the_two_clocks_read() -> None:
    """The recorder's clock 45 s behind the dashboard's: a poll it took just now is fresh, not 45 s old."""
    behind = (T0 - timedelta(seconds=45)).timestamp()
    feed, org = Feed(clock=lambda: behind + 2), recorder_org()
    feed.listed([org])
    org.polled(snap(job("750A")), org.state.poll_started(), T0 - timedelta(seconds=45), 0.0)
    feed.polled(org, snap(job("750A"), at=0))
    replica = Replica()
    update = replica.apply(json.loads(feed.start(None, None)[0][1]), now=T0)
    assert update is not None and update.polled is not None
    assert update.polled[1] == T0 - timedelta(seconds=2)  # taken 2 s before it was sent, on the dashboard's clock


@pytest.mark.parametrize("health", [{"usage": [1e400, 100]}, {"usage": [5, -1]}, {"backlog": 1e400},
                                    {"deferred": -3}, {"sent": "x", "backlog": 2.5}])  # fmt: skip
def test_numbers_out_of_range_are_refused_not_a_crash(health: dict[str, Any]) -> None:
    event = {"full": True, "jobs": [], "gone": [], "last_good": T0.isoformat(), **health}
    with pytest.raises(ValueError):
        Replica().apply(json.loads(json.dumps(event)))


@pytest.mark.parametrize(
    "times",
    [{"last_good": "9999-12-31T23:59:59+00:00", "sent": T0.timestamp()},  # a poll after the event telling it
     {"last_good": T0.isoformat(), "sent": -1e11},  # a recorder's clock that is not today's
     {"last_good": T0.isoformat(), "error": "x", "failing_since": "9999-01-01T00:00:00+00:00", "sent": T0.timestamp()}],
)  # fmt: skip
def test_a_poll_from_the_future_is_refused_not_shown(times: dict[str, Any]) -> None:
    event = {"full": True, "jobs": [], "gone": [], **times}
    with pytest.raises(ValueError):
        Replica().apply(event, now=T0)


def test_a_gap_that_is_not_a_number_of_seconds_is_not_taken() -> None:
    event = {"full": True, "jobs": [], "gone": [], "last_good": T0.isoformat(), "sent": T0.timestamp(), "gap": -5}
    update = Replica().apply(event, now=T0)
    assert update is not None and update.gap is None
