"""One org's transitions without Textual: what a snapshot or a failure means for the next poll."""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import cast

from sfmonitor.bulk.calls import CallLog
from sfmonitor.bulk.models import Action, Job
from sfmonitor.bulk.service import BulkService
from sfmonitor.monitor.org import LIMITS_EVERY_S, Org
from sfmonitor.monitor.phase import CLIENT_WAIT_S, working
from sfmonitor.monitor.poller import Snapshot
from sfmonitor.monitor.schedule import Schedule

NOW = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)


def snap(*jobs: Job, requests: int = 3) -> Snapshot:
    return Snapshot({j.id: j for j in jobs}, None, NOW, requests, read=frozenset(j.id for j in jobs))


def job(state: str, job_id: str = "750a", age_s: float = 3600.0) -> Job:
    created = (NOW - timedelta(seconds=age_s)).isoformat()
    return Job.from_fields({"id": job_id, "jobType": "V2Ingest", "state": state, "createdDate": created})


def org() -> Org:
    return Org(Schedule(interval=5.0, rng=random.Random(1)))


def test_running_work_polls_at_the_interval_and_waiting_jobs_at_the_idle_pace() -> None:
    o = org()
    assert o.polled(snap(job("InProgress")), o.state.poll_started(), NOW, 0.0) == 5.0
    assert o.connection.last_good == NOW and o.connection.error is None
    # an Open job past phase.CLIENT_WAIT_S waits for its client's upload: nothing the org owes, so
    # (after a minute) the idle pace
    assert o.polled(snap(job("Open")), o.state.poll_started(), NOW, 1.0) == 5.0
    assert o.polled(snap(job("Open")), o.state.poll_started(), NOW, 61.0) == 60.0 and o.schedule.idle
    assert o.limits_due(LIMITS_EVERY_S) and o.limits_due(0.0)
    o.limits_read_at = 0.0
    assert not o.limits_due(LIMITS_EVERY_S)  # idle: /limits every half hour, not every five minutes
    # a job appearing brings the interval back at once
    assert o.polled(snap(job("Open"), job("InProgress", "750b")), o.state.poll_started(), NOW, 122.0) == 5.0
    assert not o.schedule.idle


def test_idle_and_the_running_count_agree_on_an_open_job_in_its_first_minutes() -> None:
    """An Open 2.0 job younger than CLIENT_WAIT_S is counted running (its upload is likely under way):
    the org is not idle while the header counts it; once it waits on its client, both say so."""
    o = org()
    young = job("Open", age_s=60.0)
    for t in (0.0, 30.0, 61.0, 100.0):
        assert o.polled(snap(young), o.state.poll_started(), NOW, t) == 5.0
        assert working(o.state.jobs, o.state.index.running, NOW.timestamp()) == (1, 0) and not o.schedule.idle
    later = NOW + timedelta(seconds=CLIENT_WAIT_S)  # the same job, now past the threshold: waiting, not running
    assert o.polled(snap(young), o.state.poll_started(), later, 200.0) == 60.0 and o.schedule.idle
    assert working(o.state.jobs, o.state.index.running, later.timestamp()) == (0, 1)


def test_an_answered_abort_is_read_back_at_once_and_a_pause_stops_polling() -> None:
    o = org()
    o.polled(snap(job("InProgress")), o.state.poll_started(), NOW, 0.0)
    o.state.action_sent("750a", Action.ABORT)
    o.state.action_answered("750a", job("Aborted"))
    in_flight_before = o.state.poll_started() - 1  # a cycle started before the answer
    assert o.polled(snap(job("InProgress")), in_flight_before, NOW, 1.0) == 0.0
    o.connection = replace(o.connection, paused=True)
    assert o.polled(snap(job("Aborted")), o.state.poll_started(), NOW, 2.0) is None


def test_failures_back_off_and_remember_since_when() -> None:
    o = org()
    first = o.poll_failed("HTTP 503", NOW, 0.0)
    second = o.poll_failed("HTTP 503", datetime(2026, 12, 3, 9, 1, tzinfo=UTC), 1.0)
    assert first is not None and second is not None and second > first
    assert o.connection.failing_since == NOW and o.connection.error == "HTTP 503"
    assert o.polled(snap(job("InProgress")), o.state.poll_started(), NOW, 2.0) == 5.0
    assert o.connection.failing_since is None and o.schedule.failures == 0


def test_limits_are_read_every_five_minutes() -> None:
    o = org()
    assert o.limits_due(0.0)
    o.limits_read_at = 10.0
    assert not o.limits_due(10.0 + LIMITS_EVERY_S - 1)
    assert o.limits_due(10.0 + LIMITS_EVERY_S)


def test_spend_counts_every_request_the_transport_made_once() -> None:
    class Transport:
        requests_made = 0
        api_usage = None
        calls = CallLog()

    class Service:
        transport = Transport()

    o = org()
    o.connected(cast(BulkService, Service()))
    Service.transport.requests_made = 7
    o.count_spend(0.0)
    Service.transport.requests_made = 9
    o.count_spend(1.0)
    assert o.spend.last_hour(1.0) == 9
