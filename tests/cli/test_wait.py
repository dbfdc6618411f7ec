"""`sfmonitor wait`: each way jobs can end is its own exit code, against the simulator over sockets."""

from __future__ import annotations

import json
import os

import pytest

from sfmonitor.numbers import parse_duration as duration
from sfmonitor.simulator.faults import FaultSpec
from sfmonitor.simulator.server import Simulator
from tests.cli.runner import run_cli as run
from tests.conftest import add_failed_rows_job, add_running_ingest_job, make_sim
from tests.terminal import read_until, terminal

FAST = 0.25  # wait's reads every quarter second (run_cli's cycle), not the operator's 2 s floor: jobs move at 60x


def env_of(sim: Simulator) -> dict[str, str]:
    return {"SF_INSTANCE_URL": sim.base_url, "SF_ACCESS_TOKEN": sim.token}


def test_jobs_that_end_cleanly_exit_0_and_json_gives_their_final_fields(sim: Simulator) -> None:
    quick = add_running_ingest_job(
        sim, total=300, rate=6, running_for=0, fail_permille=0
    )  # ~0.8 s at 60x: still running when wait finds it
    done = add_failed_rows_job(sim, [({"Name": "a"}, ""), ({"Name": "b"}, "")])
    result = run(["wait", quick, done, "--interval", "2", "--format", "json"], env_of(sim), cycle=FAST)
    assert result.returncode == 0, result.stderr
    jobs = {j["id"]: j for j in json.loads(result.stdout)}
    assert jobs[quick]["state"] == "JobComplete" and jobs[quick]["numberRecordsProcessed"] == 300
    assert jobs[quick]["numberRecordsFailed"] == 0 and jobs[quick]["ended"] is True
    assert jobs[done]["readError"] is None


def test_some_failed_records_exit_6_and_a_plain_line_per_change_when_piped(sim: Simulator) -> None:
    # ~3 s at 60x: still running when wait finds it, even on a loaded machine (0.8 s was not, at load 9)
    job = add_running_ingest_job(sim, total=1200, rate=6, running_for=0, fail_permille=100)
    result = run(["wait", job, "--interval", "2"], env_of(sim), cycle=FAST)
    assert result.returncode == 6, result.stderr
    assert "\r" not in result.stderr and "\x1b" not in result.stderr  # piped: no bar redrawn in place
    assert (
        f"{job}  Contact insert  UploadComplete" in result.stderr
        or f"{job}  Contact insert  InProgress" in result.stderr
    )
    assert "→ JobComplete" in result.stderr
    assert result.stdout.startswith("1 job ended after") and "failed" in result.stdout


def test_an_aborted_job_exits_7(sim: Simulator) -> None:
    job = add_running_ingest_job(sim, total=100_000, rate=10, running_for=0)
    assert run(["abort", job, "--yes"], env_of(sim)).returncode == 0
    result = run(["wait", job], env_of(sim))
    assert result.returncode == 7, result.stderr
    assert "1 Aborted" in result.stdout


def test_max_wait_exits_8_naming_the_jobs_still_running(sim: Simulator) -> None:
    slow = add_running_ingest_job(sim, total=10_000_000, rate=10, running_for=0)
    done = add_failed_rows_job(sim, [({"Name": "a"}, "")])
    result = run(["wait", slow, done, "--max-wait", "1s", "--format", "json"], env_of(sim))
    assert result.returncode == 8, result.stderr
    assert f"still running: {slow}" in result.stderr
    ended = {j["id"]: j["ended"] for j in json.loads(result.stdout)}
    assert ended == {slow: False, done: True}


def test_running_waits_for_every_running_job_and_reads_an_ended_one_no_more() -> None:
    sim = make_sim(speed=60, seeded=False)
    try:
        jobs = [add_running_ingest_job(sim, total=300, rate=3, running_for=0, fail_permille=0) for _ in range(2)]
        result = run(["wait", "--running", "--interval", "2", "--format", "json", "-v"], env_of(sim))
        assert result.returncode == 0, result.stderr
        assert {j["id"] for j in json.loads(result.stdout)} == set(jobs)
        reads = [path for method, path, _ in list(sim.log) if method == "GET" and path.endswith(jobs[0])]
        assert len(reads) <= 3  # found, then read until it ended: never again after
    finally:
        sim.stop()


def test_transient_faults_are_waited_through() -> None:
    sim = make_sim(speed=60, faults=FaultSpec(error=503, error_p=0.3), held=False)
    try:
        job = add_running_ingest_job(sim, total=300, rate=6, running_for=0, fail_permille=0)
        sim.faults.hold(True)  # from here on, three answers in ten are a gateway's 503 page (seeded draws)
        result = run(["wait", job, "--interval", "2"], env_of(sim), cycle=FAST)
        assert result.returncode == 0, result.stderr
    finally:
        sim.stop()


def test_usage_unknown_jobs_and_nothing_running(sim: Simulator) -> None:
    assert run(["wait"], env_of(sim)).returncode == 2
    assert run(["wait", "750x", "--running"], env_of(sim)).returncode == 2
    assert run(["wait", "750x", "--max-wait", "soon"], env_of(sim)).returncode == 2
    unknown = run(["wait", "7505g000000NOPEAAA"], env_of(sim))
    assert unknown.returncode == 1 and "no job 7505g000000NOPEAAA" in unknown.stderr


def test_a_terminal_gets_a_bar_redrawn_in_place(sim: Simulator, monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in env_of(sim).items():
        monkeypatch.setenv(name, value)
    job = add_running_ingest_job(sim, total=300, rate=3, running_for=0, fail_permille=0)
    proc, leader = terminal(["wait", job, "--interval", "2"])  # a real pseudo-terminal
    try:
        out = read_until(leader, b"1 job ended").decode()
        assert proc.wait(timeout=20) == 0
    finally:
        os.close(leader)
    assert "\r\x1b[2K[" in out and "1/1 ended" in out


@pytest.mark.parametrize(("text", "seconds"), [("90s", 90), ("30m", 1800), ("2h", 7200), ("1h30m", 5400), ("600", 600)])
def test_durations(text: str, seconds: float) -> None:
    assert duration(text) == seconds


@pytest.mark.parametrize("text", ["", "soon", "0", "-5", "5x", "nan", "1h-2m"])
def test_bad_durations(text: str) -> None:
    with pytest.raises(ValueError):
        duration(text)
