"""One hostile job id costs that job only, and `orgs` says who it signed in as: against the simulator
over real sockets, the command line run in-process."""

from __future__ import annotations

from pathlib import Path

import pytest

from sfmonitor.simulator.api import Reply
from sfmonitor.simulator.server import Simulator
from tests.bulk.test_trust import hostile_listing
from tests.cli.runner import run_cli as run
from tests.cli.test_wait_trust import FAST, env_of, orgs_config, token_table
from tests.conftest import add_running_ingest_job, find_job, make_sim


def test_status_shows_a_listed_id_that_is_no_id_inert_and_unread(sim: Simulator) -> None:
    hostile_listing(sim, find_job(sim, "ingest", "InProgress"))
    result = run(["status"], env_of(sim))
    assert result.returncode == 9, result.stderr  # every job printed, one not read
    assert "\x1b" not in result.stdout + result.stderr and "\x07" not in result.stdout + result.stderr
    assert "750\\x0a\\x1b]52;c;EV" in result.stdout and "is not a Salesforce id" in result.stdout
    [said] = result.stderr.splitlines()
    assert said.startswith("sfmonitor: job 750\\x0a\\x1b]52") and "is not a Salesforce id" in said
    assert not any("EVIL" in path or "%0A" in path for _, path, _ in list(sim.log))


def test_wait_running_names_a_listed_id_that_is_no_id_and_waits_on_the_others(quiet_sim: Simulator) -> None:
    job = add_running_ingest_job(quiet_sim, total=1200, rate=6, running_for=0, fail_permille=0)
    hostile_listing(quiet_sim, job)
    result = run(["wait", "--running"], env_of(quiet_sim), cycle=FAST)
    assert result.returncode == 9, result.stderr  # the real job ended cleanly; the other was not read
    assert "not waited on: job id 750\\x0a\\x1b]52;c;EVIL\\x07 is not a Salesforce id" in result.stderr
    assert "\x1b" not in result.stderr and result.stdout.startswith("1 job ended")
    assert not any("EVIL" in path or "%0A" in path for _, path, _ in list(quiet_sim.log))


TYPED = ["750\x1b[2J", "../../limits", "7505g000000NOPEAAA0", "7505g000000NOPE A"]


@pytest.mark.parametrize("bad", TYPED)
@pytest.mark.parametrize(
    "command",
    [["status", "--job", "{}"], ["wait", "{}"], ["close", "{}", "--yes"], ["abort", "{}", "--yes"],
     ["failures", "{}"], ["wait", "alpha:{}"], ["status", "--job", "alpha:{}"]],
    ids=["status", "wait", "close", "abort", "failures", "wait-org", "status-org"],
)  # fmt: skip
def test_a_typed_id_that_is_no_id_is_a_usage_error_and_nothing_is_asked(
    sim: Simulator, command: list[str], bad: str
) -> None:
    before = len(sim.log)
    result = run([part.format(bad) for part in command], env_of(sim))
    assert result.returncode == 2, result.stderr
    [line] = result.stderr.splitlines()  # one line, whatever the id holds
    assert "is not a Salesforce id (15 or 18 letters and digits): nothing was asked" in line
    assert "\x1b" not in line and result.stdout == ""
    assert len(sim.log) == before


# --- orgs: who it signed in as --------------------------------------------------------------


def test_orgs_says_who_each_org_signed_in_as_in_one_request(sim: Simulator, tmp_path: Path) -> None:
    env = orgs_config(tmp_path, token_table("alpha", sim.base_url), ALPHA_TOKEN=sim.token)
    before = len(sim.log)
    result = run(["orgs"], env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"ok: operator@sfmonitor.sim at {sim.base_url}" in result.stdout
    assert list(sim.log)[before:] == [("GET", "/services/oauth2/userinfo", 200)]  # one request, and it proves the token


def test_orgs_says_user_not_read_and_why_and_a_refused_token_cannot_sign_in(sim: Simulator, tmp_path: Path) -> None:
    down = make_sim(seed=11, speed=60)
    refusing = make_sim(seed=12, speed=60)
    try:

        def unavailable(method: str, path: str, query: str, reply: Reply) -> Reply:
            if path == "/services/oauth2/userinfo":
                return Reply(503, b"<html><body>Service Unavailable</body></html>", "text/html")
            return reply

        down.api.rewrite = unavailable
        tables = "".join(token_table(name, s.base_url) for name, s in (("alpha", sim), ("beta", down),
                                                                        ("gamma", refusing)))  # fmt: skip
        env = orgs_config(tmp_path, tables, ALPHA_TOKEN=sim.token, BETA_TOKEN=down.token, GAMMA_TOKEN="00Dx!nope")
        result = run(["orgs"], env)
        assert result.returncode == 9, result.stdout + result.stderr
        lines = {line.split()[0]: line for line in result.stdout.splitlines()[1:] if line.strip()}
        assert "ok: operator@sfmonitor.sim" in lines["alpha"]
        assert "user not read: HTTP 503" in lines["beta"] and f"(at {down.base_url})" in lines["beta"]
        assert "cannot sign in: the org refused the token (HTTP 403" in lines["gamma"]
    finally:
        down.stop()
        refusing.stop()
