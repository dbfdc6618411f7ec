"""Org-safe job ids: two orgs that hold the same job id (a sandbox refreshed from production does),
``ORG:JOBID``, each org's own read-only and production rules, and one org's unusable configuration
costing that org only. Real simulators on real sockets; the command line run in-process."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from sfmonitor.cli.main import Environment, main
from sfmonitor.simulator.server import Simulator
from tests.conftest import find_job, make_sim, writes


@pytest.fixture
def twin(sim: Simulator) -> Iterator[Simulator]:
    """A second org made from the same seed as ``sim``: every job id of one is in the other."""
    other = make_sim(seed=7, speed=60)
    try:
        yield other
    finally:
        other.stop()


def configure(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, a: Simulator, b: Simulator, extra: str = "") -> None:
    """[orgs.alpha] is ``a``, [orgs.beta] is ``b`` (tokens from the environment); ``extra``: more TOML."""
    path = tmp_path / "config" / "sfmonitor" / "config.toml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"""
[orgs.alpha]
instance_url = "{a.base_url}"
token_env = "ALPHA_TOKEN"

[orgs.beta]
instance_url = "{b.base_url}"
token_env = "BETA_TOKEN"
{extra}
""")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("ALPHA_TOKEN", a.token)
    monkeypatch.setenv("BETA_TOKEN", b.token)
    monkeypatch.setenv("COLUMNS", "200")


def sfmonitor(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args), Environment())  # capsys holds the streams; the logger is left as it was found
    out, err = capsys.readouterr()
    return code, out, err


def test_a_bare_id_two_orgs_hold_is_refused_and_org_id_acts_in_that_org_only(
    sim: Simulator, twin: Simulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    configure(tmp_path, monkeypatch, sim, twin)
    job_id = find_job(sim, "ingest", "InProgress")
    assert job_id in twin.world.jobs  # the same id in both orgs

    for order in (["-o", "alpha", "-o", "beta"], ["-o", "beta", "-o", "alpha"]):
        code, out, err = sfmonitor(capsys, "abort", job_id, "--yes", *order)
        assert code == 2, out + err
        assert "is in 2 orgs" in err and "alpha" in err and "beta" in err
        assert f"alpha:{job_id}" in err and f"beta:{job_id}" in err and "nothing was sent" in err
        assert len(err.strip().splitlines()) == 1
    assert writes(sim, job_id) == [] and writes(twin, job_id) == []

    sim.log.clear()
    twin.log.clear()
    code, out, err = sfmonitor(capsys, "abort", f"beta:{job_id}", "--yes", "-o", "alpha", "-o", "beta")
    assert code == 0, err
    assert "in org beta" in out and "InProgress -> Aborted" in out
    assert len(writes(twin, job_id)) == 1  # exactly one close/abort request, to beta
    assert list(sim.log) == []  # alpha was not even asked

    code, out, err = sfmonitor(capsys, "abort", f"alpha:{job_id}", "--yes")  # ORG: alone names the org
    assert code == 0, err
    assert len(writes(sim, job_id)) == 1 and len(writes(twin, job_id)) == 1


def test_an_org_not_among_those_given_is_one_usage_line(
    sim: Simulator, twin: Simulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    configure(tmp_path, monkeypatch, sim, twin)
    job_id = find_job(sim, "ingest", "InProgress")
    for command in (["abort", f"gamma:{job_id}", "--yes"], ["status", "--job", f"gamma:{job_id}"],
                    ["wait", f"gamma:{job_id}"], ["failures", f"gamma:{job_id}"]):  # fmt: skip
        code, out, err = sfmonitor(capsys, *command, "-o", "alpha", "-o", "beta")
        assert code == 2 and "org 'gamma'" in err and "not among the orgs given (alpha, beta)" in err, err
        assert len(err.strip().splitlines()) == 1 and out == ""
    assert list(sim.log) == [] and list(twin.log) == []


def test_a_read_only_org_refuses_even_with_yes(
    sim: Simulator, twin: Simulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    configure(tmp_path, monkeypatch, sim, twin)
    text = (tmp_path / "config" / "sfmonitor" / "config.toml").read_text()
    (tmp_path / "config" / "sfmonitor" / "config.toml").write_text(
        text.replace('token_env = "ALPHA_TOKEN"', 'token_env = "ALPHA_TOKEN"\nread_only = true')
    )
    job_id = find_job(sim, "ingest", "InProgress")
    code, _, err = sfmonitor(capsys, "abort", f"alpha:{job_id}", "--yes", "-o", "alpha", "-o", "beta")
    assert code == 1 and "alpha is read-only (read_only is set in its [orgs.alpha] table)" in err, err
    assert writes(sim, job_id) == []
    code, _, err = sfmonitor(capsys, "abort", f"beta:{job_id}", "--yes", "-o", "alpha", "-o", "beta")
    assert code == 0 and len(writes(twin, job_id)) == 1, err  # the other org is not read-only


def test_a_tables_rules_hold_however_its_org_is_named(
    sim: Simulator, twin: Simulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """read_only of [orgs.alpha] holds when alpha is reached through the environment's instance URL and
    token (no -o), and a table's rules hold when its org is named by its sf_alias."""
    from sfmonitor.cli.parser import CONNECTION_DEFAULTS, build_parser
    from sfmonitor.cli.targets import orgs_of

    configure(tmp_path, monkeypatch, sim, twin, extra='[orgs.production]\nsf_alias = "prod"\nproduction = true')
    path = tmp_path / "config" / "sfmonitor" / "config.toml"
    path.write_text(
        path.read_text().replace('token_env = "ALPHA_TOKEN"', 'token_env = "ALPHA_TOKEN"\nread_only = true')
    )
    monkeypatch.setenv("SF_INSTANCE_URL", sim.base_url + "/")
    monkeypatch.setenv("SF_ACCESS_TOKEN", sim.token)
    job_id = find_job(sim, "ingest", "InProgress")
    code, _, err = sfmonitor(capsys, "abort", job_id, "--yes")
    assert code == 1 and "read_only is set in its [orgs.alpha] table" in err, err
    assert writes(sim, job_id) == []

    args = build_parser().parse_args(["status", "-o", "prod"])
    for name, default in CONNECTION_DEFAULTS.items():
        setattr(args, name, getattr(args, name, default))
    (prod,) = orgs_of(args)
    assert (prod.name, prod.table, prod.production, prod.options.target_org) == ("prod", "production", True, "prod")


class _Terminal:
    def isatty(self) -> bool:
        return True


def test_production_of_that_org_is_respected_with_several_orgs(
    sim: Simulator, twin: Simulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """beta says production = true in its table (its org calls itself a sandbox): with -o alpha -o
    beta, a y by habit sends nothing; the job id's last 4 characters do."""
    from sfmonitor.cli import action

    configure(tmp_path, monkeypatch, sim, twin)
    text = (tmp_path / "config" / "sfmonitor" / "config.toml").read_text()
    (tmp_path / "config" / "sfmonitor" / "config.toml").write_text(
        text.replace('token_env = "BETA_TOKEN"', 'token_env = "BETA_TOKEN"\nproduction = true')
    )
    job_id = find_job(sim, "ingest", "InProgress")
    prompts: list[str] = []
    answers = iter(["y", job_id[-4:], "y"])

    def ask(prompt: str) -> str:
        prompts.append(prompt)
        return next(answers)

    monkeypatch.setattr(action, "_ask", ask)
    monkeypatch.setattr("sys.stdin", _Terminal())
    code, out, err = sfmonitor(capsys, "abort", f"beta:{job_id}", "-o", "alpha", "-o", "beta")
    assert code == 5 and writes(twin, job_id) == [], err  # y by habit: nothing
    assert "in org beta (PRODUCTION)" in out
    assert "PRODUCTION" in prompts[0] and f"({job_id[-4:]})" in prompts[0]
    code, out, err = sfmonitor(capsys, "abort", f"beta:{job_id}", "-o", "alpha", "-o", "beta")
    assert code == 0 and len(writes(twin, job_id)) == 1, err
    code, out, err = sfmonitor(capsys, "abort", f"alpha:{job_id}", "-o", "alpha", "-o", "beta")  # a sandbox: y
    assert code == 0 and len(writes(sim, job_id)) == 1, err
    assert prompts[2].endswith("[y/N] ") and "PRODUCTION" not in prompts[2]


def test_the_cli_asks_the_dashboards_question_in_the_protocols_words(
    sim: Simulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """One wording: a Bulk 1.0 close is "Close (state Closed: no more batches)" on the command line
    as on the dashboard (it had said "Close (upload complete)", the Bulk 2.0 words)."""
    from sfmonitor.bulk.models import Action, Job
    from sfmonitor.cli import action
    from sfmonitor.monitor.confirm import question
    from sfmonitor.ui.screens.confirm import ConfirmScreen

    monkeypatch.setenv("SF_INSTANCE_URL", sim.base_url)
    monkeypatch.setenv("SF_ACCESS_TOKEN", sim.token)
    with sim.world.lock:
        classic = next(j.id for j in sim.world.jobs.values() if j.api == "classic" and j.state == "Open")
    prompts: list[str] = []
    monkeypatch.setattr(action, "_ask", lambda prompt: prompts.append(prompt) or "n")
    monkeypatch.setattr("sys.stdin", _Terminal())
    code, out, err = sfmonitor(capsys, "close", classic)
    assert code == 5 and writes(sim, classic) == [], err
    assert out.startswith(f"Close (state Closed: no more batches) job {classic} (Bulk 1.0")
    assert prompts == ["Close (state Closed: no more batches) this job? [y/N] "]
    job = Job.from_fields({"id": classic, "jobType": "Classic", "state": "Open", "object": "Account",
                           "operation": "insert"})  # fmt: skip
    assert job.kind.label == "Bulk 1.0"
    screen = ConfirmScreen.for_action(job, Action.CLOSE, production=False, org=("dev", None))
    assert screen.question == question(job, Action.CLOSE, "dev", False).title == prompts[0].removesuffix(" [y/N] ")


def _finished_job(capsys: pytest.CaptureFixture[str], failed: bool = False) -> str:
    """A Bulk 2.0 ingest job of alpha that ended JobComplete with (``failed``) or without failed rows."""
    code, out, _ = sfmonitor(capsys, "status", "--format", "json", "-o", "alpha")
    assert code == 0
    ended = [j for j in json.loads(out)["jobs"] if j["state"] == "JobComplete" and j["jobType"] == "V2Ingest"]
    return next(j["id"] for j in ended if bool(j["numberRecordsFailed"]) is failed)


def test_status_wait_and_failures_answer_per_org(
    sim: Simulator, twin: Simulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """An id two orgs hold has two answers, each naming its org; ``ORG:JOBID`` asks that org only."""
    configure(tmp_path, monkeypatch, sim, twin)
    several = ["-o", "alpha", "-o", "beta"]
    job_id = _finished_job(capsys)

    code, out, err = sfmonitor(capsys, "status", "--format", "json", "--job", job_id, *several)
    assert code == 0, err
    assert {o["name"]: [j["id"] for j in o["jobs"]] for o in json.loads(out)["orgs"]} == {
        "alpha": [job_id], "beta": [job_id]
    }  # fmt: skip
    twin.log.clear()
    code, out, err = sfmonitor(capsys, "status", "--format", "json", "--job", f"alpha:{job_id}", *several)
    assert code == 0 and [o["name"] for o in json.loads(out)["orgs"]] == ["alpha"], err
    assert list(twin.log) == []  # beta was not asked
    code, out, err = sfmonitor(capsys, "status", "--job", "750000000000000AAA", *several)
    assert code == 1 and "no job 750000000000000AAA in the orgs named" in err

    code, out, err = sfmonitor(capsys, "wait", job_id, "--format", "json", *several)
    assert code == 0, err
    assert sorted((j["org"], j["id"]) for j in json.loads(out)) == [("alpha", job_id), ("beta", job_id)]
    code, out, err = sfmonitor(capsys, "wait", f"beta:{job_id}", "--format", "json", *several)
    assert code == 0 and [j["id"] for j in json.loads(out)] == [job_id], err

    failed = _finished_job(capsys, failed=True)
    code, out, err = sfmonitor(capsys, "failures", failed, *several)
    assert code == 0, err
    assert out.startswith(f"[alpha] job {failed} (2.0 ingest)") and f"\n\n[beta] job {failed} (2.0 ingest)" in out
    code, out, err = sfmonitor(capsys, "failures", failed, "--format", "json", *several)
    assert [o["org"] for o in json.loads(out)["orgs"]] == ["alpha", "beta"]
    code, out, err = sfmonitor(capsys, "failures", failed, "--format", "csv", *several)
    assert code == 2 and f"alpha:{failed} or beta:{failed}" in err and out == ""  # a CSV is one org's
    code, out, err = sfmonitor(capsys, "failures", f"beta:{failed}", "--format", "csv", *several)
    assert code == 0 and out.count("\n") > 1, err


def test_one_orgs_missing_secret_costs_that_org_only(
    sim: Simulator, twin: Simulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    gamma = (
        '[orgs.gamma]\ninstance_url = "https://gamma.example"\nclient_id = "app"\nclient_secret_env = "GAMMA_SECRET"'
    )
    delta = f'[orgs.delta]\nclient_id = "app"\nusername = "u@x"\nprivate_key_file = "{tmp_path / "no.key"}"\n'
    configure(tmp_path, monkeypatch, sim, twin, extra=gamma + "\n" + delta)
    monkeypatch.delenv("BETA_TOKEN")  # beta's token variable is not set; gamma's secret neither
    monkeypatch.delenv("GAMMA_SECRET", raising=False)
    monkeypatch.setenv("PATH", str(tmp_path))  # no sf CLI: `orgs` lists the config file's
    job_id = _finished_job(capsys)

    code, out, err = sfmonitor(capsys, "status", "-o", "alpha", "-o", "beta")
    assert code == 9, err  # partial
    assert out.startswith("[alpha] org 127.0.0.1") and job_id in out
    assert "[beta] not read: " in out and "the environment has no BETA_TOKEN" in out
    assert "org beta: not read: " in err and "BETA_TOKEN" in err

    code, out, err = sfmonitor(capsys, "status", "-o", "beta", "-o", "gamma", "-o", "delta")
    assert code == 3 and "BETA_TOKEN" in err and "GAMMA_SECRET" in err, err  # none could be read
    assert "org delta: not read: cannot read the JWT private key" in err  # an unreadable key file: its own

    code, out, err = sfmonitor(capsys, "orgs")
    assert code == 9, out + err
    lines = {line.split()[0]: line for line in out.splitlines()[1:] if line.strip()}
    assert "ok:" in lines["alpha"] and "cannot sign in" in lines["beta"] and "GAMMA_SECRET" in lines["gamma"]

    code, out, err = sfmonitor(capsys, "wait", job_id, "-o", "alpha", "-o", "beta")
    assert code == 9 and "org beta: not read: " in err and "1 job ended" in out, out + err  # not a clean 0
    code, out, err = sfmonitor(capsys, "abort", f"alpha:{job_id}", "--yes", "-o", "alpha", "-o", "beta")
    assert code == 1 and "finished" in err  # alpha's job answered for itself: beta was not needed


def test_an_orgs_interval_budget_and_read_only_have_one_rule(tmp_path: Path) -> None:
    """flags > the org's table > the file's top level > defaults; read-only by any stays read-only."""
    from sfmonitor.config.settings import in_force, load

    path = tmp_path / "config.toml"
    path.write_text('interval = 9\napi_budget = 9000\n[orgs.prod]\nsf_alias = "p"\nread_only = true\n'
                    'interval = 20\napi_budget = "1%"\n[orgs.dev]\nsf_alias = "d"\n')  # fmt: skip
    plain = load(path=path, env={})
    prod, dev = in_force(plain.orgs["prod"], plain), in_force(plain.orgs["dev"], plain)
    assert (prod.interval, str(prod.api_budget), prod.read_only) == (20, "1%", True)
    assert prod.read_only_why == "read_only is set in its [orgs.prod] table"
    assert (dev.interval, str(dev.api_budget), dev.read_only) == (9, str(plain.api_budget), False)
    flagged = load(path=path, env={}, interval=7, api_budget="100", read_only=True)
    prod = in_force(flagged.orgs["prod"], flagged)
    assert (prod.interval, str(prod.api_budget), prod.read_only, prod.read_only_why) == (7, "100/day", True, None)
    top = tmp_path / "top.toml"
    top.write_text('read_only = true\n[orgs.dev]\nsf_alias = "d"\n')
    whole = load(path=top, env={})  # read-only at the file's top level: said so, not "--read-only"
    assert in_force(whole.orgs["dev"], whole).read_only_why == "read_only = true at the top of the config file"
    defaults = load(path=tmp_path / "none.toml", env={})  # no file: the defaults
    assert in_force(plain.orgs["dev"], defaults).interval == 5.0 and not in_force(plain.orgs["dev"], defaults).read_only


def test_a_bare_id_is_not_acted_on_while_an_org_cannot_say_whether_it_holds_it(
    sim: Simulator, twin: Simulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """alpha holds the job and beta cannot be reached: beta might hold it too, so nothing is sent
    (exit 3) until ``ORG:JOBID`` says which org is meant."""
    configure(tmp_path, monkeypatch, sim, twin)
    monkeypatch.setenv("BETA_TOKEN", "not-" + twin.token)  # beta refuses the sign-in
    job_id = find_job(sim, "ingest", "InProgress")
    code, _, err = sfmonitor(capsys, "abort", job_id, "--yes", "-o", "alpha", "-o", "beta")
    assert code == 3 and f"job {job_id}: it is in alpha, but an org could not be asked" in err, err
    assert "beta: " in err and "give ORG:JOBID" in err and "nothing was sent" in err
    assert writes(sim, job_id) == [] and writes(twin, job_id) == []
    code, _, err = sfmonitor(capsys, "abort", f"alpha:{job_id}", "--yes", "-o", "alpha", "-o", "beta")
    assert code == 0 and len(writes(sim, job_id)) == 1, err


def test_nothing_running_is_no_clean_0_while_an_org_could_not_be_read(
    quiet_sim: Simulator, sim: Simulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:  # fmt: skip
    """`wait --running`: alpha runs nothing, beta cannot sign in (it might have had a running job)."""
    configure(tmp_path, monkeypatch, quiet_sim, sim)
    monkeypatch.delenv("BETA_TOKEN")
    code, out, err = sfmonitor(capsys, "wait", "--running", "-o", "alpha", "-o", "beta")
    assert code == 9, out + err
    assert "org beta: not read: " in err and "no job is running" in err
    code, out, err = sfmonitor(capsys, "wait", "--running", "-o", "alpha")
    assert code == 0 and "no job is running" in err, out + err
