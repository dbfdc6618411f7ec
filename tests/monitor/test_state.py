"""The dashboard's org state without Textual: a close/abort stays pending until a read made after its
answer, and a poll that was in flight when it went out never puts the old state back."""

from __future__ import annotations

from datetime import UTC, datetime

from sfmonitor.bulk.models import Action, Job
from sfmonitor.monitor.poller import Snapshot
from sfmonitor.monitor.state import OrgState


def snap(*jobs: Job, errors: dict[str, str] | None = None) -> Snapshot:
    return Snapshot({j.id: j for j in jobs}, None, datetime(2026, 11, 20, tzinfo=UTC), 0, errors or {})


def job(state: str) -> Job:
    return Job.from_fields({"id": "750a", "jobType": "V2Ingest", "state": state})


def test_a_poll_in_flight_during_an_abort_does_not_bring_the_old_state_back() -> None:
    state = OrgState()
    state.polled(snap(job("InProgress")), state.poll_started())
    in_flight = state.poll_started()  # started before the abort went out
    assert state.action_sent("750a", Action.ABORT)
    assert not state.action_sent("750a", Action.ABORT)  # a second press sends nothing
    state.action_answered("750a", job("Aborted"))
    state.polled(snap(job("InProgress")), in_flight)  # read before the write: set aside
    assert state.jobs["750a"].state == "Aborted" and state.pending == {"750a": Action.ABORT}
    assert state.awaiting_read
    state.polled(snap(job("Aborted")), state.poll_started())  # read after the answer: the truth
    assert state.jobs["750a"].state == "Aborted" and not state.pending and not state.awaiting_read


def test_an_unknown_outcome_stays_pending_until_read_and_a_refusal_ends_at_once() -> None:
    state = OrgState()
    state.polled(snap(job("InProgress")), state.poll_started())
    state.action_sent("750a", Action.ABORT)
    state.action_answered("750a")  # the answer was lost
    assert state.pending and state.jobs["750a"].state == "InProgress"
    state.polled(snap(job("InProgress"), errors={"750a": "HTTP 503"}), state.poll_started())
    assert not state.pending and state.errors == {"750a": "HTTP 503"}
    state.action_sent("750a", Action.ABORT)
    state.action_refused("750a")
    assert not state.pending and not state.awaiting_read
