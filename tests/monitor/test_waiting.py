"""The exit code of a wait: timed out, over a job that failed or was aborted, over failed records."""

from __future__ import annotations

from sfmonitor.bulk.models import Job
from sfmonitor.monitor.waiting import Ending, outcome


def job(state: str, failed: int = 0) -> Job:
    return Job.from_fields({"id": f"750{state}", "jobType": "V2Ingest", "state": state, "object": "Account",
                            "operation": "insert", "numberRecordsFailed": failed})  # fmt: skip


def test_each_way_of_ending_has_its_code_and_the_worst_wins() -> None:
    assert outcome([job("JobComplete"), job("JobComplete")], timed_out=False) == Ending.CLEAN
    assert outcome([job("JobComplete", failed=3), job("JobComplete")], timed_out=False) == Ending.RECORDS_FAILED
    assert outcome([job("JobComplete", failed=3), job("Aborted")], timed_out=False) == Ending.JOB_FAILED
    assert outcome([job("Failed")], timed_out=False) == Ending.JOB_FAILED
    assert outcome([job("Failed"), job("InProgress")], timed_out=True) == Ending.TIMED_OUT
