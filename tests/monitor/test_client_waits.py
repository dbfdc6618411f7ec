"""Jobs waiting on their client are flagged, and not counted as running."""

from __future__ import annotations

from datetime import datetime

from sfmonitor.bulk.models import Job
from sfmonitor.monitor.phase import CLIENT_WAIT_S, waiting_on_client, working

NOW = datetime.fromisoformat("2026-12-03T12:00:00+00:00").timestamp()


def v2(state: str, age_s: float) -> Job:
    created = datetime.fromtimestamp(NOW - age_s).astimezone().isoformat()
    return Job.from_fields(
        {"id": f"750{state}{age_s:.0f}", "jobType": "V2Ingest", "state": state, "createdDate": created}
    )


def v1(state: str, done: int, pending: int, quiet_s: float = CLIENT_WAIT_S + 1) -> Job:
    modstamp = datetime.fromtimestamp(NOW - quiet_s).astimezone().isoformat()  # its last move
    return Job.from_fields({"id": f"751{state}{done}{pending}", "jobType": "Classic", "state": state,
                            "createdDate": modstamp, "systemModstamp": modstamp,
                            "numberBatchesTotal": done + pending, "numberBatchesCompleted": done,
                            "numberBatchesInProgress": pending, "numberBatchesQueued": 0,
                            "numberBatchesFailed": 0})  # fmt: skip


def test_an_open_upload_minutes_old_and_a_classic_job_nobody_closed() -> None:
    assert waiting_on_client(v2("Open", CLIENT_WAIT_S + 1), NOW) == "no upload"
    assert waiting_on_client(v2("Open", 30), NOW) is None  # just created: the upload is likely under way
    assert waiting_on_client(v2("InProgress", 3600), NOW) is None
    assert waiting_on_client(v1("Open", 40, 0), NOW) == "close it?"
    assert waiting_on_client(v1("Open", 40, 0, quiet_s=30), NOW) is None  # its client may add a batch yet
    assert waiting_on_client(v1("Open", 30, 10), NOW) is None  # batches still running
    assert waiting_on_client(v1("Closed", 30, 10), NOW) is None


def test_they_are_counted_apart_from_the_running_ones() -> None:
    jobs = {j.id: j for j in (v2("Open", 3600), v1("Open", 40, 0), v2("InProgress", 60), v1("Closed", 3, 2))}
    assert working(jobs, list(jobs), NOW) == (2, 2)
