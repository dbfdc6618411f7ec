"""Choosing orgs: the config file's [orgs.NAME] tables, and `sfmonitor orgs` trying each sign-in."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from sfmonitor.bulk.errors import ConfigError
from sfmonitor.bulk.models import Action
from sfmonitor.config.orgs import ORG_HUES
from sfmonitor.config.settings import load
from sfmonitor.simulator.api.rest import USERNAME
from sfmonitor.simulator.jwt_grant import ConnectedApp
from sfmonitor.simulator.server import Simulator
from sfmonitor.ui.screens.confirm import ConfirmScreen
from tests.bulk.test_sign_in import CLIENT_ID, key_pair
from tests.cli.runner import run_cli as run
from tests.conftest import make_sim
from tests.fakes import fake_sf


def _config(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config" / "sfmonitor" / "config.toml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def test_org_tables_say_how_each_org_signs_in(tmp_path: Path) -> None:
    secret = tmp_path / "secret"
    secret.write_text("s3cret\n")
    secret.chmod(0o600)
    path = _config(
        tmp_path,
        f"""
[orgs.prod]
sf_alias = "prod"
label = "PROD"
colour = "red"
read_only = true
production = true

[orgs.uat]
instance_url = "https://acme--uat.sandbox.my.salesforce.com"
token_env = "UAT_TOKEN"
interval = 10
api_budget = "2%"

[orgs.int]
instance_url = "https://acme--int.sandbox.my.salesforce.com"
client_id = "app"
client_secret_file = "{secret}"

[orgs.ops]
client_id = "app"
username = "ops@acme.com"
private_key_file = "{tmp_path / "ops.key"}"
login_url = "https://test.salesforce.com"
""",
    )
    orgs = load(path=path, env={"UAT_TOKEN": "tok"}).orgs
    assert list(orgs) == ["prod", "uat", "int", "ops"]
    assert (orgs["prod"].label, orgs["prod"].colour, orgs["prod"].read_only, orgs["prod"].production) == (
        "PROD",
        "red",
        True,
        True,
    )
    assert orgs["prod"].options.target_org == "prod"
    assert (
        orgs["uat"].options.access_token == "tok"
        and orgs["uat"].interval == 10
        and orgs["uat"].sign_in == "token from $UAT_TOKEN"
    )
    assert orgs["int"].options.client_secret == "s3cret" and orgs["int"].sign_in == "client credentials"
    assert (
        orgs["ops"].options.jwt_username == "ops@acme.com"
        and orgs["ops"].options.login_url == "https://test.salesforce.com"
    )
    assert "s3cret" not in repr([o.sign_in for o in orgs.values()])  # fmt: skip


@pytest.mark.parametrize(
    ("table", "says"),
    [
        ('color = "red"\nsf_alias = "x"', "unknown key 'color'"),
        ('instance_url = "https://a.my.salesforce.com"', "needs token_env"),
        ('instance_url = "https://a.my.salesforce.com"\nclient_id = "c"', "client_secret_env or client_secret_file"),
        ('client_id = "c"\nusername = "u"', "needs client_id, username and private_key_file"),
        ('label = "x"', "say how it signs in"),
        ('sf_alias = "x"\nread_only = "yes"', "read_only must be true or false"),
        ('sf_alias = "x"\ncolour = "blurple"', "is not a colour"),
    ],
)
def test_a_mistake_in_an_org_table_is_one_clear_line(tmp_path: Path, table: str, says: str) -> None:
    with pytest.raises(ConfigError, match=says) as caught:
        load(path=_config(tmp_path, f"[orgs.bad]\n{table}\n"), env={})
    assert "[orgs.bad]" in str(caught.value)


def test_orgs_lists_configured_and_discovered_orgs_and_tries_each_sign_in(sim: Simulator, tmp_path: Path) -> None:
    key, cert = key_pair(tmp_path)
    sim.api.connected_app = ConnectedApp(CLIENT_ID, cert)
    other = make_sim(seed=11)
    try:
        _config(
            tmp_path,
            f"""
[orgs.jwt]
client_id = "{CLIENT_ID}"
username = "{USERNAME}"
private_key_file = "{key}"
login_url = "{sim.base_url}"

[orgs.cc]
instance_url = "{other.base_url}"
client_id = "app"
client_secret_env = "CC_SECRET"

[orgs.down]
instance_url = "http://127.0.0.1:9"
token_env = "DOWN_TOKEN"
""",
        )
        bin_dir = fake_sf(tmp_path, sim)
        env = {"XDG_CONFIG_HOME": str(tmp_path / "config"), "CC_SECRET": "shh", "DOWN_TOKEN": "t", "COLUMNS": "200",
               "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}"}  # fmt: skip
        result = run(["orgs"], env)
        assert result.returncode == 9, result.stdout + result.stderr  # one cannot sign in: partial
        lines = {line.split()[0]: line for line in result.stdout.splitlines()[1:] if line.strip()}
        assert f"ok: {USERNAME} at {sim.base_url}" in lines["jwt"] and "JWT bearer" in lines["jwt"]
        assert f"at {other.base_url}" in lines["cc"] and "ok:" in lines["cc"]
        assert "cannot sign in" in lines["down"]
        assert "sf CLI" in lines["ops"]  # discovered through sf org list
        # the user the org says the token is (userinfo), and the sf CLI's differing word for it
        assert "ok: operator@sfmonitor.sim at" in lines["ops"] and "(its sign-in names ops@acme.test)" in lines["ops"]
        assert "old" not in lines and "broken" not in lines  # expired, disconnected: not offered
        assert "shh" not in result.stdout + result.stderr and sim.token not in result.stdout
    finally:
        other.stop()


def _two_orgs(tmp_path: Path, a: Simulator, b: Simulator) -> dict[str, str]:
    _config(
        tmp_path,
        f"""
[orgs.alpha]
instance_url = "{a.base_url}"
token_env = "ALPHA_TOKEN"

[orgs.beta]
instance_url = "{b.base_url}"
token_env = "BETA_TOKEN"

[orgs.down]
instance_url = "http://127.0.0.1:9"
token_env = "ALPHA_TOKEN"
""",
    )
    return {"XDG_CONFIG_HOME": str(tmp_path / "config"), "ALPHA_TOKEN": a.token, "BETA_TOKEN": b.token}


def test_status_of_several_orgs_and_one_that_cannot_be_read(sim: Simulator, tmp_path: Path) -> None:
    import json

    other = make_sim(seed=11)
    try:
        env = _two_orgs(tmp_path, sim, other)
        result = run(["status", "--format", "json", "-o", "alpha", "-o", "beta", "-o", "down"], env)
        assert result.returncode == 9, result.stderr  # one org not read: partial
        orgs = {o["name"]: o for o in json.loads(result.stdout)["orgs"]}
        assert orgs["alpha"]["instanceUrl"] == sim.base_url and orgs["beta"]["instanceUrl"] == other.base_url
        with sim.world.lock, other.world.lock:
            assert {j["id"] for j in orgs["alpha"]["jobs"]} == set(sim.world.jobs)
            assert {j["id"] for j in orgs["beta"]["jobs"]} == set(other.world.jobs)
        assert orgs["down"]["jobs"] == [] and orgs["down"]["errors"][0]["message"]
        assert "org down: not read" in result.stderr
        one = run(["status", "--format", "json", "-o", "alpha"], env)  # one org keeps today's shape
        assert one.returncode == 0 and json.loads(one.stdout)["instanceUrl"] == sim.base_url
    finally:
        other.stop()


def test_all_orgs_reads_the_config_files_orgs_and_the_connected_ones_sf_knows(sim: Simulator, tmp_path: Path) -> None:
    import json

    other = make_sim(seed=11)
    try:
        env = _two_orgs(tmp_path, sim, other)
        # sf knows ops; old is expired, broken is not connected
        env["PATH"] = f"{fake_sf(tmp_path, sim)}:{os.environ['PATH']}"
        result = run(["status", "--format", "json", "--all-orgs"], env)
        orgs = {o["name"]: o for o in json.loads(result.stdout)["orgs"]}
        assert set(orgs) == {"alpha", "beta", "down", "ops"}, result.stderr
        assert orgs["ops"]["instanceUrl"] == sim.base_url and orgs["ops"]["jobs"]  # signed in through sf
        assert result.returncode == 9  # "down" could not be read: a partial snapshot is not exit 0
    finally:
        other.stop()


def test_abort_finds_the_org_that_holds_the_job(sim: Simulator, tmp_path: Path) -> None:
    from tests.conftest import find_job, writes

    other = make_sim(seed=11)
    try:
        env = _two_orgs(tmp_path, sim, other)
        job_id = find_job(other, "ingest", "InProgress")
        result = run(["abort", job_id, "--yes", "-o", "alpha", "-o", "beta"], env)
        assert result.returncode == 0, result.stderr
        assert f"job {job_id} is in org beta" in result.stdout and "-> Aborted" in result.stdout
        assert len(writes(other, job_id)) == 1 and not writes(sim, job_id)
        missing = run(["abort", "750000000000000AAA", "--yes", "-o", "alpha", "-o", "beta"], env)
        assert missing.returncode == 1 and "no job 750000000000000AAA in any of the 2 orgs" in missing.stderr
        watch = run(["watch", "-o", "alpha", "-o", "beta"], env)
        assert watch.returncode == 2 and "needs a terminal" in watch.stderr  # both orgs taken: no terminal here
    finally:
        other.stop()


def test_a_config_org_watched_brings_its_read_only_interval_and_budget(tmp_path: Path) -> None:
    from sfmonitor.ui.app import SfMonitorApp

    path = _config(tmp_path, 'interval = 5\napi_budget = 9000\n[orgs.prod]\nsf_alias = "p"\nread_only = true\n'
                             'interval = 20\napi_budget = "1%"\nlabel = "PROD"\n')  # fmt: skip
    settings = load(path=path, env={})
    watched = SfMonitorApp([settings.orgs["prod"]], settings).org
    assert watched.read_only and watched.schedule.interval == 20
    assert str(watched.schedule.budget) == str(settings.orgs["prod"].api_budget)
    assert "read_only is set in its [orgs.prod] table" in (watched.refusal(Action.ABORT, None) or "")
    flags = load(path=path, env={}, interval=7, api_budget="100")
    flagged = SfMonitorApp([flags.orgs["prod"]], flags).org
    assert flagged.schedule.interval == 7 and str(flagged.schedule.budget) == str(flags.api_budget)


async def test_the_dashboard_names_a_config_org_by_its_label_and_keeps_it_read_only(sim: Simulator) -> None:
    from sfmonitor.config.connection import ConnectionOptions
    from sfmonitor.config.settings import Settings
    from sfmonitor.ui.app import SfMonitorApp
    from tests.conftest import find_job
    from tests.ui.helpers import jobs_table, wait_for

    options = ConnectionOptions(instance_url=sim.base_url, access_token=sim.token)
    app = SfMonitorApp(options, Settings(interval=0.5, read_only=True), label="PROD", production=True)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: app.org.state.polls_done)
        assert str(app.screen.query_one("#header").render()).startswith("PROD ")
        assert app.org.production is True  # the table said so: IsSandbox is not asked
        assert not any(re.search(r"/v[0-9.]+/query$", p) for _, p, _ in sim.log)  # Organization not asked
        job_id = find_job(sim, "ingest", "InProgress")
        jobs_table(app).select(job_id)
        app.action_abort_job()  # the action itself refuses, not only the binding
        await pilot.pause()
        assert app.org.refusal(Action.ABORT, app.org.state.jobs[job_id]) is not None
        assert not isinstance(app.screen, ConfirmScreen)


async def test_the_confirmation_names_the_org_in_its_colour(sim: Simulator) -> None:
    from sfmonitor.config.connection import ConnectionOptions
    from sfmonitor.config.settings import Settings
    from sfmonitor.ui.app import SfMonitorApp
    from tests.conftest import find_job
    from tests.ui.helpers import ask

    options = ConnectionOptions(instance_url=sim.base_url, access_token=sim.token)
    app = SfMonitorApp(options, Settings(interval=0.5), label="UAT", colour="magenta")
    async with app.run_test(size=(120, 40)) as pilot:
        await ask(pilot, app, find_job(sim, "ingest", "InProgress"), "a")
        details = app.screen.query_one("#details").render()
        text = str(details)
        assert text.startswith("Org       UAT")
        assert isinstance(app.screen, ConfirmScreen)
        assert app.screen.colours == {"Org": f"bold {ORG_HUES['magenta']}"}  # drawn in the org's own hue
