"""The headless commands against the simulator over real sockets: in-process for what they parse, print
and return (tests/cli/runner.py), a real process where the process boundary is the point."""

from __future__ import annotations

import json
import os
import pty
import select
import shlex
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from sfmonitor.simulator.api import Reply
from sfmonitor.simulator.faults import FaultSpec
from sfmonitor.simulator.server import Simulator
from tests.conftest import find_job, make_sim, writes
from tests.fakes import fake_sf
from tests.terminal import read_until, terminal

from .runner import TerminalInput, run_cli, run_process

run = run_cli  # the name other test modules import


@pytest.fixture
def org(sim: Simulator) -> Iterator[dict[str, str]]:
    yield {"SF_INSTANCE_URL": sim.base_url, "SF_ACCESS_TOKEN": sim.token}


def test_status_json_snapshot(sim: Simulator, org: dict[str, str]) -> None:
    result = run(["status", "--format", "json"], org)
    assert result.returncode == 0, result.stderr
    doc = json.loads(result.stdout)
    assert doc["instanceUrl"] == sim.base_url
    assert doc["apiVersion"] == "66.0"
    assert isinstance(doc["apiUsage"]["used"], int) and doc["apiUsage"]["max"] == 100_000
    with sim.world.lock:
        assert {j["id"] for j in doc["jobs"]} == set(sim.world.jobs)
    for job in doc["jobs"]:
        for key in ("id", "jobType", "object", "operation", "state", "numberRecordsProcessed", "numberRecordsFailed",
                    "totalProcessingTime", "apiActiveProcessingTime", "apexProcessingTime"):  # fmt: skip
            assert key in job
        if job["numberRecordsProcessed"] is not None:
            assert isinstance(job["numberRecordsProcessed"], int)
    classic = [j for j in doc["jobs"] if j["jobType"] == "Classic"]
    assert classic and all(isinstance(j["batches"], list) for j in classic)
    assert all(isinstance(j["numberBatchesTotal"], int) for j in classic)
    batch = classic[0]["batches"][0]
    assert isinstance(batch["numberRecordsProcessed"], int) and batch["state"]
    pk = next(
        j for j in classic if any(b["state"] == "NotProcessed" for b in j["batches"]) and j["operation"] == "query"
    )
    assert pk["state"] == "Closed"
    assert sim.token not in result.stdout + result.stderr


def test_status_table_fits_120_columns(sim: Simulator, org: dict[str, str]) -> None:
    result = run(["status"], org)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("org 127.0.0.1 · API v66.0 · API usage ")
    assert lines[1].split()[:3] == ["API", "JOB", "ID"]
    assert max(len(line) for line in lines) <= 120
    assert any(line.startswith("Bulk 1.0") for line in lines)
    assert any(line.startswith("2.0 query") for line in lines)
    assert any("error: InvalidBatch" in line for line in lines)
    assert sim.token not in result.stdout + result.stderr


def test_status_named_job(sim: Simulator, org: dict[str, str]) -> None:
    job_id = find_job(sim, "classic", "Open", running=False)
    result = run(["status", "--format", "json", "--job", job_id], org)
    assert result.returncode == 0, result.stderr
    assert [j["id"] for j in json.loads(result.stdout)["jobs"]] == [job_id]
    missing = run(["status", "--job", "750000000000000AAA"], org)
    assert missing.returncode == 1
    assert missing.stdout == ""  # no "0 jobs, 0 running" heading over a job that is not there
    assert missing.stderr == "sfmonitor: job 750000000000000AAA: not found in this org\n"
    one = run(["status", "--job", job_id], org)
    assert " · 1 job, " in one.stdout.splitlines()[0]


def test_abort_with_yes_sends_one_request(sim: Simulator, org: dict[str, str]) -> None:
    job_id = find_job(sim, "ingest", "InProgress", running=False)
    result = run(["abort", job_id, "--yes"], org)
    assert result.returncode == 0, result.stderr
    assert f"Abort job {job_id} (2.0 ingest" in result.stdout
    assert f"Job {job_id}: InProgress -> Aborted" in result.stdout
    assert writes(sim, job_id) == [("PATCH", f"/services/data/v66.0/jobs/ingest/{job_id}", 200)]
    with sim.world.lock:
        assert sim.world.jobs[job_id].state == "Aborted"


def test_close_classic_job(sim: Simulator, org: dict[str, str]) -> None:
    job_id = find_job(sim, "classic", "Open", running=False)
    result = run(["close", job_id, "-y"], org)
    assert result.returncode == 0, result.stderr
    assert "Open -> Closed" in result.stdout
    assert len(writes(sim, job_id)) == 1


def test_without_a_terminal_nothing_is_sent(sim: Simulator, org: dict[str, str]) -> None:
    job_id = find_job(sim, "ingest", "InProgress", running=False)
    result = run(["abort", job_id], org)
    assert result.returncode == 5
    assert "pass --yes" in result.stderr
    assert writes(sim, job_id) == []


def test_illegal_close_is_refused_with_the_reason(sim: Simulator, org: dict[str, str]) -> None:
    job_id = find_job(sim, "query", "InProgress", running=False)
    result = run(["close", job_id, "--yes"], org)
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1
    assert "query job cannot be closed" in result.stderr
    assert writes(sim, job_id) == []


def test_server_refusal_exit_code(sim: Simulator, org: dict[str, str]) -> None:
    result = run_process(["abort", "750000000000000AAA", "--yes"], org)  # the exit code of a real process
    assert result.returncode == 1
    assert "no job 750000000000000AAA" in result.stderr


def _interactive(args: list[str], env: dict[str, str], answer: bytes, prompt: bytes = b"[y/N]") -> tuple[int, str]:
    """Run with a pseudo-terminal on stdin, answer the prompt, return (exit code, what it printed)."""
    leader, follower = pty.openpty()
    proc = subprocess.Popen(
        [sys.executable, "-m", "sfmonitor", *args],
        env={**os.environ, **env},
        stdin=follower,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    os.close(follower)
    seen = b""
    deadline = time.monotonic() + 30
    assert proc.stdout is not None
    while prompt not in seen and time.monotonic() < deadline:
        ready, _, _ = select.select([leader, proc.stdout], [], [], 0.2)
        for fd in ready:
            chunk = os.read(fd if isinstance(fd, int) else fd.fileno(), 4096)
            seen += chunk
    os.write(leader, answer)
    out, _ = proc.communicate(timeout=30)
    os.close(leader)
    return proc.returncode, (seen + out).decode()


def test_a_production_org_asks_for_the_job_ids_last_characters() -> None:
    sim = make_sim()
    sim.world.production = True
    try:
        org = {"SF_INSTANCE_URL": sim.base_url, "SF_ACCESS_TOKEN": sim.token}
        job_id = find_job(sim, "query", "InProgress", running=False)
        code, text = _interactive(["abort", job_id], org, b"y\n", prompt=b"to confirm: ")
        assert code == 5 and "PRODUCTION" in text and f"({job_id[-4:]})" in text, text  # y by habit: nothing
        assert writes(sim, job_id) == []
        code, text = _interactive(["abort", job_id], org, job_id[-4:].encode() + b"\n", prompt=b"to confirm: ")
        assert code == 0 and "InProgress -> Aborted" in text, text
        assert len(writes(sim, job_id)) == 1
    finally:
        sim.stop()


def test_confirmation_no_sends_nothing_yes_sends_once(sim: Simulator, org: dict[str, str]) -> None:
    job_id = find_job(sim, "query", "InProgress", running=False)
    no = run(["abort", job_id], org, stdin=TerminalInput("n\n"))  # the pty end to end: the production test
    code, text = no.returncode, no.stdout + no.stderr
    assert code == 5, text
    assert "[y/N]" in text and "not confirmed" in text
    assert writes(sim, job_id) == []
    yes = run(["abort", job_id], org, stdin=TerminalInput("y\n"))
    code, text = yes.returncode, yes.stdout + yes.stderr
    assert code == 0, text
    assert "InProgress -> Aborted" in text
    assert len(writes(sim, job_id)) == 1


# --- connections ----------------------------------------------------------------------------------


def test_target_org_through_the_sf_cli(sim: Simulator, tmp_path: Path) -> None:
    bin_dir = fake_sf(tmp_path, sim)
    env = {"PATH": f"{bin_dir}:{os.environ['PATH']}"}
    result = run(["status", "-o", "ops"], env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("org ops@acme.test · API v66.0")
    unknown = run(["status", "--target-org", "nosuch"], env)
    assert unknown.returncode == 3
    assert unknown.stderr.count("\n") == 1
    assert "'nosuch'" in unknown.stderr and "sf org login web" in unknown.stderr


def test_with_no_org_given_the_sf_cli_default_org_is_used(sim: Simulator, tmp_path: Path) -> None:
    env = {"PATH": f"{fake_sf(tmp_path, sim, default='ops')}:{os.environ['PATH']}"}
    result = run(["status"], env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("org ops@acme.test · API v66.0")


def test_with_no_org_and_no_default_the_message_says_how_to_pick_one(sim: Simulator, tmp_path: Path) -> None:
    env = {"PATH": f"{fake_sf(tmp_path, sim)}:{os.environ['PATH']}"}
    result = run(["status"], env)
    assert result.returncode == 2 and result.stderr.count("\n") == 1
    assert "sf config set target-org ALIAS --global" in result.stderr and "sfmonitor orgs" in result.stderr


def test_target_org_without_the_sf_cli(tmp_path: Path) -> None:
    result = run(["status", "-o", "ops"], {"PATH": str(tmp_path)})
    assert result.returncode == 3
    assert result.stderr.count("\n") == 1
    assert "'ops'" in result.stderr and "not on PATH" in result.stderr


def test_non_loopback_http_is_refused() -> None:
    result = run(["status", "--instance-url", "http://acme.my.salesforce.com", "--access-token", "t"])
    assert result.returncode == 2
    assert "plain http" in result.stderr and result.stderr.count("\n") == 1


def test_no_org_given() -> None:
    result = run(["status"])
    assert result.returncode == 2
    assert "--target-org" in result.stderr


def test_unreachable_org_is_one_line(sim: Simulator) -> None:
    # a loopback port with nothing listening
    result = run(["status", "--instance-url", "http://127.0.0.1:9", "--access-token", "secret-token-xyz"])
    assert result.returncode == 3
    assert result.stderr.count("\n") == 1
    assert "secret-token-xyz" not in result.stdout + result.stderr


def test_bad_token_is_one_line_without_the_token(sim: Simulator) -> None:
    result = run(["status", "--instance-url", sim.base_url, "--access-token", "expired-token-xyz"])
    assert result.returncode == 3
    assert "rejected the access token" in result.stderr and "has expired" not in result.stderr
    assert result.stderr.count("\n") == 1
    assert "expired-token-xyz" not in result.stderr


# --- the simulator command ------------------------------------------------------------------------


def test_simulate_prints_exports_and_stops_on_ctrl_c() -> None:
    proc = subprocess.Popen(
        [sys.executable, "-X", "faulthandler", "-m", "sfmonitor", "simulate", "--port", "0", "--speed", "30"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    lines = [proc.stdout.readline() for _ in range(3)]
    env = dict(shlex.split(line.removeprefix("export "))[0].split("=", 1) for line in lines[:2])
    assert lines[1].startswith("export SF_ACCESS_TOKEN='")  # quoted: the token holds a `!`
    assert env["SF_INSTANCE_URL"].startswith("http://127.0.0.1:")
    assert lines[2].startswith("# sfmonitor simulator:")
    status = run(["status", "--format", "json"], env)
    assert status.returncode == 0, status.stderr
    assert len(json.loads(status.stdout)["jobs"]) >= 60
    proc.send_signal(signal.SIGINT)
    try:
        out, err = proc.communicate(timeout=10)
    except subprocess.TimeoutExpired:
        proc.send_signal(signal.SIGABRT)  # faulthandler prints where every thread is stuck
        raise AssertionError(f"simulate did not stop on ctrl+c:\n{proc.communicate(timeout=10)[1]}") from None
    assert proc.returncode == 0, err
    assert "stopped" in out
    assert "Traceback" not in err


def test_simulate_refuses_bad_faults_and_non_loopback() -> None:
    bad = run(["simulate", "--faults", "explode=1"])
    assert bad.returncode == 2 and "unknown fault" in bad.stderr
    wide = run(["simulate", "--host", "0.0.0.0"])
    assert wide.returncode == 2 and "loopback" in wide.stderr


def test_expired_token_is_renewed_through_the_sf_cli(tmp_path: Path) -> None:
    sim = make_sim(speed=60, faults=FaultSpec(expire_after=10))
    try:
        env = {"PATH": f"{fake_sf(tmp_path, sim)}:{os.environ['PATH']}"}
        result = run(["status", "--format", "json", "-o", "ops"], env)  # ~100 requests: the token dies many times
        assert result.returncode == 0, result.stderr
        assert len(json.loads(result.stdout)["jobs"]) == len(sim.world.jobs)
        assert sum(1 for _, _, status in sim.log if status in (400, 401)) >= 5
        issued = list(sim.api.tokens)
        assert not any(token in result.stdout + result.stderr for token in issued)
    finally:
        sim.stop()


def test_demo_opens_the_dashboard_on_a_terminal_and_quits_on_q() -> None:
    proc, leader = terminal(["demo", "--speed", "30"])
    try:
        screen = read_until(leader, b"7505g")  # job ids on screen: the first poll arrived
        assert b"7505g" in screen, screen[-2000:]
        assert b"Traceback" not in screen
        os.write(leader, b"q")
        deadline = time.monotonic() + 15
        while proc.poll() is None and time.monotonic() < deadline:
            read_until(leader, b"\x00never", timeout=0.2)  # keep the terminal drained while it exits
        assert proc.returncode == 0
    finally:
        if proc.poll() is None:
            proc.kill()
        os.close(leader)


def test_status_retries_a_transient_failure(sim: Simulator, org: dict[str, str]) -> None:
    failures = iter(range(3))  # the first three listing requests meet a gateway error

    def gateway(method: str, path: str, query: str, reply: Reply) -> Reply:
        if path.endswith("/jobs/ingest") and next(failures, None) is not None:
            return Reply(503, b"<html>Service Unavailable</html>", "text/html")
        return reply

    sim.api.rewrite = gateway
    result = run(["status", "--format", "json"], org)
    assert result.returncode == 0, result.stderr
    assert len(json.loads(result.stdout)["jobs"]) == len(sim.world.jobs)


def test_status_gives_up_with_one_line() -> None:
    sim = make_sim(speed=60, faults=FaultSpec(error=502))
    try:
        result = run(["status"], {"SF_INSTANCE_URL": sim.base_url, "SF_ACCESS_TOKEN": sim.token})
        assert result.returncode == 3
        assert result.stderr.count("\n") == 1 and "502" in result.stderr and "HTML" in result.stderr
        assert "Traceback" not in result.stderr
        assert sum(1 for _, _, status in sim.log if status == 502) == 6  # three snapshots, each GET tried twice
        assert [p for p in result.pauses if p >= 1] == [1.0, 2.0]  # the snapshot tried again after 1 s, then 2 s
    finally:
        sim.stop()


@pytest.mark.parametrize(
    "args",
    [
        ["status", "--format", "yaml"],
        ["--interval", "soon"],
        ["abort"],
        ["simulate", "--port", "x"],
        ["nonsense-option"],
    ],
)
def test_bad_options_are_one_line_and_exit_2(args: list[str]) -> None:
    result = run(args)
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and result.stderr.startswith("sfmonitor: ")
