"""``sfmonitor --recorder URL`` before the screen is taken: the address rule (plain http only on
loopback), its token file checked as a secret, a recorder that cannot be asked which orgs it records
(exit 3, and how to start anyway), and ``recorder = "…"`` in an org's table."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from sfmonitor.bulk.errors import ConfigError
from sfmonitor.config.orgs import parse_orgs
from tests.cli.runner import run_cli


def dead_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])  # closed at once: nothing listens there


@pytest.mark.parametrize(
    ("url", "words"),
    [
        ("http://10.0.0.5:9464", "plain http only to a loopback address"),
        ("ftp://127.0.0.1:9464", "wants the recorder's address"),
        ("127.0.0.1:9464", "wants the recorder's address"),
    ],
)
def test_a_recorder_address_that_cannot_be_used_is_refused_in_one_line(url: str, words: str) -> None:
    result = run_cli(["--recorder", url])
    assert result.returncode == 2, result.stderr
    assert words in result.stderr and len(result.stderr.strip().splitlines()) == 1


def test_a_recorder_token_file_open_to_others_is_refused_without_its_content(tmp_path: Path) -> None:
    token = tmp_path / "team.token"
    token.write_text("s3cret-Team-token\n")
    token.chmod(0o644)
    result = run_cli(["--recorder", "http://127.0.0.1:9464", "--recorder-token-file", str(token)])
    assert result.returncode == 2
    assert "chmod 600" in result.stderr and "s3cret" not in result.stderr


def test_a_recorder_not_there_without_named_orgs_exits_3_and_says_how_to_start_anyway() -> None:
    result = run_cli(["--recorder", f"http://127.0.0.1:{dead_port()}"])
    assert result.returncode == 3, result.stderr
    assert "not reachable" in result.stderr and "-o NAME" in result.stderr


def test_an_org_table_may_be_read_through_a_recorder_with_no_sign_in_of_its_own(tmp_path: Path) -> None:
    orgs = parse_orgs({"prod": {"recorder": "http://127.0.0.1:9464"},
                       "uat": {"sf_alias": "uat", "recorder": "https://rec.example.com",
                               "recorder_token_file": "~/team.token"}}, "config.toml")  # fmt: skip
    assert orgs["prod"].recorder == "http://127.0.0.1:9464"
    assert orgs["prod"].options.unusable and "no sign-in" in orgs["prod"].options.unusable
    assert orgs["uat"].options.target_org == "uat" and orgs["uat"].recorder_token_file
    assert orgs["uat"].recorder_token_file.endswith("/team.token") and "~" not in orgs["uat"].recorder_token_file
    with pytest.raises(ConfigError, match="say how it signs in"):
        parse_orgs({"dev": {"label": "Dev"}}, "config.toml")
