"""`wait` (and `status`) never report what they cannot know, against a simulator that misbehaves on
purpose over real sockets: another job's record for the one asked, an ended load with no failed
count, a token endpoint down for a moment, the daily API limit mid-wait, an org that cannot be read."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import pytest

from sfmonitor.simulator.api import JSON_V2, Reply, v2_error
from sfmonitor.simulator.faults import FaultSpec
from sfmonitor.simulator.server import Simulator
from tests.cli.runner import run_cli as run
from tests.conftest import add_failed_rows_job, add_running_ingest_job, find_job, make_sim

FAST = 0.25  # wait's reads every quarter second (run_cli's cycle): jobs move at 60x
NOWHERE = "7505g000000NOPEAAA"


def env_of(sim: Simulator) -> dict[str, str]:
    return {"SF_INSTANCE_URL": sim.base_url, "SF_ACCESS_TOKEN": sim.token}


def job_reads(sim: Simulator, job_id: str) -> int:
    return sum(1 for method, path, _ in list(sim.log) if method == "GET" and path.endswith(f"/{job_id}"))


def with_fields(reply: Reply, **fields: object) -> Reply:
    """The job info ``reply`` with these fields changed (a field given as ``...`` is left out)."""
    body = json.loads(reply.body)
    body.update(fields)
    body = {key: value for key, value in body.items() if value is not ...}
    return Reply(200, json.dumps(body).encode(), JSON_V2)


def orgs_config(tmp_path: Path, tables: str, **env: str) -> dict[str, str]:
    path = tmp_path / "config" / "sfmonitor" / "config.toml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(tables)
    # no sf CLI on PATH: the config file's orgs only
    return {"XDG_CONFIG_HOME": str(tmp_path / "config"), "COLUMNS": "200", "PATH": str(tmp_path), **env}


def token_table(name: str, url: str) -> str:
    return f'[orgs.{name}]\ninstance_url = "{url}"\ntoken_env = "{name.upper()}_TOKEN"\n'


# --- another job's record -------------------------------------------------------------------


@pytest.mark.parametrize("from_read", [0, 2], ids=["at-the-start", "mid-wait"])
def test_a_read_answered_with_another_jobs_record_is_not_taken_for_the_job(sim: Simulator, from_read: int) -> None:
    job = add_running_ingest_job(sim, total=100_000, rate=10, running_for=0)
    other = add_failed_rows_job(sim, [({"Name": "a"}, "")])  # ended cleanly: the success wait must not report
    reads = itertools.count()

    def swap(method: str, path: str, query: str, reply: Reply) -> Reply:
        found = method == "GET" and path.endswith(f"/jobs/ingest/{job}") and reply.status == 200
        if found and next(reads) >= from_read:
            return with_fields(reply, id=other, state="JobComplete", numberRecordsFailed=0)
        return reply

    sim.api.rewrite = swap
    result = run(["wait", job, "--format", "json"], env_of(sim), cycle=FAST)
    assert result.returncode == 3, result.stderr  # could not read the job: not "done"
    assert f"job {job}: the org answered with the record of job {other}" in result.stderr
    assert other not in result.stdout and "JobComplete" not in result.stdout


def test_status_marks_a_job_whose_read_brought_another_jobs_record_unread(sim: Simulator) -> None:
    job = find_job(sim, "ingest", "InProgress")
    other = find_job(sim, "ingest", "JobComplete", running=False)

    def swap(method: str, path: str, query: str, reply: Reply) -> Reply:
        if method == "GET" and path.endswith(f"/jobs/ingest/{job}") and reply.status == 200:
            return with_fields(reply, id=other, state="JobComplete")
        return reply

    sim.api.rewrite = swap
    result = run(["status", "--job", job], env_of(sim))
    assert result.returncode == 9, result.stderr
    lines = result.stdout.splitlines()
    assert any(line.startswith(f"2.0 ingest {job}") and "! InProgress" in line for line in lines)
    assert f"answered with the record of job {other}" in result.stdout and other not in lines[2]


# --- an ended load with no failed count -----------------------------------------------------


@pytest.mark.parametrize("given", [None, "many", ...], ids=["null", "not-a-number", "absent"])
def test_an_ended_load_without_a_failed_count_is_not_a_clean_end(sim: Simulator, given: object) -> None:
    job = add_failed_rows_job(sim, [({"Name": "a"}, ""), ({"Name": "b"}, "")])

    def blank(method: str, path: str, query: str, reply: Reply) -> Reply:
        if method == "GET" and path.endswith(f"/jobs/ingest/{job}") and reply.status == 200:
            return with_fields(reply, numberRecordsFailed=given)
        return reply

    sim.api.rewrite = blank
    text = run(["wait", job], env_of(sim))
    assert text.returncode == 9, text.stderr  # not 0: whether records failed is not known
    assert f"{job} ended JobComplete, but the org gave no count of failed records" in text.stderr
    assert "whether records failed is not known" in text.stderr
    assert text.stdout.startswith("1 job ended") and "(and 1 job gave no failed count)" in text.stdout
    as_json = run(["wait", job, "--format", "json"], env_of(sim))
    assert as_json.returncode == 9
    [out] = json.loads(as_json.stdout)
    assert out["failuresKnown"] is False and out["numberRecordsFailed"] is None


def test_a_query_job_has_no_failed_count_and_ends_clean(sim: Simulator) -> None:
    job = find_job(sim, "query", "JobComplete", running=False)
    result = run(["wait", job, "--format", "json"], env_of(sim))
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)[0]["failuresKnown"] is True


# --- the token endpoint down for a moment ---------------------------------------------------


def test_a_token_endpoint_that_fails_for_a_moment_during_renewal_is_waited_through(tmp_path: Path) -> None:
    sim = make_sim(speed=60, seeded=False, faults=FaultSpec(expire_after=3))
    try:
        job = add_running_ingest_job(sim, total=1200, rate=6, running_for=0, fail_permille=0)
        sim.faults.fail_token_requests("503", "drop", after=1)  # sign in, then its first renewals fail
        tables = f'[orgs.cc]\ninstance_url = "{sim.base_url}"\nclient_id = "app"\nclient_secret_env = "CC_SECRET"\n'
        result = run(["wait", job, "-o", "cc"], orgs_config(tmp_path, tables, CC_SECRET="shh"), cycle=FAST)
        assert result.returncode == 0, result.stderr  # was exit 3: a 503 taken for a refused sign-in
        assert result.stdout.startswith("1 job ended")
        tokens = [status for _, path, status in list(sim.log) if path == "/services/oauth2/token"]
        assert tokens[:3] == [200, 503, 0] and tokens[-1] == 200  # signed in; a 503, a reset; renewed
    finally:
        sim.stop()


@pytest.mark.parametrize("command", [["status"], ["wait", "{job}"], ["wait", "--running"]], ids=" ".join)
def test_a_token_endpoint_that_fails_at_sign_in_is_tried_again(tmp_path: Path, command: list[str]) -> None:
    sim = make_sim(speed=60, seeded=False)
    try:
        job = add_running_ingest_job(sim, total=60, rate=60, running_for=0, fail_permille=0)
        sim.faults.fail_token_requests("503")  # the first token request, the sign-in's, fails
        tables = f'[orgs.cc]\ninstance_url = "{sim.base_url}"\nclient_id = "app"\nclient_secret_env = "CC_SECRET"\n'
        args = [*(a.format(job=job) for a in command), "-o", "cc"]
        result = run(args, orgs_config(tmp_path, tables, CC_SECRET="shh"), cycle=FAST)
        assert result.returncode == 0, result.stderr  # was exit 3: "could not get a token ... it answered 503"
        tokens = [status for _, path, status in list(sim.log) if path == "/services/oauth2/token"]
        assert tokens == [503, 200]  # signed in on the second try, once
        assert result.pauses[0] == 1.0  # the one retry rule's first delay, paused (not slept) here
    finally:
        sim.stop()


# --- the daily API limit mid-wait -----------------------------------------------------------


def limit_from(job_id: str, first: int, last: int | None) -> object:
    """A rewrite: reads ``first`` to ``last`` (None: on) of the job meet the spent daily limit."""
    reads = itertools.count()

    def spent(method: str, path: str, query: str, reply: Reply) -> Reply:
        if method == "GET" and path.endswith(f"/jobs/ingest/{job_id}"):
            n = next(reads)
            if n >= first and (last is None or n <= last):
                return v2_error(403, "REQUEST_LIMIT_EXCEEDED", "TotalRequests Limit exceeded.")
        return reply

    return spent


def test_the_daily_api_limit_mid_wait_backs_off_says_so_and_keeps_waiting(sim: Simulator) -> None:
    job = add_running_ingest_job(sim, total=1200, rate=6, running_for=0, fail_permille=0)
    sim.api.rewrite = limit_from(job, 1, 2)  # type: ignore[assignment]
    result = run(["wait", job], env_of(sim), cycle=FAST)
    assert result.returncode == 0, result.stderr  # was exit 1, "a job the org does not know"
    said = [line for line in result.stderr.splitlines() if "daily API limit" in line]
    assert said and "REQUEST_LIMIT_EXCEEDED: TotalRequests Limit exceeded." in said[0]
    assert "still waiting, next read in 15m00s" in said[0]
    assert result.stdout.startswith("1 job ended")


def test_a_daily_limit_that_stays_spent_ends_at_max_wait(sim: Simulator) -> None:
    job = add_running_ingest_job(sim, total=1_000_000, rate=10, running_for=0)
    sim.api.rewrite = limit_from(job, 1, None)  # type: ignore[assignment]
    result = run(["wait", job, "--max-wait", "1s"], env_of(sim), cycle=FAST)
    assert result.returncode == 8, result.stderr  # the wait is bounded by --max-wait, never by the limit
    assert "daily API limit is reached" in result.stderr and f"still running: {job}" in result.stderr


# --- a job only an unread org might hold ----------------------------------------------------


def test_a_job_only_an_org_that_could_not_be_read_might_hold_is_exit_3(sim: Simulator, tmp_path: Path) -> None:
    tables = token_table("alpha", sim.base_url) + token_table("beta", "http://127.0.0.1:9")
    env = orgs_config(tmp_path, tables, ALPHA_TOKEN=sim.token, BETA_TOKEN="t")
    both = ["-o", "alpha", "-o", "beta"]
    waited = run(["wait", NOWHERE, *both], env)
    assert waited.returncode == 3, waited.stderr  # not 1: beta could not be asked
    assert f"job {NOWHERE}: not in the orgs read, and beta could not be asked" in waited.stderr
    status = run(["status", "--job", NOWHERE, *both], env)
    assert status.returncode == 3, status.stderr
    assert "beta could not be asked" in status.stderr and "0 jobs" not in status.stdout
    named = run(["wait", f"alpha:{NOWHERE}", *both], env)  # beta is not asked: alpha's answer is the answer
    assert named.returncode == 1 and f"no job alpha:{NOWHERE}" in named.stderr


def test_status_job_unknown_to_every_org_prints_no_heading(sim: Simulator, tmp_path: Path) -> None:
    other = make_sim(seed=11, speed=60)
    try:
        tables = token_table("alpha", sim.base_url) + token_table("beta", other.base_url)
        env = orgs_config(tmp_path, tables, ALPHA_TOKEN=sim.token, BETA_TOKEN=other.token)
        result = run(["status", "--job", NOWHERE, "-o", "alpha", "-o", "beta"], env)
        assert result.returncode == 1 and result.stdout == ""
        assert result.stderr == f"sfmonitor: no job {NOWHERE} in the orgs named\n"
    finally:
        other.stop()
