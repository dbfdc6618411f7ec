"""The org totals line: the last hour's and today's records by the jobs created then, and what runs."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from sfmonitor.bulk.models import Job
from sfmonitor.monitor.index import JobIndex
from sfmonitor.monitor.totals import totals

NOW = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)


def job(job_id: str, created: str, state: str, processed: int, failed: int, kind: str = "V2Ingest") -> Job:
    return Job.from_fields({"id": job_id, "jobType": kind, "state": state, "createdDate": created,
                            "numberRecordsProcessed": processed, "numberRecordsFailed": failed})  # fmt: skip


@pytest.fixture
def utc(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("TZ", "UTC")  # "today" starts at local midnight
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


@pytest.mark.usefixtures("utc")
def test_the_last_hour_today_and_running_by_api() -> None:
    index = JobIndex(clock=NOW.timestamp)
    jobs = [job("750A", "2026-12-03T11:30:00.000+0000", "InProgress", 1000, 10),  # this hour
            job("750B", "2026-12-03T08:00:00.000+0000", "JobComplete", 9000, 0),  # today
            job("750C", "2026-12-01T08:00:00.000+0000", "JobComplete", 50, 50),  # days ago: neither
            job("750D", "2026-12-03T11:50:00.000+0000", "Open", 0, 0)]  # waits on its client: not running  # fmt: skip
    index.update({j.id: j for j in jobs})
    assert set(index.recent) == {"750A", "750B", "750D"}
    assert totals(index, NOW) == ("last hour 1,000 records, 10 failed (1.0%)",
                                  "today 10,000 records, 10 failed (0.1%)", "running 1 ingest")  # fmt: skip
