"""Secret files are checked as ssh checks a key: a client_secret_file or private_key_file that others
can read is refused with the fix (chmod 600); a FIFO or a device is refused without a read; an
encrypted key says so in one line. Each costs its own org only: the others are read as ever."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization

from sfmonitor.bulk.auth import SECRET_FILE_LIMIT, read_secret_file
from sfmonitor.bulk.errors import AuthError
from sfmonitor.simulator.api.rest import USERNAME
from sfmonitor.simulator.jwt_grant import ConnectedApp
from sfmonitor.simulator.server import Simulator
from tests.bulk.test_sign_in import CLIENT_ID, key_pair
from tests.cli.runner import Result, run_cli

SECRET = "s3cret-do-not-print"


def _configure(tmp_path: Path, sim: Simulator, tables: str) -> dict[str, str]:
    """[orgs.alpha] reads ``sim`` with a token from the environment; ``tables``: the orgs under test."""
    path = tmp_path / "config" / "sfmonitor" / "config.toml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f'[orgs.alpha]\ninstance_url = "{sim.base_url}"\ntoken_env = "ALPHA_TOKEN"\n{tables}')
    # no sf CLI on PATH: `orgs` lists the config file's orgs only
    return {"XDG_CONFIG_HOME": str(tmp_path / "config"), "ALPHA_TOKEN": sim.token, "COLUMNS": "250",
            "PATH": str(tmp_path)}  # fmt: skip


def _cc(name: str, sim: Simulator, secret_file: Path | str) -> str:
    return f'[orgs.{name}]\ninstance_url = "{sim.base_url}"\nclient_id = "app"\nclient_secret_file = "{secret_file}"\n'


def _jwt(name: str, sim: Simulator, key_file: Path | str) -> str:
    return (f'[orgs.{name}]\nclient_id = "{CLIENT_ID}"\nusername = "{USERNAME}"\nprivate_key_file = "{key_file}"\n'
            f'login_url = "{sim.base_url}"\n')  # fmt: skip


def _encrypted(plain: Path) -> Path:
    """The same key, encrypted with a passphrase (as ``openssl genpkey -aes256`` writes one), mode 0600."""
    key = serialization.load_pem_private_key(plain.read_bytes(), password=None)
    locked = plain.with_name("locked.key")
    locked.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                         serialization.BestAvailableEncryption(b"passphrase")))  # fmt: skip
    locked.chmod(0o600)
    return locked


def _org_lines(result: Result, org: str) -> list[str]:
    return [line for line in result.stderr.splitlines() if f"org {org}:" in line]


def test_a_secret_file_others_can_read_is_refused_with_the_fix_and_costs_that_org_only(
    sim: Simulator, tmp_path: Path
) -> None:
    secret = tmp_path / "int.secret"
    secret.write_text(SECRET + "\n")
    secret.chmod(0o644)
    env = _configure(tmp_path, sim, _cc("int", sim, secret))

    result = run_cli(["status", "-o", "alpha", "-o", "int"], env)
    assert result.returncode == 9, result.stdout + result.stderr  # alpha read, int not: partial
    assert "[alpha] org 127.0.0.1" in result.stdout
    [line] = _org_lines(result, "int")
    assert f"client_secret_file {secret} is readable by others (mode 0644): run chmod 600 {secret}" in line
    assert SECRET not in result.stdout + result.stderr and "Traceback" not in result.stderr

    listed = run_cli(["orgs"], env)
    assert listed.returncode == 9, listed.stdout + listed.stderr
    rows = {line.split()[0]: line for line in listed.stdout.splitlines()[1:] if line.strip()}
    assert "ok:" in rows["alpha"] and "chmod 600" in rows["int"], listed.stdout

    secret.chmod(0o620)  # writable by the group: as open as readable
    result = run_cli(["status", "-o", "int"], env)  # the one org asked for: a configuration error
    assert result.returncode == 2 and "is writable by others (mode 0620): run chmod 600" in result.stderr

    secret.chmod(0o600)  # the fix the line gave: the org signs in
    result = run_cli(["status", "-o", "alpha", "-o", "int"], env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "[int] org 127.0.0.1" in result.stdout


@pytest.mark.timeout(60)  # before the check a FIFO blocked the read for good: fail, do not hang
def test_a_fifo_or_a_device_is_refused_without_being_read(sim: Simulator, tmp_path: Path) -> None:
    fifo = tmp_path / "secret.fifo"
    os.mkfifo(fifo, 0o600)
    tables = _cc("pipe", sim, fifo) + _jwt("pipekey", sim, fifo) + _jwt("zero", sim, "/dev/zero")
    env = _configure(tmp_path, sim, tables)

    result = run_cli(["status", "-o", "alpha", "-o", "pipe", "-o", "pipekey", "-o", "zero"], env)
    assert result.returncode == 9, result.stdout + result.stderr
    assert "[alpha] org 127.0.0.1" in result.stdout
    [pipe] = _org_lines(result, "pipe")
    assert f"client_secret_file {fifo} is not a regular file" in pipe
    [pipekey] = _org_lines(result, "pipekey")
    assert f"the JWT private key {fifo} is not a regular file" in pipekey
    [zero] = _org_lines(result, "zero")
    assert "the JWT private key /dev/zero is not a regular file" in zero
    assert "Traceback" not in result.stderr


def test_an_encrypted_key_is_one_line_and_costs_that_org_only(sim: Simulator, tmp_path: Path) -> None:
    plain, cert = key_pair(tmp_path, "ops")
    sim.api.connected_app = ConnectedApp(CLIENT_ID, cert)
    locked = _encrypted(plain)
    env = _configure(tmp_path, sim, _jwt("locked", sim, locked) + _jwt("ops", sim, plain))

    result = run_cli(["status", "-o", "alpha", "-o", "locked", "-o", "ops"], env)
    assert result.returncode == 9, result.stdout + result.stderr
    assert "[alpha] org 127.0.0.1" in result.stdout and f"[ops] org {USERNAME}" in result.stdout  # a 0600 key works
    [line] = _org_lines(result, "locked")
    assert (f"the JWT private key {locked} is an encrypted private key: sfmonitor needs it unencrypted "
            f"(openssl pkey -in {locked} -out NEW.key, then chmod 600 NEW.key)") in line  # fmt: skip
    assert "Traceback" not in result.stderr and "TypeError" not in result.stderr

    listed = run_cli(["orgs"], env)
    assert listed.returncode == 9, listed.stdout + listed.stderr
    rows = {line.split()[0]: line for line in listed.stdout.splitlines()[1:] if line.strip()}
    assert "ok:" in rows["alpha"] and "ok:" in rows["ops"] and "encrypted private key" in rows["locked"]
    assert "Traceback" not in listed.stderr


def test_read_secret_file_follows_a_link_to_a_private_file_and_bounds_the_size(tmp_path: Path) -> None:
    target = tmp_path / "real.secret"
    target.write_bytes(b"value\n")
    target.chmod(0o600)
    link = tmp_path / "link.secret"
    link.symlink_to(target)
    assert read_secret_file(str(link), "client_secret_file") == b"value\n"  # the target is what is checked
    target.chmod(0o640)
    with pytest.raises(AuthError, match=r"is readable by others \(mode 0640\): run chmod 600"):
        read_secret_file(str(link), "client_secret_file")

    big = tmp_path / "big.secret"
    big.write_bytes(b"x" * (SECRET_FILE_LIMIT + 1))
    big.chmod(0o600)
    with pytest.raises(AuthError, match="is over 64 KiB") as caught:
        read_secret_file(str(big), "client_secret_file")
    assert "xxxx" not in str(caught.value)
    with pytest.raises(AuthError, match="is not a regular file"):
        read_secret_file(str(tmp_path), "client_secret_file")  # a folder
    with pytest.raises(AuthError, match=r"cannot read client_secret_file .*: No such file"):
        read_secret_file(str(tmp_path / "missing"), "client_secret_file")


async def test_the_dashboard_shows_an_encrypted_key_org_not_connected_and_runs_the_others(
    sim: Simulator, tmp_path: Path
) -> None:
    """Before, the TypeError of an encrypted key left the dashboard at ``connecting…`` for good."""
    from sfmonitor.config.settings import load
    from sfmonitor.monitor.schedule import Schedule
    from sfmonitor.ui.app import SfMonitorApp
    from sfmonitor.ui.widgets.status_bar import StatusBar
    from tests.ui.helpers import wait_for

    plain, _ = key_pair(tmp_path, "ops")
    locked = _encrypted(plain)
    path = tmp_path / "config.toml"
    path.write_text(
        f'[orgs.good]\ninstance_url = "{sim.base_url}"\ntoken_env = "GOOD_TOKEN"\n' + _jwt("locked", sim, locked)
    )
    settings = load(path=path, env={"GOOD_TOKEN": sim.token})
    app = SfMonitorApp(list(settings.orgs.values()), settings, schedule=Schedule(0.5, cap=1.0))

    def header() -> str:
        return str(app.screen.query_one("#header", StatusBar).content)

    async with app.run_test(size=(160, 40)) as pilot:
        broken = app.fleet.orgs["locked"]
        await wait_for(pilot, lambda: app.fleet.orgs["good"].state.polls_done and broken.connection.error)
        assert "is an encrypted private key" in (broken.connection.error or "")
        await wait_for(pilot, lambda: "locked not connected" in header())
        assert "good ok" in header()
