"""Throughput, ETA, stall detection, poll scheduling, ordering and filtering: pure logic, no UI."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from sfmonitor.bulk.models import Batch, Job
from sfmonitor.monitor.board import Connection, SortMode, matches, order
from sfmonitor.monitor.history import SAMPLES, History, JobHistory, eta_seconds
from sfmonitor.monitor.schedule import (
    BACKOFF_CAP_S,
    FLOOR_S,
    IDLE_LOOK_S,
    LIMIT_WAIT_S,
    SIGN_IN_WAIT_S,
    Schedule,
    clamp_interval,
)


def by_id(*jobs: Job) -> dict[str, Job]:
    return {j.id: j for j in jobs}


def job(**fields: object) -> Job:
    return Job.from_fields({"id": "750a", "jobType": "V2Ingest", "state": "InProgress", **fields})


def batch(state: str, processed: int) -> Batch:
    return Batch.from_fields({"id": f"751{state}{processed}", "state": state, "numberRecordsProcessed": processed})


def test_throughput_over_recent_samples() -> None:
    h = JobHistory()
    for i in range(10):
        h.add(100.0 + 5 * i, 1000 * i)  # 200 records/s
    assert h.throughput() == 200.0
    assert h.rates() == [200.0] * 9
    assert JobHistory().throughput() is None


def test_history_is_bounded_and_forgets_gone_jobs() -> None:
    history = History()
    for i in range(SAMPLES * 3):
        history.record(float(i), by_id(job(numberRecordsProcessed=i)))
    assert len(history.of("750a").samples) == SAMPLES
    history.record(10_000.0, {})
    assert history.jobs == {}


def test_stalled_after_cycles_without_progress() -> None:
    history = History()
    running = job(numberRecordsProcessed=500)
    for i in range(12):
        history.record(10.0 * i, by_id(running))
    assert history.stalled(running, 110.0) is not None
    waiting = job(state="Open", numberRecordsProcessed=0)
    history.record(200.0, by_id(waiting))
    assert history.stalled(waiting, 200.0) is None  # an Open ingest job waits for its upload
    moving = History()
    for i in range(12):
        moving.record(10.0 * i, by_id(job(numberRecordsProcessed=i)))
    assert moving.stalled(job(numberRecordsProcessed=11), 110.0) is None


def test_eta_only_where_honest() -> None:
    closed = Job.from_fields({"id": "750c", "jobType": "Classic", "state": "Closed"}).with_batches(
        (batch("Completed", 10_000), batch("InProgress", 4_000), batch("Queued", 0), batch("NotProcessed", 0))
    )
    assert eta_seconds(closed, 100.0) == (6_000 + 10_000) / 100.0
    assert eta_seconds(closed, None) is None
    open_job = Job.from_fields({"id": "750o", "jobType": "Classic", "state": "Open"}).with_batches(closed.batches)
    assert eta_seconds(open_job, 100.0) is None  # more batches may still come
    assert eta_seconds(job(numberRecordsProcessed=5), 100.0) is None  # Bulk 2.0: no total, no ETA


def test_schedule_interval_idle_backoff_and_limit() -> None:
    assert clamp_interval(0.5) == FLOOR_S  # the operator's floor, applied to settings
    s = Schedule(5.0, rng=random.Random(1), clock=lambda: 0.0)
    assert s.after_success(anything_running=True) == 5.0
    assert s.after_success(anything_running=False, now=30.0) == 5.0  # a minute's grace after the last work
    assert s.after_success(anything_running=False, now=60.0) == IDLE_LOOK_S and s.idle  # then looking, once a minute
    delays = [s.after_failure() for _ in range(12)]
    assert delays[0] < delays[3] and max(delays) <= BACKOFF_CAP_S * 1.2
    assert len(set(delays)) > 1  # jitter
    assert s.after_failure(limit_reached=True) == LIMIT_WAIT_S
    assert s.after_failure(sign_in=True) == SIGN_IN_WAIT_S  # a refused token waits for a person, not 60 s
    assert s.after_success(True) == 5.0 and s.failures == 0


def test_order_and_filter() -> None:
    now = datetime(2026, 11, 20, tzinfo=UTC)
    jobs = [
        Job.from_fields({"id": "750old", "jobType": "V2Ingest", "state": "JobComplete", "object": "Zed",
                         "createdDate": (now - timedelta(days=1)).isoformat(), "numberRecordsFailed": 9}),
        Job.from_fields({"id": "750new", "jobType": "V2Query", "state": "InProgress", "object": "Account",
                         "createdDate": now.isoformat()}),
        Job.from_fields({"id": "750mid", "jobType": "Classic", "state": "Closed", "object": "Lead",
                         "createdDate": (now - timedelta(hours=1)).isoformat()}),
    ]  # fmt: skip
    assert next(j.id for j in order(jobs, SortMode.RUNNING)) == "750new"
    assert [j.id for j in order(jobs, SortMode.NEWEST)] == ["750new", "750mid", "750old"]
    assert next(j.id for j in order(jobs, SortMode.FAILED)) == "750old"
    assert [j.id for j in order(jobs, SortMode.OBJECT)] == ["750new", "750mid", "750old"]
    assert [j.id for j in jobs if matches(j, "2.0 QUERY")] == ["750new"]
    assert [j.id for j in jobs if matches(j, "bulk 1.0")] == ["750mid"]
    assert [j.id for j in jobs if matches(j, "jobcomplete")] == ["750old"]
    assert all(matches(j, "  ") for j in jobs)


def test_connection_status_words() -> None:
    now = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
    ok = Connection(last_good=now - timedelta(seconds=4))
    assert ok.status(now, 5.0) == ("ok", "")
    assert Connection(last_good=now - timedelta(minutes=3)).status(now, 5.0)[0] == "stale"
    level, words = Connection(last_good=now - timedelta(minutes=2), error="no answer").status(now, 5.0)
    assert (level, words) == ("offline", "OFFLINE (last good 2m ago): no answer")  # age first: never cut off
    assert Connection(paused=True).status(now, 5.0)[0] == "paused"
