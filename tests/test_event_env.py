"""The ``--on-event`` command's environment: sfmonitor's own without a secret it knows of, that is
``SF_ACCESS_TOKEN`` and every variable an ``[orgs.NAME]`` table's ``token_env`` or
``client_secret_env`` names. A real command dumps what it got."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from sfmonitor.config.orgs import parse_orgs, secret_variables
from sfmonitor.notify.event_command import run_event_command

DUMP = "import json, os, sys; json.dump(dict(os.environ), open(sys.argv[1], 'w')); sys.stdin.read()"

TABLES = {
    "uat": {"instance_url": "https://uat.example.com", "token_env": "UAT_TOKEN"},
    "int": {"instance_url": "https://int.example.com", "client_id": "3MVG9", "client_secret_env": "INT_SECRET"},
    "prod": {"sf_alias": "prod"},
}


async def test_the_event_command_gets_no_token_and_no_variable_an_org_names(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    secrets = {"SF_ACCESS_TOKEN": "00Dx!static", "UAT_TOKEN": "00Dx!uat", "INT_SECRET": "s3cret"}
    for name, value in {**secrets, "SF_INSTANCE_URL": "https://uat.example.com", "SLACK_HOOK": "https://hook"}.items():
        monkeypatch.setenv(name, value)
    hidden = secret_variables(parse_orgs(TABLES, "config file").values())
    dump = tmp_path / "env.json"

    ok = await run_event_command([sys.executable, "-c", DUMP, str(dump)], {"event": "failed"}, 30, hidden)

    got = json.loads(dump.read_text())
    assert ok
    assert not set(secrets) & set(got)
    assert not [value for value in got.values() if any(secret in value for secret in secrets.values())]
    assert got["SLACK_HOOK"] == "https://hook" and got["SF_INSTANCE_URL"] == "https://uat.example.com"
    assert "PATH" in got


async def test_without_orgs_the_event_command_still_never_gets_SF_ACCESS_TOKEN(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SF_ACCESS_TOKEN", "00Dx!static")
    dump = tmp_path / "env.json"

    assert await run_event_command([sys.executable, "-c", DUMP, str(dump)], {"event": "failed"}, 30)

    assert "SF_ACCESS_TOKEN" not in json.loads(dump.read_text())


def test_the_dashboard_hides_every_configured_orgs_variables_from_its_event_command() -> None:
    from sfmonitor.config.settings import Settings
    from sfmonitor.ui.app import SfMonitorApp

    orgs = parse_orgs(TABLES, "config file")
    app = SfMonitorApp([orgs["uat"]], Settings(orgs=orgs))

    assert set(app.alerts.hidden) == {"UAT_TOKEN", "INT_SECRET"}
