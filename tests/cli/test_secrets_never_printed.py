"""A token is never printed. A token read from a CRLF file, or pasted with a space after it, signs
in (the whitespace around it is not part of it); one holding any other control character is refused
in one line that names where it came from and never shows it; an HTTP library's refusal, whose text
quotes the header, never reaches the operator or the log; a ``client_secret_env`` given the secret
itself in place of a variable name is refused without echoing it. Real simulators on real sockets."""

from __future__ import annotations

import logging
import os
from pathlib import Path

import pytest

from sfmonitor.bulk.auth import OrgSession, Secret, clean_secret
from sfmonitor.bulk.errors import AuthError, ConfigError, TransportError
from sfmonitor.bulk.transport import Transport
from sfmonitor.cli.exits import ExitCode
from sfmonitor.simulator.server import Simulator
from tests.cli.runner import run_cli
from tests.fakes import fake_sf

AROUND = ["\r", "\r\n", " ", "  \t", "\n"]


def config(tmp_path: Path, text: str) -> dict[str, str]:
    """A config file of ``text``; the environment that points sfmonitor at it."""
    path = tmp_path / "config" / "sfmonitor" / "config.toml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return {"XDG_CONFIG_HOME": str(tmp_path / "config"), "COLUMNS": "200"}


def pieces(token: str) -> list[str]:
    """The token, and the halves of it around the middle: none of them may be printed."""
    middle = len(token) // 2
    return [token, token[:middle], token[middle:]]


def assert_not_shown(token: str, *outputs: str) -> None:
    for text in outputs:
        for piece in pieces(token):
            assert piece not in text


@pytest.mark.parametrize("around", AROUND, ids=repr)
def test_a_token_from_SF_ACCESS_TOKEN_with_whitespace_around_it_signs_in(sim: Simulator, around: str) -> None:
    result = run_cli(["status"], {"SF_INSTANCE_URL": sim.base_url, "SF_ACCESS_TOKEN": sim.token + around})

    assert result.returncode == ExitCode.OK, result.stderr
    assert result.stdout.strip() and not result.stderr
    assert_not_shown(sim.token, result.stdout, result.stderr)


@pytest.mark.parametrize("around", ["\r", " "], ids=repr)
def test_a_token_from_an_orgs_token_env_with_whitespace_around_it_signs_in(
    sim: Simulator, tmp_path: Path, around: str
) -> None:
    env = config(tmp_path, f'[orgs.uat]\ninstance_url = "{sim.base_url}"\ntoken_env = "UAT_TOKEN"\n')

    status = run_cli(["status", "-o", "uat"], {**env, "UAT_TOKEN": sim.token + around})
    orgs = run_cli(["orgs"], {**env, "UAT_TOKEN": sim.token + around})

    assert status.returncode == ExitCode.OK, status.stderr
    assert orgs.returncode == ExitCode.OK, orgs.stdout + orgs.stderr
    assert "ok: " in orgs.stdout and "token from $UAT_TOKEN" in orgs.stdout
    assert_not_shown(sim.token, status.stdout, status.stderr, orgs.stdout, orgs.stderr)


@pytest.mark.parametrize("bad", ["\r", "\x01", "\x1b", "\x7f", " ", "\u200b", "é"], ids=repr)
def test_a_token_holding_a_control_character_is_refused_in_one_line_that_never_shows_it(
    sim: Simulator, bad: str
) -> None:
    token = sim.token[:10] + bad + sim.token[10:]

    from_env = run_cli(["status"], {"SF_INSTANCE_URL": sim.base_url, "SF_ACCESS_TOKEN": token})
    from_flag = run_cli(["status", "--instance-url", sim.base_url, "--access-token", token])

    for result, source in ((from_env, "SF_ACCESS_TOKEN"), (from_flag, "--access-token")):
        assert result.returncode == ExitCode.USAGE  # a configuration to fix: exit 2, nothing sent
        assert result.stdout == ""
        line = result.stderr.strip()
        assert "\n" not in line and source in line and "at character 11 of" in line
        assert_not_shown(sim.token, result.stderr)
    assert not [entry for entry in sim.log if "/jobs" in entry[1]]  # the org was never asked


@pytest.mark.parametrize(
    "command",
    [["wait", "750000000000001AAA"], ["failures", "750000000000001AAA"], ["close", "750000000000001AAA", "--yes"],
     ["abort", "750000000000001AAA", "--yes"], ["watch"]],
    ids=lambda command: command[0],
)  # fmt: skip
def test_every_command_refuses_such_a_token_before_sending_anything(sim: Simulator, command: list[str]) -> None:
    token = sim.token[:10] + "\x1b[2J" + sim.token[10:]

    result = run_cli(command, {"SF_INSTANCE_URL": sim.base_url, "SF_ACCESS_TOKEN": token})

    assert result.returncode == ExitCode.USAGE
    assert result.stderr.count("\n") == 1 and "SF_ACCESS_TOKEN holds a control character (U+001B)" in result.stderr
    assert_not_shown(sim.token, result.stdout, result.stderr)
    assert not [entry for entry in sim.log if "/jobs" in entry[1]]


def test_an_orgs_token_with_a_control_character_costs_that_org_only_and_is_never_shown(
    sim: Simulator, tmp_path: Path
) -> None:
    env = config(
        tmp_path,
        f"""
[orgs.good]
instance_url = "{sim.base_url}"
token_env = "GOOD_TOKEN"

[orgs.bad]
instance_url = "{sim.base_url}"
token_env = "BAD_TOKEN"
""",
    )
    bad_token = sim.token[:10] + "\x07" + sim.token[10:] + "\r\n"
    env |= {"GOOD_TOKEN": sim.token + "\r", "BAD_TOKEN": bad_token}

    orgs = run_cli(["orgs"], env)
    status = run_cli(["status", "--all-orgs", "-v"], env)  # -v: the log's lines on stderr

    assert orgs.returncode == ExitCode.PARTIAL
    bad_line = next(line for line in orgs.stdout.splitlines() if line.startswith("bad "))
    assert "cannot sign in" in bad_line and "$BAD_TOKEN" in bad_line and "U+0007" in bad_line
    assert status.returncode == ExitCode.PARTIAL
    assert_not_shown(sim.token, orgs.stdout, orgs.stderr, status.stdout, status.stderr)


def test_a_token_the_sf_cli_gives_is_cleaned_the_same_way(sim: Simulator, tmp_path: Path) -> None:
    (tmp_path / "spaced").mkdir(), (tmp_path / "bad").mkdir()
    spaced = fake_sf(tmp_path / "spaced", sim, token_tail="\r\n")
    bad = fake_sf(tmp_path / "bad", sim, token_tail="\x1b[0m")

    works = run_cli(["status", "-o", "ops"], {"PATH": f"{spaced}:{os.environ['PATH']}"})
    refused = run_cli(["status", "-o", "ops"], {"PATH": f"{bad}:{os.environ['PATH']}"})

    assert works.returncode == ExitCode.OK, works.stderr
    assert refused.returncode == ExitCode.CONNECT  # the org's sign-in failed: nothing to fix in the options
    assert "the access token sf CLI gave for org 'ops' holds a control character (U+001B)" in refused.stderr
    for token in list(sim.api.tokens):  # every token the org issued, the sf CLI's among them
        assert_not_shown(token, works.stdout, works.stderr, refused.stdout, refused.stderr)


@pytest.mark.parametrize(
    "pasted",
    [
        "00D5g000004XyZ!AQ8AQHx.m3Fq1b2c3d4e5f6g7h8i9j0k_lmnopqrstu",  # a session id: not a variable name
        "E1D5B6F1A2C3D4E5F60718293A4B5C6D7E8F90A1B2C3D4E5F60718293A4B5C6D",  # a consumer secret, a letter first
        "8C4F2B1A9D3E",  # a short secret, a digit first
    ],
)
def test_a_client_secret_env_given_the_secret_itself_is_refused_without_echoing_it(
    sim: Simulator, tmp_path: Path, pasted: str
) -> None:
    env = config(
        tmp_path,
        f"""
[orgs.int]
instance_url = "{sim.base_url}"
client_id = "sfmonitor-demo"
client_secret_env = "{pasted}"
""",
    )

    orgs = run_cli(["orgs"], env)
    status = run_cli(["status", "-o", "int"], env)

    for result in (orgs, status):
        assert result.returncode == ExitCode.USAGE
        assert "client_secret_env must be the NAME of an environment variable" in result.stderr
        assert_not_shown(pasted, result.stdout, result.stderr)


def test_a_client_secret_env_naming_a_variable_signs_in_and_its_value_is_cleaned(
    sim: Simulator, tmp_path: Path
) -> None:
    env = config(
        tmp_path,
        f"""
[orgs.int]
instance_url = "{sim.base_url}"
client_id = "sfmonitor-demo"
client_secret_env = "INT_SECRET"
""",
    )
    secret = "demo-secret-1234567890"

    orgs = run_cli(["orgs"], {**env, "INT_SECRET": secret + "\r\n"})
    refused = run_cli(["orgs"], {**env, "INT_SECRET": "demo\x1b[2Jsecret"})

    assert orgs.returncode == ExitCode.OK, orgs.stdout
    assert refused.returncode == ExitCode.CONNECT  # its only org cannot sign in
    assert "the client secret in $INT_SECRET holds a control character (U+001B) at character 5" in refused.stdout
    for shown in (secret, *sim.api.tokens):
        assert_not_shown(shown, orgs.stdout, orgs.stderr)
    assert "demo\x1b" not in refused.stdout and "secret" not in refused.stdout.replace("client secret", "")


async def test_a_header_httpx_refuses_is_told_in_fixed_words_never_its_text(
    sim: Simulator, caplog: pytest.LogCaptureFixture
) -> None:
    """Should a bad token ever reach the transport (a source that skipped the check), httpx's own
    message (``Illegal header value b'Bearer …'``) is replaced: not in the error, not in the log."""

    class Unchecked:
        description = "a token nobody checked"

        async def session(self) -> OrgSession:
            return OrgSession(sim.base_url, Secret(sim.token + "\r"))

        async def renew(self) -> OrgSession:
            raise AuthError("no renewal")

    caplog.set_level(logging.DEBUG, logger="sfmonitor")
    transport = Transport(Unchecked(), retry_delay=0)
    try:
        with pytest.raises(TransportError) as raised:
            await transport.request("GET", "/services/data/v62.0/jobs/ingest")
    finally:
        await transport.aclose()

    message = str(raised.value)
    assert "a header holds a character HTTP does not allow" in message
    assert "Illegal header value" not in message
    assert raised.value.__cause__ is None and raised.value.__suppress_context__
    logged = "\n".join(r.getMessage() for r in caplog.records if r.name.startswith("sfmonitor"))
    assert "the header is not shown" in logged  # the retry's log line: the fixed words only
    assert_not_shown(sim.token, message, logged)


def test_clean_secret_names_the_source_and_the_place_never_the_value() -> None:
    assert clean_secret("  abc!def.ghi\r\n", "the token") == "abc!def.ghi"
    assert clean_secret(" \r\n", "the token") == ""
    with pytest.raises(ConfigError) as raised:
        clean_secret("abc\tdef", "the token of org prod (from SF_ACCESS_TOKEN)")
    assert str(raised.value).startswith(
        "the token of org prod (from SF_ACCESS_TOKEN) holds a control character (U+0009) at character 4 of 7"
    )
    assert "abc" not in str(raised.value) and "def" not in str(raised.value).replace("prod", "")
    with pytest.raises(AuthError):
        clean_secret("a b", "a token from the org", AuthError)
