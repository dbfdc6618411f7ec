"""``sfmonitor --recorder URL`` before the screen is taken: the address rule (plain http only on
loopback), its token file checked as a secret, a recorder that cannot be asked which orgs it records
(exit 3, and how to start anyway), and ``recorder = "…"`` in an org's table."""

from __future__ import annotations

import contextlib
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from sfmonitor.bulk.auth import Secret
from sfmonitor.bulk.errors import ConfigError
from sfmonitor.cli.parser import CONNECTION_DEFAULTS
from sfmonitor.config.orgs import parse_orgs
from sfmonitor.monitor.feed import Feed
from sfmonitor.monitor.figures import Published
from sfmonitor.monitor.org import Org
from sfmonitor.monitor.schedule import Schedule
from sfmonitor.serve.access import Listen
from sfmonitor.serve.metrics import Exposition
from sfmonitor.serve.server import RecorderServer
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


@contextlib.contextmanager
def recorder_of(*names: str, token: str | None = None) -> Iterator[str]:
    """A recorder's server (its feed only: no org behind it) that records ``names``; its address."""
    feed = Feed()
    feed.listed([Org(Schedule(5.0), remembered_as=name, target=f"https://{name}.example") for name in names])
    server = RecorderServer(Listen("127.0.0.1", 0), Exposition(Published()), Secret(token) if token else None, feed)
    server.start()
    try:
        yield f"http://127.0.0.1:{server.port}"
    finally:
        server.stop()


def test_every_recorded_org_is_watched_whatever_org_the_environment_names(monkeypatch: pytest.MonkeyPatch) -> None:
    """``SF_TARGET_ORG=uat``: the recorder's uat signs in as that alias; prod is shown too (its own alias)."""
    from sfmonitor.cli.parser import build_parser, with_default_command
    from sfmonitor.cli.watch import recorded

    monkeypatch.setenv("SF_TARGET_ORG", "uat")
    with recorder_of("prod", "uat") as url:
        args = build_parser().parse_args(with_default_command(["--recorder", url]))
        for name, default in CONNECTION_DEFAULTS.items():
            if not hasattr(args, name):
                setattr(args, name, default)
        orgs = recorded(args)
    assert [org.options.target_org for org in orgs] == ["prod", "uat"]
    assert [org.label for org in orgs] == ["prod", "uat"]  # each by the recorder's name for it


def test_a_recorder_that_wants_a_token_says_so_and_a_wrong_one_is_named(tmp_path: Path) -> None:
    wrong = tmp_path / "team.token"
    wrong.write_text("not-the-token\n")
    wrong.chmod(0o600)
    with recorder_of("prod", token="the-team-token") as url:
        none = run_cli(["--recorder", url])
        bad = run_cli(["--recorder", url, "--recorder-token-file", str(wrong)])
    assert none.returncode == 3 and "asks for a token (401)" in none.stderr and "-o NAME" not in none.stderr
    assert bad.returncode == 3 and "refused this dashboard's token (401)" in bad.stderr
    assert "the-team-token" not in bad.stderr + none.stderr and "not-the-token" not in bad.stderr
