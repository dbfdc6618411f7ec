"""The read decisions on their own, without a server."""

from __future__ import annotations

from typing import Any

from sfmonitor.bulk.models import Batch, Job, JobKind
from sfmonitor.monitor.economy import (
    DISCOVERY_CYCLES,
    MARGIN_S,
    STRETCH,
    BatchView,
    Track,
    batch_counters,
    batch_view,
    batches_due,
    listings_due,
    next_batch_end,
    read_due,
)


def job(**fields: Any) -> Job:
    base = {
        "id": "750x",
        "jobType": "V2Ingest",
        "state": "InProgress",
        "systemModstamp": "2026-01-01T00:00:00.000+0000",
    }
    return Job.from_fields({**base, **fields})


def read_track(row: Job, read_cycle: int, at: float = 0.0, info: Job | None = None) -> Track:
    track = Track(listed=row)
    track.read_at(read_cycle, at, info or row)
    return track


def test_a_running_bulk2_job_is_read_every_other_cycle_while_its_listing_is_fresh() -> None:
    row = job()
    track = read_track(row, read_cycle=3)
    assert not read_due(track, row, 4, listing_fresh=True, watched=False)  # the listing would show its end
    assert read_due(track, row, 3 + STRETCH, listing_fresh=True, watched=False)  # counts two intervals old
    assert read_due(track, row, 4, listing_fresh=True, watched=True)  # its detail is open
    assert read_due(track, row, 4, listing_fresh=False, watched=False)  # nothing this cycle would show its end


def test_a_new_state_in_the_listing_snaps_back() -> None:
    track = read_track(job(), read_cycle=3)
    assert read_due(track, job(state="JobComplete"), 4, listing_fresh=True, watched=False)
    assert read_due(track, job(errorMessage="boom"), 4, listing_fresh=True, watched=False)
    # the modstamp alone moving is "still working", not news
    assert not read_due(track, job(systemModstamp="2026-01-01T00:00:05.000+0000"), 4, listing_fresh=True, watched=False)


def test_a_quiet_bulk2_job_is_read_only_when_its_row_moves() -> None:
    row = job(state="UploadComplete")
    track = read_track(row, read_cycle=1)
    assert not read_due(track, row, 9, listing_fresh=True, watched=False)
    later = job(state="UploadComplete", systemModstamp="2026-01-01T00:01:00.000+0000")
    assert read_due(track, later, 9, listing_fresh=True, watched=False)
    assert read_due(track, row, 9, listing_fresh=False, watched=False)  # no listing this cycle: read it


def classic(**fields: Any) -> Job:
    base = {"id": "750c", "jobType": "Classic", "state": "Closed", "numberBatchesQueued": 2,
            "numberBatchesInProgress": 4, "numberBatchesCompleted": 3, "numberBatchesTotal": 9}  # fmt: skip
    return Job.from_fields({**base, **fields})


def batch(batch_id: str, state: str, processed: int, ms: int = 0) -> Batch:
    return Batch.from_fields(
        {
            "id": batch_id,
            "jobId": "750c",
            "state": state,
            "numberRecordsProcessed": processed,
            "totalProcessingTime": ms,
        }
    )


def test_a_batch_lists_running_batches_give_their_pace_and_the_sizes_batches_had() -> None:
    view = batch_view([batch("a", "Completed", 7_500, 30_000), batch("b", "InProgress", 1_000, 4_000),
                       batch("c", "InProgress", 0, 0), batch("d", "Queued", 0)], at=100.0)  # fmt: skip
    assert view.sizes == (7_500, 10_000)  # what a finished batch held, and the most a batch holds
    assert view.running == (("b", 1_000, 250.0), ("c", 0, 0.0))  # c has just begun: no pace yet
    later = batch_view([batch("b", "InProgress", 3_000, 99_999)], at=104.0, before=view)
    assert later.running == (("b", 3_000, 500.0),)  # two lists apart: the pace between them wins


def test_the_next_batch_end_is_the_earliest_a_running_batch_can_reach_a_size_batches_had() -> None:
    view = BatchView(at=100.0, running=(("b", 1_000, 250.0), ("e", 9_000, 100.0)), sizes=(7_500, 10_000))
    assert next_batch_end(view, after=100.0) == 110.0  # e reaches 10,000 in 10 s; b 7,500 in 26 s
    assert next_batch_end(view, after=110.0) == 126.0  # a read at 110 saw none end: b at 7,500 next
    assert next_batch_end(view, after=126.0) == 136.0  # nor then: b holds 10,000
    assert next_batch_end(view, after=136.0) is None  # past every size: the two-interval rule stands
    assert next_batch_end(None, after=None) is None
    assert next_batch_end(BatchView(100.0, (("c", 0, 0.0),), (10_000,)), after=100.0) is None


def test_counts_beyond_a_float_or_not_counts_make_no_prediction() -> None:
    huge = 10**400
    view = batch_view([batch("a", "Completed", huge, 1), batch("b", "InProgress", huge // 2, 1_000)], at=100.0)
    assert view.running == (("b", huge // 2, 0.0),)  # no pace to claim
    assert next_batch_end(BatchView(100.0, (("b", 1, 1e-300),), (huge,)), after=None) is None
    odd = Batch.from_fields({"id": "b", "jobId": "750c", "state": "InProgress", "numberRecordsProcessed": "many"})
    assert batch_view([odd], at=1.0).running == (("b", 0, 0.0),)


def test_a_bulk1_job_is_read_when_a_batch_end_is_due_and_at_least_every_other_cycle() -> None:
    info = classic()
    track = read_track(Job.from_fields({"id": "750c", "jobType": "Classic", "state": "Closed"}), 1, 100.0, info)
    track.batch_view = BatchView(at=100.0, running=(("b", 9_000, 100.0),), sizes=(10_000,))  # ends at 110
    row = track.listed
    assert row is not None
    assert not read_due(track, row, 2, listing_fresh=True, watched=False, now=105.0)
    assert read_due(track, row, 2, listing_fresh=True, watched=False, now=110.0 - MARGIN_S)  # due: read
    assert read_due(track, row, 2, listing_fresh=False, watched=False, now=112.0)  # its listing says nothing
    assert not read_due(track, row, 2, listing_fresh=True, watched=False, now=None)  # no clock: no prediction
    assert read_due(track, row, 1 + STRETCH, listing_fresh=True, watched=False, now=105.0)  # two intervals
    aborted = Job.from_fields({**row.fields, "state": "Aborted"})
    assert read_due(track, aborted, 2, listing_fresh=True, watched=False, now=105.0)  # news in its row
    track.read_at(2, 111.0, info)  # read at 111 and no batch had ended: 110 is ruled out, nothing else due
    assert not read_due(track, row, 3, listing_fresh=True, watched=False, now=115.0)


def test_an_open_bulk1_job_with_nothing_pending_is_looked_at_as_for_new_jobs() -> None:
    waiting = classic(state="Open", numberBatchesQueued=0, numberBatchesInProgress=0, numberBatchesCompleted=9)
    track = read_track(waiting, 1, 100.0)
    assert track.idle
    assert not read_due(track, waiting, 1 + STRETCH, listing_fresh=True, watched=False, now=110.0)
    assert read_due(track, waiting, 1 + DISCOVERY_CYCLES, listing_fresh=True, watched=False, now=115.0)
    assert not read_track(classic(), 1, 100.0).idle


def test_a_listing_is_read_when_it_spares_as_many_job_reads_as_its_pages() -> None:
    running, quiet = job(), job(id="750q", state="UploadComplete")
    query = Job.from_fields({"id": "750r", "jobType": "V2Query", "state": "InProgress"})
    listed_at = {JobKind.INGEST: 1, JobKind.QUERY: 1}
    pages = {JobKind.INGEST: 1, JobKind.QUERY: 1}
    # cycle 2: the query job was read at 1: its listing shows its end instead (1 page for 1 read)
    live = [(read_track(running, 1), running), (read_track(quiet, 1), quiet), (read_track(query, 1), query)]
    assert listings_due(2, listed_at, pages, live) == (JobKind.INGEST, JobKind.QUERY)
    # cycle 3: the query job is due for its counts anyway: its listing would spare nothing
    live = [(read_track(quiet, 1), quiet), (read_track(query, 1), query)]
    assert listings_due(3, {JobKind.INGEST: 2, JobKind.QUERY: 2}, pages, live) == (JobKind.INGEST,)
    # a listing of many pages is read only when it spares more than they cost, or to find new jobs
    assert listings_due(3, {JobKind.INGEST: 2, JobKind.QUERY: 2}, {JobKind.INGEST: 3}, live) == ()
    assert listings_due(4, {JobKind.INGEST: 1, JobKind.QUERY: 1}, pages, live) == (JobKind.INGEST, JobKind.QUERY)


def test_never_read_is_always_read() -> None:
    assert read_due(None, job(), 1, listing_fresh=True, watched=False)
    assert read_due(Track(listed=job()), job(), 1, listing_fresh=True, watched=False)
    assert read_due(Track(listed=classic()), classic(), 1, listing_fresh=True, watched=False, now=0.0)


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
    for _ in range(120):  # 720 calls: more than the bucket's sixteen hours (667)
        t += 5.0
        schedule.spent(6, t)
    delay = schedule.after_success(True, calls=6, now=t)
    assert schedule.stretched and delay >= 6 * 86_400 / 333  # empty: the pace the refill pays for (1,557 s)
    roomy = Schedule(5.0, budget=Budget.parse("50%"), allowance=100_000, clock=lambda: 0.0)
    roomy.spent(2, 0.0)
    assert roomy.after_success(True, calls=2) == 5.0  # 34,560 calls a day fit in 50,000
    assert not roomy.stretched
