"""The headless recorder over real sockets: each org polled on the dashboard's rules, each good poll's
jobs handed to the history writer; an org that cannot be read neither stops the others nor fills
the log; a history that cannot be written ends the recorder."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from functools import partial

import pytest

from sfmonitor.bulk.models import Job
from sfmonitor.config import settings as config
from sfmonitor.config.connection import ConnectionOptions, signed_in
from sfmonitor.config.orgs import OrgConfig
from sfmonitor.monitor.org import Org
from sfmonitor.monitor.recorder import Ending, HistoryWriter, Recorder, SignIn, to_record
from sfmonitor.monitor.schedule import Schedule
from sfmonitor.simulator.faults import FaultSpec
from sfmonitor.simulator.server import Simulator
from tests.conftest import add_running_ingest_job, make_sim
from tests.fakes import MemoryWriter


def _writer() -> HistoryWriter:
    return MemoryWriter()  # mypy checks here that the fake is what the recorder takes


def _org(name: str, options: ConnectionOptions, *, every: float = 0.1, several: bool = False) -> tuple[Org, SignIn]:
    target = OrgConfig(name, name, options, "")
    org = config.org_model(target, config.Settings(), Schedule(every, cap=0.3), single=not several)
    return org, partial(signed_in, options)


def _sim_org(sim: Simulator, **kwargs: object) -> tuple[Org, SignIn]:
    return _org("sim", ConnectionOptions(instance_url=sim.base_url, access_token=sim.token), **kwargs)  # type: ignore[arg-type]


async def _record_until(recorder: Recorder, *done: Callable[[], bool]) -> Ending:
    """Record until every one of ``done`` holds (checked as the recorder goes), then stop."""
    stop = asyncio.Event()
    run = asyncio.create_task(recorder.run(stop))
    async with asyncio.timeout(30):
        while not all(check() for check in done):
            await asyncio.sleep(0.02)
    stop.set()
    return await asyncio.wait_for(run, timeout=10)


async def test_each_poll_hands_the_writer_the_jobs_it_changed(sim: Simulator) -> None:
    running = add_running_ingest_job(sim, total=10_000_000, rate=100.0, running_for=60)
    writer = MemoryWriter(wanted=5)
    org, sign_in = _sim_org(sim)
    recorder = Recorder([(org, sign_in)], writer)
    assert await _record_until(recorder, writer.enough.is_set) is Ending.STOPPED
    first, *later = writer.polls
    assert first[0] == "sim"
    assert {job.id for job in first[1]} == set(org.state.jobs) and len(first[1]) >= 60  # the first poll: every job
    assert all(len(jobs) < len(first[1]) for _, jobs, _ in later)  # then what changed: not the org again
    read = [running in {job.id for job in jobs} for _, jobs, _ in later]
    assert "FalseFalse" not in "".join(map(str, read))  # a running job: read at least every other poll
    counts = [j.number_records_processed or 0 for _, jobs, _ in writer.polls for j in jobs if j.id == running]
    assert len(counts) >= 3
    assert counts == sorted(counts) and counts[0] < counts[-1]  # its counts as each read found them
    assert [at for _, _, at in writer.polls] == sorted(at for _, _, at in writer.polls)
    assert org.service is not None and org.service.transport._client is None  # stopping closes the connection
    assert writer.closed is None  # the writer is the caller's to close


def test_to_record_is_every_job_then_those_read_and_those_new() -> None:
    from datetime import UTC, datetime

    from sfmonitor.monitor.poller import Snapshot
    from tests.monitor.test_fleet import job

    a, b, c = job("750A", 1), job("750B", 2), job("750C", 3)

    def snapshot(*jobs: Job, read: set[str]) -> Snapshot:
        return Snapshot({j.id: j for j in jobs}, None, datetime.now(UTC), 0, read=frozenset(read))

    first = snapshot(a, b, read=set())
    assert to_record(first, None) == [a, b]  # none handed over yet: every job, read or not
    later = snapshot(a, job("750B", 5), c, read={"750B"})
    assert {j.id for j in to_record(later, first.jobs.keys())} == {"750B", "750C"}  # read, and new
    assert to_record(snapshot(a, read={"750GONE"}), later.jobs.keys()) == []  # read, then left the listing


def test_an_org_without_its_history_name_is_refused() -> None:
    with pytest.raises(ValueError, match="remembered_as"):
        Recorder([(Org(Schedule(1.0), key="bare"), partial(signed_in, ConnectionOptions()))], MemoryWriter())


async def test_a_token_refused_at_the_first_poll_is_no_sign_in(sim: Simulator) -> None:
    """A static token is not checked when the service starts: its first poll's 401 is the sign-in
    failing, so with no other org the recording ends (exit 3), saying why."""
    writer = MemoryWriter()
    bad = _org("bad", ConnectionOptions(instance_url=sim.base_url, access_token="not-a-token"))
    recorder = Recorder([bad], writer)
    assert await asyncio.wait_for(recorder.run(asyncio.Event()), timeout=30) is Ending.NO_SIGN_IN
    assert "token" in (recorder.first_sign_in["bad"] or "") and writer.polls == []
    assert "not-a-token" not in (recorder.first_sign_in["bad"] or "")


async def test_a_refused_token_does_not_end_the_recording_of_an_org_that_signs_in(sim: Simulator) -> None:
    writer = MemoryWriter(wanted=3)
    good = _sim_org(sim, several=True)
    bad = _org("bad", ConnectionOptions(instance_url=sim.base_url, access_token="not-a-token"), several=True)
    recorder = Recorder([good, bad], writer)
    assert await _record_until(recorder, writer.enough.is_set, lambda: bad[0].schedule.failures >= 1) is Ending.STOPPED
    assert recorder.first_sign_in["sim"] is None and recorder.first_sign_in["bad"]
    assert {org for org, _, _ in writer.polls} == {"sim"}


async def test_a_token_refused_after_good_polls_is_retried_not_the_end(sim: Simulator) -> None:
    writer = MemoryWriter(wanted=2)
    org, sign_in = _sim_org(sim)
    recorder = Recorder([(org, sign_in)], writer)
    stop = asyncio.Event()
    run = asyncio.create_task(recorder.run(stop))
    await asyncio.wait_for(writer.enough.wait(), timeout=30)
    with sim.world.lock:
        del sim.api.tokens[sim.token]  # revoked: every later request is refused
    async with asyncio.timeout(30):
        while org.schedule.failures < 1:
            await asyncio.sleep(0.02)
    # settled when the refusal came (the end would be set before the failure is counted): tried again later
    assert not run.done() and recorder.ending is Ending.STOPPED and recorder.first_sign_in == {"sim": None}
    stop.set()
    assert await asyncio.wait_for(run, timeout=10) is Ending.STOPPED
    assert org.connection.error is not None and "token" in org.connection.error


async def test_an_org_that_cannot_be_read_does_not_stop_the_others_nor_fill_the_log(
    sim: Simulator, caplog: pytest.LogCaptureFixture
) -> None:
    writer = MemoryWriter(wanted=6)
    good = _sim_org(sim, several=True)
    gone = _org("gone", ConnectionOptions(instance_url="http://127.0.0.1:9", access_token="secret-tok-9"),
                several=True)  # fmt: skip
    recorder = Recorder([good, gone], writer)
    with caplog.at_level(logging.INFO, logger="sfmonitor"):
        ending = await _record_until(recorder, writer.enough.is_set, lambda: gone[0].schedule.failures >= 3)
    assert ending is Ending.STOPPED  # tried again and again, on the schedule's backoff
    assert {org for org, _, _ in writer.polls} == {"sim"}
    trouble = [r.getMessage() for r in caplog.records if "org gone" in r.getMessage()]
    assert len(trouble) == 1 and "logged once" in trouble[0], trouble  # once per episode, not every try
    assert "secret-tok-9" not in caplog.text and sim.token not in caplog.text


async def test_an_outage_is_logged_when_it_starts_and_when_it_ends(caplog: pytest.LogCaptureFixture) -> None:
    sim = make_sim(held=False, speed=60, faults=FaultSpec(error=503))
    try:
        writer = MemoryWriter(wanted=2)
        org, sign_in = _sim_org(sim)
        recorder = Recorder([(org, sign_in)], writer)
        stop = asyncio.Event()
        with caplog.at_level(logging.INFO, logger="sfmonitor"):
            run = asyncio.create_task(recorder.run(stop))
            await asyncio.wait_for(writer.enough.wait(), timeout=30)
            sim.faults.hold(True)  # the org answers 503 to every read
            while org.schedule.failures < 3:
                await asyncio.sleep(0.05)
            polls = len(writer.polls)
            sim.faults.hold(False)
            while len(writer.polls) == polls:
                await asyncio.sleep(0.05)
            stop.set()
            assert await asyncio.wait_for(run, timeout=10) is Ending.STOPPED
        lines = [r.getMessage() for r in caplog.records if r.name == "sfmonitor.monitor.recorder"]
        assert sum("503" in line for line in lines) == 1, lines
        assert sum("read again after" in line for line in lines) == 1, lines
    finally:
        sim.stop()


async def test_when_no_org_can_sign_in_the_recording_ends() -> None:
    writer = MemoryWriter()
    refused = _org("a", ConnectionOptions(instance_url="http://127.0.0.1:9", access_token="t"), several=True)
    broken = _org("b", ConnectionOptions(unusable="b: the variable B_TOKEN is not set"), several=True)
    recorder = Recorder([refused, broken], writer)
    assert await asyncio.wait_for(recorder.run(asyncio.Event()), timeout=30) is Ending.NO_SIGN_IN
    assert set(recorder.first_sign_in) == {"a", "b"} and "B_TOKEN" in (recorder.first_sign_in["b"] or "")
    assert writer.polls == []


async def test_a_history_that_cannot_be_written_ends_the_recording(sim: Simulator) -> None:
    writer = MemoryWriter(wanted=99, fail_after=2)
    recorder = Recorder([_sim_org(sim)], writer)
    assert await asyncio.wait_for(recorder.run(asyncio.Event()), timeout=30) is Ending.HISTORY_FAULT
    assert len(writer.polls) == 2  # nothing handed over after the fault


async def test_a_history_at_fault_from_the_start_polls_nothing(sim: Simulator) -> None:
    writer = MemoryWriter(fault="the history was written by a newer sfmonitor (schema 9; this one knows 1)")
    recorder = Recorder([_sim_org(sim)], writer)
    assert await recorder.run(asyncio.Event()) is Ending.HISTORY_FAULT
    assert writer.polls == [] and not [entry for entry in sim.log if "/jobs/" in entry[1]]
