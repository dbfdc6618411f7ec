"""Signing in without the sf CLI: OAuth client credentials and the JWT bearer flow, against the
simulator's token endpoint over real sockets (it checks the JWT's signature and claims)."""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from sfmonitor.bulk.auth import JWT_GRANT, ClientCredentials, JwtBearer, jwt_assertion
from sfmonitor.bulk.errors import AuthError
from sfmonitor.bulk.service import BulkService
from sfmonitor.bulk.transport import Transport
from sfmonitor.simulator.api.rest import USERNAME
from sfmonitor.simulator.jwt_grant import ConnectedApp
from sfmonitor.simulator.server import Simulator

CLIENT_ID = "3MVG9sim.consumer.key"


def key_pair(directory: Path, name: str = "app") -> tuple[Path, bytes]:
    """A private key file and its self-signed certificate (as a connected app is set up)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder().subject_name(subject).issuer_name(subject).public_key(key.public_key())
        .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1)).sign(key, hashes.SHA256())
    )  # fmt: skip
    path = directory / f"{name}.key"
    path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                       serialization.NoEncryption()))  # fmt: skip
    path.chmod(0o600)  # as ssh, sfmonitor refuses a key others can read
    return path, cert.public_bytes(serialization.Encoding.PEM)


@pytest.fixture
def jwt_sim(sim: Simulator, tmp_path: Path) -> tuple[Simulator, Path]:
    key, cert = key_pair(tmp_path)
    sim.api.connected_app = ConnectedApp(CLIENT_ID, cert)
    return sim, key


async def test_jwt_bearer_signs_in_and_the_token_works(jwt_sim: tuple[Simulator, Path]) -> None:
    sim, key = jwt_sim
    source = JwtBearer(sim.base_url, CLIENT_ID, USERNAME, str(key))
    transport = Transport(source)
    service = BulkService(transport)
    try:
        await service.connect()
        jobs = await service.list_jobs()
        assert len(jobs) == len(sim.world.jobs)
        first = source._current
        assert first is not None and first.username == USERNAME and first.instance_url == sim.base_url
        renewed = await source.renew()  # a new assertion, a new token
        assert renewed.access_token != first.access_token
    finally:
        await transport.aclose()


@pytest.mark.parametrize(
    ("client_id", "username", "audience", "ahead", "other_key", "refusal"),
    [
        (CLIENT_ID, USERNAME, None, 180, True, "invalid assertion"),
        ("someone.else", USERNAME, None, 180, False, "client identifier invalid"),
        (CLIENT_ID, "nobody@acme.test", None, 180, False, "user hasn't approved this consumer"),
        (CLIENT_ID, USERNAME, "https://evil.example", 180, False, "audience is invalid"),
        (CLIENT_ID, USERNAME, None, -10, False, "expired assertion"),
        (CLIENT_ID, USERNAME, None, 3600, False, "exp too far in the future"),
    ],
)
def test_the_org_checks_the_jwt_signature_and_claims(
    jwt_sim: tuple[Simulator, Path], tmp_path: Path, client_id: str, username: str, audience: str | None,
    ahead: int, other_key: bool, refusal: str,
) -> None:  # fmt: skip
    sim, key = jwt_sim
    signing_key = key_pair(tmp_path, "other")[0] if other_key else key
    # jwt_assertion sets exp three minutes on: move "now" to make it what this case needs
    now = time.time() + ahead - 180  # the org checks exp against the wall clock
    assertion = jwt_assertion(client_id, username, audience or sim.base_url, signing_key.read_bytes(), now)
    answer = httpx.post(f"{sim.base_url}/services/oauth2/token", data={"grant_type": JWT_GRANT, "assertion": assertion})
    assert answer.status_code == 400
    assert answer.json()["error"] == "invalid_grant" and refusal in answer.json()["error_description"]


async def test_a_jwt_signs_in_however_far_the_simulated_clock_has_run(jwt_sim: tuple[Simulator, Path]) -> None:
    """The client sets exp from the wall clock: the org checks it against the wall clock too, not its
    accelerated one (at 60x, three real seconds after start every assertion used to have "expired")."""
    sim, key = jwt_sim
    with sim.world.lock:
        sim.world.clock.start += 3600  # an hour of simulated time on: a minute of the suite at 60x
    session = await JwtBearer(sim.base_url, CLIENT_ID, USERNAME, str(key)).session()
    assert session.access_token.reveal() in sim.api.tokens


async def test_jwt_refusals_are_one_clear_auth_error(jwt_sim: tuple[Simulator, Path], tmp_path: Path) -> None:
    sim, _ = jwt_sim
    wrong = key_pair(tmp_path, "wrong")[0]
    with pytest.raises(AuthError, match="refused the JWT bearer assertion: invalid assertion"):
        await JwtBearer(sim.base_url, CLIENT_ID, USERNAME, str(wrong)).session()
    with pytest.raises(AuthError, match="cannot read the JWT private key"):
        await JwtBearer(sim.base_url, CLIENT_ID, USERNAME, str(tmp_path / "missing.key")).session()
    garbage = tmp_path / "garbage.key"
    garbage.write_text("not a key")
    garbage.chmod(0o600)
    with pytest.raises(AuthError, match="not a PEM private key"):
        await JwtBearer(sim.base_url, CLIENT_ID, USERNAME, str(garbage)).session()


async def test_client_credentials_sign_in_and_a_refusal(sim: Simulator) -> None:
    good = ClientCredentials(sim.base_url, "app", "secret")
    session = await good.session()
    assert session.access_token.reveal() in sim.api.tokens
    with pytest.raises(AuthError, match="refused the client credentials"):
        await ClientCredentials(sim.base_url, "", "secret").session()
