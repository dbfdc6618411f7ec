"""`status` and the other commands are right or say what they could not read, against a simulator that
misbehaves on purpose over real sockets: in-process (tests/cli/runner.py), a real process for the pipe."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from sfmonitor.simulator.api import Reply
from sfmonitor.simulator.bulk import add_finished_ingest_jobs
from sfmonitor.simulator.faults import FaultSpec
from sfmonitor.simulator.server import Simulator
from tests.conftest import find_job, make_sim

from .runner import run_cli as run


@pytest.fixture
def org(sim: Simulator) -> Iterator[dict[str, str]]:
    yield {"SF_INSTANCE_URL": sim.base_url, "SF_ACCESS_TOKEN": sim.token}


def test_status_reads_every_job_it_prints_past_the_dashboards_backfill(sim: Simulator, org: dict[str, str]) -> None:
    add_finished_ingest_jobs(sim.world, 450)  # more than the 200 a dashboard cycle reads
    result = run(["status", "--format", "json"], org)
    assert result.returncode == 0, result.stderr
    jobs = json.loads(result.stdout)["jobs"]
    assert len(jobs) == len(sim.world.jobs)
    finished_ingest = [j for j in jobs if j["apiKind"] == "2.0 ingest" and j["state"] == "JobComplete"]
    assert len(finished_ingest) > 450
    assert all(j["numberRecordsProcessed"] is not None and j["readError"] is None for j in finished_ingest)


def test_a_job_that_cannot_be_read_is_marked_in_itself_on_stderr_and_in_the_exit_code(
    sim: Simulator, org: dict[str, str]
) -> None:
    broken = find_job(sim, "ingest", "InProgress")
    flaky = find_job(sim, "query", "InProgress")
    classic = find_job(sim, "classic", "Closed")
    flaky_failures = iter(range(3))  # more than the transport's own second try: only a job retry gets past

    def misbehave(method: str, path: str, query: str, reply: Reply) -> Reply:
        gateway = Reply(503, b"<html><h1>Service Unavailable</h1></html>", "text/html")
        if path.endswith(f"/jobs/ingest/{broken}"):
            return gateway
        if path.endswith(f"/jobs/query/{flaky}") and next(flaky_failures, None) is not None:
            return gateway
        if path.endswith(f"/job/{classic}/batch"):
            return gateway
        return reply

    sim.api.rewrite = misbehave
    result = run(["status", "--format", "json"], org)
    assert result.returncode == 9, result.stderr  # partial
    by_id = {job["id"]: job for job in json.loads(result.stdout)["jobs"]}
    assert "503" in by_id[broken]["readError"]
    assert by_id[broken]["state"] == "InProgress"  # what the listing says, marked as not read
    assert by_id[flaky]["readError"] is None and by_id[flaky]["numberRecordsProcessed"] is not None
    assert by_id[classic]["readError"].startswith("batch list not read")
    assert by_id[classic]["numberBatchesTotal"] is not None  # the job info that was read is kept
    assert by_id[classic]["batches"] is None
    lines = result.stderr.splitlines()
    assert sorted(lines) == sorted([f"sfmonitor: job {broken}: not read: {by_id[broken]['readError']}",
                                    f"sfmonitor: job {classic}: not read: {by_id[classic]['readError']}"])  # fmt: skip


def test_status_into_a_pipe_that_closes_leaves_quietly(sim: Simulator, org: dict[str, str]) -> None:
    add_finished_ingest_jobs(sim.world, 400)  # more output than a pipe holds
    shell = f'{sys.executable} -m sfmonitor status --format json | head -1; echo "exit=${{PIPESTATUS[0]}}"'
    result = subprocess.run(["bash", "-c", shell], env={**org, "PATH": "/usr/bin:/bin"}, capture_output=True,
                            text=True, timeout=60)  # fmt: skip
    assert result.stdout.splitlines() == ["{", "exit=141"]
    assert result.stderr == ""


def test_credentials_in_the_url_are_refused_without_echoing_them() -> None:
    result = run(["status", "--instance-url", "https://ops:hunter2@acme.my.salesforce.com", "--access-token", "t"])
    assert result.returncode == 2
    assert "user name or password" in result.stderr and "hunter2" not in result.stderr + result.stdout


@pytest.mark.parametrize("value", ["nan", "0", "-1", "inf"])
def test_timeout_must_be_a_positive_number(value: str) -> None:
    result = run(["status", "--timeout", value, "--instance-url", "https://acme.my.salesforce.com"])
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "--timeout" in result.stderr


def test_global_options_go_before_or_after_the_command(sim: Simulator) -> None:
    where = ["--instance-url", sim.base_url, "--access-token", sim.token, "--timeout", "5"]
    before = run([*where, "status", "--format", "json"])
    after = run(["status", "--format", "json", *where])
    assert before.returncode == after.returncode == 0, before.stderr
    assert len(json.loads(before.stdout)["jobs"]) == len(json.loads(after.stdout)["jobs"]) == len(sim.world.jobs)
    verbose = run(["-v", *where, "status", "--job", "750000000000000AAA"])
    assert verbose.returncode == 1 and "GET" in verbose.stderr  # -v before the command logs too


def test_a_ca_bundle_that_is_not_pem_is_one_line_naming_the_org(tmp_path: Path) -> None:
    bundle = tmp_path / "ca.pem"
    bundle.write_text("this is not a certificate\n")
    result = run(["status", "--instance-url", "https://acme.my.salesforce.com", "--access-token", "t",
                  "--ca-bundle", str(bundle)])  # fmt: skip
    assert result.returncode == 3
    assert result.stderr.count("\n") == 1
    assert "https://acme.my.salesforce.com" in result.stderr and "not a PEM" in result.stderr


def test_an_org_that_never_answers_is_one_line_naming_the_url() -> None:
    with socket.socket() as listener:  # accepts connections, never says a word
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        held: list[socket.socket] = []
        stop = threading.Event()

        def accept() -> None:
            listener.settimeout(0.1)
            while not stop.is_set():
                try:
                    held.append(listener.accept()[0])
                except TimeoutError:
                    continue

        thread = threading.Thread(target=accept, daemon=True)
        thread.start()
        url = f"http://127.0.0.1:{listener.getsockname()[1]}"
        try:
            result = run(["status", "--instance-url", url, "--access-token", "t", "--timeout", "0.3"])
        finally:
            stop.set()
            thread.join()
            for conn in held:
                conn.close()
    assert result.returncode == 3
    assert result.stderr.count("\n") == 1
    assert "no answer within 0.3 s" in result.stderr and url in result.stderr


def test_a_refused_connection_names_the_url() -> None:
    result = run(["status", "--instance-url", "http://127.0.0.1:9", "--access-token", "t"])
    assert result.returncode == 3
    assert result.stderr.count("\n") == 1 and "http://127.0.0.1:9/services/data/" in result.stderr


def test_the_dashboard_without_a_terminal_refuses_at_once(sim: Simulator) -> None:
    result = run(["--instance-url", sim.base_url, "--access-token", sim.token])  # stdin is /dev/null
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "needs a terminal" in result.stderr


def test_under_random_faults_every_job_is_read_or_marked_never_silently_empty() -> None:
    spec = FaultSpec(error=503, error_p=0.25, drop=0.05, garble=0.05, badgzip=0.05)
    sim = make_sim(speed=60, faults=spec)  # the faults strike from the first request on
    try:
        env = {"SF_INSTANCE_URL": sim.base_url, "SF_ACCESS_TOKEN": sim.token}
        result = run(["status", "--format", "json"], env)
        assert result.returncode in (0, 9, 3), result.stderr
        if result.returncode == 3:  # the listing itself failed three times: one line, nothing printed
            assert result.stdout == "" and result.stderr.count("\n") == 1
            return
        jobs = json.loads(result.stdout)["jobs"]
        assert len(jobs) == len(sim.world.jobs)
        unread = [j for j in jobs if j["readError"]]
        for job in jobs:
            if job["readError"]:
                continue
            assert job["numberRecordsProcessed"] is not None or job["state"] == "Open", job
            if job["apiKind"] == "Bulk 1.0":
                assert job["batches"] is not None, job
        assert (result.returncode == 9) == bool(unread)
        assert len(result.stderr.splitlines()) == len(unread)
    finally:
        sim.stop()
