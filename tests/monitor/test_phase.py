"""A job's phase and outcome over every state of both APIs: the one rule the dashboard, ``status``,
``wait``, alerts and the totals line share (issue 21: they had drifted apart)."""

from __future__ import annotations

import itertools
from datetime import datetime
from typing import Any

import pytest

from sfmonitor.bulk.models import Batch, Job
from sfmonitor.monitor.history import live_work
from sfmonitor.monitor.phase import (
    CLIENT_WAIT_S,
    REASONS,
    Outcome,
    Phase,
    as_json,
    ended_badly,
    known,
    outcome,
    phase,
    waiting_on_client,
    working,
)

NOW = datetime.fromisoformat("2026-12-03T12:00:00+00:00").timestamp()
OLD = CLIENT_WAIT_S + 60  # seconds: past the client-wait threshold
YOUNG = 30.0
V2_STATES = ("Open", "UploadComplete", "InProgress", "JobComplete", "Failed", "Aborted")
V1_STATES = ("Open", "Closed", "Aborted", "Failed")
BATCH_STATES = ("Queued", "InProgress", "Completed", "Failed", "NotProcessed")


def created(age_s: float) -> str:
    return datetime.fromtimestamp(NOW - age_s).astimezone().isoformat()


def v2(job_type: str, state: str, age_s: float = OLD, failed: int = 0, listed: bool = False) -> Job:
    fields: dict[str, Any] = {"id": "7501", "jobType": job_type, "state": state, "createdDate": created(age_s)}
    if not listed:
        fields |= {"numberRecordsProcessed": 10, "numberRecordsFailed": failed}
    return Job.from_fields(fields)


def batch(state: str, n: int = 0) -> Batch:
    return Batch.from_fields({"id": f"751{n}", "jobId": "7502", "state": state})


def v1_counters(state: str, batch_states: tuple[str, ...], age_s: float = OLD, failed: int = 0) -> Job:
    """A Bulk 1.0 job info: its counters (a NotProcessed batch is in the total, in no other count)."""
    return Job.from_fields({
        "id": "7502", "jobType": "Classic", "state": state, "createdDate": created(age_s),
        "numberBatchesQueued": batch_states.count("Queued"),
        "numberBatchesInProgress": batch_states.count("InProgress"),
        "numberBatchesCompleted": batch_states.count("Completed"),
        "numberBatchesFailed": batch_states.count("Failed"),
        "numberBatchesTotal": len(batch_states),
        "numberRecordsProcessed": 100, "numberRecordsFailed": failed,
    })  # fmt: skip


def v1_batches(state: str, batch_states: tuple[str, ...], age_s: float = OLD) -> Job:
    """A Bulk 1.0 job known by its batch list only (no counters)."""
    listed = Job.from_fields({"id": "7502", "jobType": "Classic", "state": state, "createdDate": created(age_s)})
    return listed.with_batches(tuple(batch(s, i) for i, s in enumerate(batch_states)))


def v1_listed(state: str) -> Job:
    """A Bulk 1.0 row of the 2.0 listing: a state, no batch counts."""
    return Job.from_fields({"id": "7502", "jobType": "Classic", "state": state, "createdDate": created(OLD)})


# --- Bulk 2.0 --------------------------------------------------------------------------------


@pytest.mark.parametrize("state", V2_STATES)
@pytest.mark.parametrize("age", [YOUNG, OLD])
@pytest.mark.parametrize("listed", [False, True])
def test_every_bulk_2_ingest_state(state: str, age: float, listed: bool) -> None:
    job = v2("V2Ingest", state, age, listed=listed)
    expected = {
        "Open": Phase.WAITING if age == OLD else Phase.RUNNING,  # young: the upload is likely under way
        "UploadComplete": Phase.RUNNING,
        "InProgress": Phase.RUNNING,
        "JobComplete": Phase.ENDED,
        "Failed": Phase.ENDED,
        "Aborted": Phase.ENDED,
    }[state]
    assert phase(job, NOW) is expected  # a 2.0 listing row carries the state: known without a read
    assert known(job)
    assert waiting_on_client(job, NOW) == ("no upload" if expected is Phase.WAITING else None)
    assert (phase(job, NOW) is Phase.ENDED) == job.finished


@pytest.mark.parametrize("state", V2_STATES)
def test_every_bulk_2_query_state(state: str) -> None:
    job = v2("V2Query", state, OLD)
    ended = state in ("JobComplete", "Failed", "Aborted")
    assert phase(job, NOW) is (Phase.ENDED if ended else Phase.RUNNING)  # a query has no upload to wait on


def test_bulk_2_outcomes() -> None:
    assert outcome(v2("V2Ingest", "JobComplete")) is Outcome.OK
    assert outcome(v2("V2Ingest", "JobComplete", failed=3)) is Outcome.RECORDS_FAILED
    assert outcome(v2("V2Ingest", "Failed", failed=3)) is Outcome.FAILED
    assert outcome(v2("V2Ingest", "Aborted")) is Outcome.ABORTED
    assert outcome(v2("V2Query", "JobComplete")) is Outcome.OK
    assert outcome(v2("V2Ingest", "InProgress", failed=3)) is None  # not ended: no outcome yet
    assert outcome(v2("V2Ingest", "Open")) is None


# --- Bulk 1.0: every job state over every one- and two-batch combination ----------------------


def expected_v1(state: str, batch_states: tuple[str, ...], age: float) -> tuple[Phase, Outcome | None]:
    """The issue's rule, written out independently of the code under test."""
    if state == "Aborted":
        return Phase.ENDED, Outcome.ABORTED
    if state == "Failed":
        return Phase.ENDED, Outcome.FAILED
    if any(s in ("Queued", "InProgress") for s in batch_states):
        return Phase.RUNNING, None
    if state == "Closed":
        return Phase.ENDED, Outcome.FAILED if "Failed" in batch_states else Outcome.OK
    # Open with every batch done (nobody closed it) or with nothing sent: waiting once nothing has moved
    # for the threshold (these jobs' last move is their creation)
    return (Phase.WAITING if age == OLD else Phase.RUNNING), None


COMBOS = [()] + [(s,) for s in BATCH_STATES] + list(itertools.combinations_with_replacement(BATCH_STATES, 2))


@pytest.mark.parametrize("state", V1_STATES)
@pytest.mark.parametrize("batch_states", COMBOS, ids=lambda c: "+".join(c) or "none")
@pytest.mark.parametrize("age", [YOUNG, OLD])
def test_every_bulk_1_state_and_batch_mix(state: str, batch_states: tuple[str, ...], age: float) -> None:
    want_phase, want_outcome = expected_v1(state, batch_states, age)
    for job in (v1_counters(state, batch_states, age), v1_batches(state, batch_states, age)):
        assert phase(job, NOW) is want_phase  # the counters and the batch list say the same
        assert outcome(job) is want_outcome
        assert (want_phase is Phase.ENDED) == job.finished  # the poll economy's "nothing can change" agrees
        if live_work(job):  # the stall rule only watches running jobs
            assert want_phase is Phase.RUNNING


def test_a_pk_chunked_query_whose_chunks_completed_has_ended_ok() -> None:
    """The original batch is NotProcessed by design; the counters leave it out of every count but the total."""
    chunks = ("NotProcessed", *("Completed",) * 12)
    for job in (v1_counters("Closed", chunks), v1_batches("Closed", chunks)):
        assert phase(job, NOW) is Phase.ENDED
        assert outcome(job) is Outcome.OK
    still = ("NotProcessed", *("Completed",) * 11, "InProgress")
    assert phase(v1_counters("Closed", still), NOW) is Phase.RUNNING


def test_a_closed_bulk_1_job_whose_one_batch_failed_has_ended_failed() -> None:
    for job in (v1_counters("Closed", ("Failed",)), v1_batches("Closed", ("Failed",))):
        assert phase(job, NOW) is Phase.ENDED
        assert outcome(job) is Outcome.FAILED  # its records were not loaded, though no record "failed"
        assert ended_badly(job)


def test_a_bulk_1_job_only_listed_is_unknown_until_read() -> None:
    for state in ("Open", "Closed"):
        listed = v1_listed(state)
        assert phase(listed, NOW) is Phase.UNKNOWN  # never guessed: the row has no batch counts
        assert outcome(listed) is None
        assert waiting_on_client(listed, NOW) is None
        read = listed.merged(v1_counters(state, ("Completed",)))
        assert phase(read, NOW) is (Phase.ENDED if state == "Closed" else Phase.WAITING)
    assert phase(v1_listed("Aborted"), NOW) is Phase.ENDED  # the state alone says it has ended
    assert outcome(v1_listed("Failed")) is Outcome.FAILED


def test_reasons_and_counts() -> None:
    assert waiting_on_client(v1_counters("Open", ("Completed", "NotProcessed")), NOW) == "close it?"
    assert waiting_on_client(v1_counters("Open", ()), NOW) == "no batches"
    assert all(waiting_on_client(job, NOW) in REASONS for job in (v2("V2Ingest", "Open"), v1_counters("Open", ())))
    jobs = {
        "a": v2("V2Ingest", "Open", OLD),  # waiting
        "b": v1_counters("Open", ("Completed",)),  # waiting
        "c": v2("V2Ingest", "InProgress"),  # running
        "d": v1_counters("Closed", ("Completed", "Queued")),  # running
        "e": v1_listed("Closed"),  # unknown: neither
        "f": v2("V2Ingest", "JobComplete"),  # ended: neither
    }
    assert working(jobs, jobs, NOW) == (2, 2)


def test_json_fields() -> None:
    assert as_json(v2("V2Ingest", "Open"), NOW) == {"phase": "waiting", "outcome": None, "waitingOnClient": "no upload"}
    assert as_json(v2("V2Ingest", "JobComplete", failed=2), NOW) == {
        "phase": "ended", "outcome": "records-failed", "waitingOnClient": None,
    }  # fmt: skip
    assert as_json(v1_listed("Closed"), NOW)["phase"] == "unknown"


def test_a_bulk_1_job_between_two_batches_is_running_not_waiting() -> None:
    """A client that adds its batches one at a time leaves the job Open with every batch done for a
    moment: that is not waiting on its client until nothing has moved for the threshold."""
    fresh = Batch.from_fields({"id": "7510", "jobId": "7502", "state": "Completed",
                               "systemModstamp": created(YOUNG)})  # fmt: skip
    job = Job.from_fields({"id": "7502", "jobType": "Classic", "state": "Open", "createdDate": created(OLD)})
    between = job.with_batches((fresh,))
    assert phase(between, NOW) is Phase.RUNNING and waiting_on_client(between, NOW) is None
    assert phase(between, NOW + CLIENT_WAIT_S) is Phase.WAITING
    assert waiting_on_client(between, NOW + CLIENT_WAIT_S) == "close it?"
