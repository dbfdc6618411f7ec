"""The read decisions on their own, without a server."""

from __future__ import annotations

from typing import Any

from sfmonitor.bulk.models import Job, JobKind
from sfmonitor.monitor.economy import STRETCH, Track, batch_counters, batches_due, moving_steadily, read_due


def job(**fields: Any) -> Job:
    base = {
        "id": "750x",
        "jobType": "V2Ingest",
        "state": "InProgress",
        "systemModstamp": "2026-01-01T00:00:00.000+0000",
    }
    return Job.from_fields({**base, **fields})


def test_steady_means_three_reads_moving_at_a_like_pace() -> None:
    assert moving_steadily([(0, 0), (5, 500), (10, 1_100)])
    assert not moving_steadily([(0, 0), (5, 500)])  # two reads make one rate: no pace yet
    assert not moving_steadily([(0, 0), (5, 500), (10, 500)])  # stopped: news
    assert moving_steadily([(0, 500), (5, 500), (10, 500)])  # still: a finished batch set waiting
    assert not moving_steadily([(0, 0), (5, 100), (10, 1_000)])  # sped up ninefold
    assert not moving_steadily([(0, 0), (5, 10**400), (10, 2 * 10**400)])  # beyond a float: no claim


def steady_track(row: Job, read_cycle: int) -> Track:
    track = Track(listed=row, read_cycle=read_cycle)
    track.reads.extend([(0, 0), (5, 500), (10, 1_000)])
    return track


def test_a_steady_job_waits_one_cycle_then_is_read() -> None:
    row = job()
    track = steady_track(row, read_cycle=3)
    assert not read_due(track, row, 4, listing_fresh=True, watched=False)
    assert read_due(track, row, 3 + STRETCH, listing_fresh=True, watched=False)
    assert read_due(track, row, 4, listing_fresh=True, watched=True)  # its detail is open


def test_a_new_state_in_the_listing_snaps_back() -> None:
    track = steady_track(job(), read_cycle=3)
    assert read_due(track, job(state="JobComplete"), 4, listing_fresh=True, watched=False)
    assert read_due(track, job(errorMessage="boom"), 4, listing_fresh=True, watched=False)
    # the modstamp alone moving is "still working", not news
    assert not read_due(track, job(systemModstamp="2026-01-01T00:00:05.000+0000"), 4, listing_fresh=True, watched=False)


def test_a_quiet_bulk2_job_is_read_only_when_its_row_moves() -> None:
    row = job(state="UploadComplete")
    track = Track(listed=row, read_cycle=1)
    assert not read_due(track, row, 9, listing_fresh=True, watched=False)
    later = job(state="UploadComplete", systemModstamp="2026-01-01T00:01:00.000+0000")
    assert read_due(track, later, 9, listing_fresh=True, watched=False)
    assert read_due(track, row, 9, listing_fresh=False, watched=False)  # no listing this cycle: read it
    classic = Job.from_fields({"id": "750c", "jobType": "Classic", "state": "Open"})
    assert read_due(Track(listed=classic, read_cycle=1), classic, 2, listing_fresh=True, watched=False)


def test_never_read_is_always_read() -> None:
    assert read_due(None, job(), 1, listing_fresh=True, watched=False)
    assert read_due(Track(listed=job()), job(), 1, listing_fresh=True, watched=False)


def test_batch_list_follows_the_job_infos_batch_counters() -> None:
    info = Job.from_fields({"id": "750c", "jobType": "Classic", "state": "Closed", "numberBatchesCompleted": 3,
                            "numberBatchesTotal": 9})  # fmt: skip
    assert batches_due(None, info, watched=False)
    track = Track(batch_counters=batch_counters(info))
    assert not batches_due(track, info, watched=False)
    assert batches_due(track, info, watched=True)
    moved = Job.from_fields({**info.fields, "numberBatchesCompleted": 4})
    assert batches_due(track, moved, watched=False)
    assert not batches_due(None, job(), watched=True)  # Bulk 2.0 has no batch list
    assert JobKind.CLASSIC is info.kind


def test_api_budget_parses_calls_or_a_share_and_refuses_nonsense() -> None:
    import pytest

    from sfmonitor.bulk.errors import ConfigError
    from sfmonitor.monitor.spend import Budget

    assert Budget.parse("5000").daily(None) == 5000
    assert Budget.parse("5%").daily(None) is None  # the allowance is not known yet
    assert Budget.parse("5%").daily(100_000) == 5000
    assert Budget.parse(12_000).daily(1) == 12_000
    assert Budget.parse("off").daily(100_000) is None and str(Budget.parse(" OFF ")) == "off"
    for bad in ("0", "-3", "abc", "0%", "101%", "nan%", "", "of"):
        with pytest.raises(ConfigError):
            Budget.parse(bad)


def test_spend_counts_the_last_hour_and_a_daily_pace() -> None:
    from sfmonitor.monitor.spend import Spend

    spend = Spend()
    for minute in range(120):
        spend.record(minute * 60.0, 10)
    now = 119 * 60.0
    assert spend.last_hour(now) == 600  # the 60 records of the last hour, 10 calls each
    pace = spend.per_day(now)
    assert pace is not None and pace == 10 * 60 * 24
    assert Spend().per_day(0.0) is None


def test_the_schedule_spends_the_budget_at_full_speed_then_stretches() -> None:
    from sfmonitor.monitor.schedule import Schedule
    from sfmonitor.monitor.spend import Budget

    t = 0.0
    schedule = Schedule(5.0, budget=Budget.parse("1%"), allowance=100_000, clock=lambda: t)  # 1,000 calls a day
    assert schedule.after_success(True, calls=None, now=t) == 5.0  # the first cycle (every job read once): no pace
    schedule.spent(6, t)
    assert schedule.after_success(True, calls=6, now=t) == 5.0  # a full bucket: the operator's interval
    assert not schedule.stretched
    for _ in range(60):  # 360 calls: more than the bucket's six hours (250)
        t += 5.0
        schedule.spent(6, t)
    delay = schedule.after_success(True, calls=6, now=t)
    assert schedule.stretched and delay >= 6 * 86_400 / 750  # empty: the pace the refill pays for (691 s)
    roomy = Schedule(5.0, budget=Budget.parse("50%"), allowance=100_000, clock=lambda: 0.0)
    roomy.spent(2, 0.0)
    assert roomy.after_success(True, calls=2) == 5.0  # 34,560 calls a day fit in 50,000
    assert not roomy.stretched
