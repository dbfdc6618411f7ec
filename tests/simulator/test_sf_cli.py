"""The real Salesforce CLI against the simulator: sign in with an access token, load, upsert,
export and fetch results, then see the load's failures in sfmonitor. A rehearsal of a real load.

The CLI is pinned in ``tests/sf_cli/package.json`` (a version that runs on Node 20, with undici held
to 7.16) and installed once per machine, with ``npm ci``, into a cache keyed by its lock file
(tests/sf_cli/install.py; ``.ci/run`` installs it before the tests). Without ``npm`` on the machine
these tests are skipped, saying so.
"""

from __future__ import annotations

import csv
import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from sfmonitor.simulator.server import Simulator
from tests.cli.runner import run_cli
from tests.sf_cli.install import cache_root, install

pytestmark = pytest.mark.xdist_group("sf_cli")  # one worker signs in once for them all (--dist loadgroup)

CACHE = cache_root()  # read at import, before a test's environment points XDG_CACHE_HOME elsewhere


@pytest.fixture(scope="session")
def sf_cli() -> Path:
    if shutil.which("npm") is None or shutil.which("node") is None:
        pytest.skip("npm and node are not on this machine: the Salesforce CLI scenarios need them")
    return install(CACHE)  # once per machine and lock file, whatever the number of test workers


@pytest.fixture(scope="module")
def sf(sf_cli: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Simulator, object]]:
    """One sign-in (``sf org login access-token``) for the module's scenarios, as an operator signs in once and then
    runs command after command (each sf start costs seconds of CPU). They share the org, ``HOME`` and ``run.work``;
    each scenario's files and records are its own. One test worker runs them all (``xdist_group``)."""
    root = tmp_path_factory.mktemp("sf")
    home = root / "home"
    work = root / "work"
    home.mkdir()
    work.mkdir()
    with Simulator(speed=600, spawn_every=0, seeded=False) as fast_sim:  # the conftest's fast_sim, for the module
        env = {
            "PATH": os.environ["PATH"], "HOME": str(home), "SF_ACCESS_TOKEN": fast_sim.token,
            "SF_DISABLE_TELEMETRY": "true", "SF_AUTOUPDATE_DISABLE": "true",
            "SF_DISABLE_AUTOUPDATE": "true",  # the name oclif's update hook reads: else every sf start leaves a
            # detached `sf update --autoupdate` behind (pinned while sf runs, on the CPU the suite shares)
            "SF_SKIP_NEW_VERSION_CHECK": "true",
            "SF_USE_GENERIC_UNIX_KEYCHAIN": "true", "SF_CONTAINER_MODE": "true", "NO_COLOR": "1",
        }  # fmt: skip

        def run(*args: str) -> tuple[int, dict[str, object]]:
            result = subprocess.run([str(sf_cli), *args, "--json"], env=env, cwd=work, capture_output=True, text=True,
                                    timeout=180, stdin=subprocess.DEVNULL)  # fmt: skip
            try:
                return result.returncode, json.loads(result.stdout)
            except json.JSONDecodeError:
                raise AssertionError(f"sf {' '.join(args)}: {result.stdout[-2000:]} {result.stderr[-2000:]}") from None

        code, login = run(
            "org", "login", "access-token", "--instance-url", fast_sim.base_url, "--no-prompt", "--alias", "sim"
        )
        assert code == 0, login
        run.work = work  # type: ignore[attr-defined]
        run.env = env  # type: ignore[attr-defined]
        yield fast_sim, run
        assert not _left_behind(home), f"sf left processes running: {_left_behind(home)}"


def _left_behind(home: Path) -> list[str]:
    """Processes still running with this test's HOME (sf's detached children: an autoupdate, a daemon)."""
    mark = f"HOME={home}".encode()
    found = []
    for proc in Path("/proc").glob("[0-9]*"):
        try:
            if mark in (proc / "environ").read_bytes().split(b"\0"):
                found.append((proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace"))
        except OSError:
            continue
    return found


CONTACTS = 'LastName,Email,External_Id__c\nSmith,s@x.org,E1\n,nolast@x.org,E2\n"O\'Hara, Jr.",o@x.org,E3\n'


def test_login_reads_the_user_and_the_organization(sf: tuple[Simulator, object]) -> None:
    sim, run = sf
    code, display = run("org", "display", "--target-org", "sim")  # type: ignore[operator]
    assert code == 0, display
    result = display["result"]
    assert isinstance(result, dict)
    assert result["username"] == "operator@sfmonitor.sim" and result["instanceUrl"].rstrip("/") == sim.base_url
    paths = [p for _, p, _ in sim.log]
    assert "/services/oauth2/userinfo" in paths and any("/sobjects/User/" in p for p in paths)
    assert sim.token not in json.dumps(display)  # sf keeps the token to itself too


def test_import_upsert_export_and_results_run_end_to_end(sf: tuple[Simulator, object]) -> None:
    sim, run = sf
    work: Path = run.work  # type: ignore[attr-defined]
    (work / "contacts.csv").write_text(CONTACTS)
    code, imported = run("data", "import", "bulk", "--sobject", "Contact", "--file", "contacts.csv",  # type: ignore[operator]
                         "--target-org", "sim", "--wait", "5")  # fmt: skip
    assert code == 1 and imported["name"] == "FailedRecordDetailsError", imported  # sf: one row failed
    job_id = imported["data"]["jobId"]  # type: ignore[index]
    code, results = run("data", "bulk", "results", "--job-id", job_id, "--target-org", "sim")  # type: ignore[operator]
    assert code == 0, results
    summary = results["result"]
    assert isinstance(summary, dict)
    assert (summary["processedRecords"], summary["successfulRecords"], summary["failedRecords"]) == (3, 2, 1)
    with (work / summary["failedFilePath"]).open(newline="") as handle:
        failed = list(csv.DictReader(handle))
    assert failed[0]["sf__Error"] == "REQUIRED_FIELD_MISSING:Required fields are missing: [LastName]"
    assert failed[0]["Email"] == "nolast@x.org"
    (work / "fix.csv").write_text("LastName,Email,External_Id__c\nSmythe,s@x.org,E1\nNew,n@x.org,E9\n")
    code, upserted = run("data", "upsert", "bulk", "--sobject", "Contact", "--file", "fix.csv",  # type: ignore[operator]
                         "--external-id", "External_Id__c", "--target-org", "sim", "--wait", "5")  # fmt: skip
    assert code == 0, upserted
    code, exported = run("data", "export", "bulk", "--query", "SELECT Id, LastName, External_Id__c FROM Contact",  # type: ignore[operator]
                         "--output-file", "out.csv", "--target-org", "sim", "--wait", "5")  # fmt: skip
    assert code == 0, exported
    with (work / "out.csv").open(newline="") as handle:
        rows = {r["External_Id__c"]: r["LastName"] for r in csv.DictReader(handle)}
    assert rows == {"E1": "Smythe", "E3": "O'Hara, Jr.", "E9": "New"}
    # the rehearsal's point: the load's failures, read by sfmonitor
    shown = run_cli(["failures", str(job_id), "--format", "json"],
                    {"SF_INSTANCE_URL": sim.base_url, "SF_ACCESS_TOKEN": sim.token})  # fmt: skip
    assert shown.returncode == 0, shown.stderr
    doc = json.loads(shown.stdout)
    assert doc["failed"] == 1 and doc["groups"][0]["code"] == "REQUIRED_FIELD_MISSING"
    assert doc["groups"][0]["samples"] == [{"LastName": "", "Email": "nolast@x.org", "External_Id__c": "E2"}]


def test_sfmonitor_finds_the_sf_default_org(sf: tuple[Simulator, object], sf_cli: Path) -> None:
    sim, run = sf
    code, configured = run("config", "set", "target-org", "sim", "--global")  # type: ignore[operator]
    assert code == 0, configured
    env = {**run.env, "PATH": f"{sf_cli.parent}{os.pathsep}{os.environ['PATH']}"}  # type: ignore[attr-defined]
    env.pop("SF_ACCESS_TOKEN")
    status = run_cli(["status", "--format", "json"], env)
    assert status.returncode == 0, status.stderr  # no org given: the sf CLI's default org, through sf itself
    assert json.loads(status.stdout)["instanceUrl"].rstrip("/") == sim.base_url
    assert sim.token not in status.stdout
