"""What the history file remembers of an org, beside what the org says, without Textual: shown until
the org brings each job, hidden once it has left the org (unless asked), never counted, never acted on."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from sfmonitor.bulk.models import Action, Job
from sfmonitor.monitor.fleet import Fleet
from sfmonitor.monitor.org import Org
from sfmonitor.monitor.phase import working
from sfmonitor.monitor.poller import Snapshot
from sfmonitor.monitor.schedule import Schedule
from sfmonitor.monitor.totals import totals

NOW = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)
ID = "750000000000001AAA"
GONE = "750000000000002AAA"
OTHER = "750000000000003AAA"


def job(job_id: str, state: str, processed: int = 10) -> Job:
    created = (NOW - timedelta(minutes=30)).isoformat()
    return Job.from_fields({"id": job_id, "jobType": "V2Ingest", "state": state, "createdDate": created,
                            "object": "Account", "operation": "insert",
                            "numberRecordsProcessed": processed})  # fmt: skip


def org(key: str = "") -> Org:
    made = Org(Schedule(interval=5.0, rng=random.Random(1)), key=key)
    made.state.memory.recall({ID: job(ID, "InProgress"), GONE: job(GONE, "JobComplete")}, NOW.timestamp() - 3 * 3600,
                             {GONE: NOW.timestamp() - 9 * 86400})  # fmt: skip
    return made


def test_remembered_jobs_show_until_the_org_brings_them_and_hide_once_they_left() -> None:
    o = org()
    assert set(o.state.rows()) == {ID, GONE} and not o.state.jobs  # before the org answers
    assert o.state.memory.words(ID, NOW.timestamp(), listed=False) == "remembered 3h00m ago"
    assert [j.id for j in o.state.memory.to_read_first()] == [ID]  # remembered as running: read first
    o.state.first_rows({ID: job(ID, "InProgress", 500)})
    rows = o.state.rows()
    assert rows[ID].number_records_processed == 500 and rows[GONE] is o.state.memory.jobs[GONE]
    o.state.polled(Snapshot({ID: job(ID, "JobComplete", 900)}, None, NOW, 3), o.state.poll_started())
    assert set(o.state.rows()) == {ID}  # the org no longer lists GONE: hidden
    assert set(o.state.rows(left=True)) == {ID, GONE} and o.state.memory.left(o.state.jobs) == 1
    assert o.state.job(GONE) is o.state.memory.jobs[GONE] and o.state.job(ID) is o.state.jobs[ID]
    assert o.state.memory.words(GONE, NOW.timestamp(), listed=True) == "left the org, last changed 9d00h ago"


def test_close_and_abort_of_a_remembered_job_are_refused_with_words() -> None:
    o = org()
    remembered = o.state.memory.jobs[ID]
    why = o.refusal(Action.ABORT, remembered)
    assert why is not None and "remembered" in why and "not read from the org yet" in why
    o.state.polled(Snapshot({OTHER: job(OTHER, "InProgress")}, None, NOW, 3), o.state.poll_started())
    why = o.refusal(Action.CLOSE, o.state.memory.jobs[GONE])
    assert why is not None and "left the org" in why
    assert o.refusal(Action.ABORT, o.state.jobs[OTHER]) is None  # a job read from the org may be acted on


def test_remembered_rows_are_never_counted_as_running_or_in_the_totals() -> None:
    for keys in ([""], ["prod", "uat"]):
        orgs = {key: org(key) for key in keys}
        fleet = Fleet(orgs, clock=lambda: NOW.timestamp())
        fleet.refresh()
        assert len(fleet.jobs) == 2 * len(keys) and len(fleet.index.remembered) == 2 * len(keys)
        assert working(fleet.jobs, fleet.index.running, NOW.timestamp()) == (0, 0)
        assert totals(fleet.index, NOW)[2] == "running none" and "0 records" in totals(fleet.index, NOW)[1]
        first = next(iter(orgs.values()))
        first.state.first_rows({ID: job(ID, "InProgress", 500)})
        fleet.refresh(first)
        assert working(fleet.jobs, fleet.index.running, NOW.timestamp()) == (1, 0)  # the one the org brought
        row = fleet.row(first.key, ID)
        assert not fleet.remembered(row) and fleet.remembered(fleet.row(first.key, GONE))


def test_h_shows_the_jobs_that_left_the_org() -> None:
    o = org()
    fleet = Fleet({"": o})
    o.state.polled(Snapshot({ID: job(ID, "JobComplete")}, None, NOW, 3), o.state.poll_started())
    fleet.refresh()
    assert set(fleet.jobs) == {ID}
    fleet.show_left(True)
    assert set(fleet.jobs) == {ID, GONE} and fleet.remembered(GONE) and not fleet.remembered(ID)
    fleet.show_left(False)
    assert set(fleet.jobs) == {ID} and not fleet.index.remembered
