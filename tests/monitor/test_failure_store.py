"""The session's failure reports are bounded: least recently used out, by rows kept and by bytes; never
the report being read nor the one in use; a dropped report's top error stays for the jobs table."""

from __future__ import annotations

import random

from sfmonitor.bulk.failures import FailedRow, FailureReport
from sfmonitor.bulk.models import Job
from sfmonitor.monitor.failure_store import MAX_BYTES, MAX_ROWS, FailureStore
from sfmonitor.monitor.org import Org
from sfmonitor.monitor.schedule import Schedule


def job(n: int) -> Job:
    return Job.from_fields({"id": f"7505g{n:013d}", "jobType": "V2Ingest", "state": "JobComplete"})


def fill(report: FailureReport, rows: int, value: str = "v") -> FailureReport:
    """``rows`` failed rows over groups of 100 (so every row is kept, up to a report's own cap)."""
    for i in range(rows):
        report.add(FailedRow(f"CODE_{i // 100}", "message", f"CODE_{i // 100}:message", {"Name": value}))
    return report


def test_opening_job_after_job_keeps_the_rows_under_the_bound_dropping_the_oldest() -> None:
    store = FailureStore(max_rows=1_000, max_bytes=10**9)
    for n in range(10):
        fill(store.report(job(n)), 300)
        assert store.rows <= 1_000 + 300  # at most the bound and the report just filled
    store.settle()
    assert store.rows <= 1_000 and list(store) == [job(n).id for n in (7, 8, 9)]
    assert store.dropped == 7
    tops = store.top_errors()  # the jobs table's hint outlives the rows
    assert set(tops) == {job(n).id for n in range(10)} and tops[job(0).id] == ("CODE_0", 100)
    again = store.report(job(0))  # opened again: read again, from nothing
    assert again.failed == 0 and not again.groups and list(store)[-1] == job(0).id


def test_the_bytes_bound_drops_reports_of_huge_values() -> None:
    store = FailureStore(max_rows=10**9, max_bytes=2 * 1024 * 1024)
    for n in range(8):
        fill(store.report(job(n)), 200, value="x" * 4_000)  # ~0.9 MB kept each
    assert store.size <= 2 * 1024 * 1024 + fill(FailureReport.for_job(job(99)), 200, "x" * 4_000).kept_bytes
    assert len(store) < 8


def test_a_report_being_read_and_the_one_in_use_are_never_dropped() -> None:
    store = FailureStore(max_rows=100, max_bytes=10**9)
    reading = fill(store.report(job(1)), 300)
    reading.reading = True
    fill(store.report(job(2)), 300)
    in_use = fill(store.report(job(3)), 300)
    assert job(1).id in store and store[job(3).id] is in_use  # over the bound, but read / in use
    assert job(2).id not in store
    store.keep(job(2).id, fill(FailureReport.for_job(job(2)), 50))  # a view showing a dropped report keeps it
    assert list(store) == [job(1).id, job(2).id]


def test_the_org_keeps_its_reports_in_the_bounded_store_with_real_defaults() -> None:
    org = Org(Schedule(interval=5.0, rng=random.Random(1)))
    assert isinstance(org.failures, FailureStore) and (MAX_ROWS, MAX_BYTES) == (20_000, 16 * 1024 * 1024)
    for n in range(30):  # thirty jobs of 10,000 kept rows: 300,000 rows unbounded
        report = org.failures_starting(job(n))
        assert report is not None
        fill(report, 10_000)
        report.reading = False
    org.failures.settle()
    assert org.failures.rows <= MAX_ROWS and org.failures.size <= MAX_BYTES
    assert len(org.top_errors()) == 30
