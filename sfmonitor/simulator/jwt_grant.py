"""The OAuth 2.0 JWT bearer grant as the org checks it: the assertion's RS256 signature against the
connected app's certificate, and its claims (``iss`` the consumer key, ``sub`` a user of the org,
``aud`` the login URL, ``exp`` not passed and at most a few minutes away, by the wall clock: the client
sets ``exp`` from its own clock, which the simulated org's accelerated clock would soon outrun)."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from typing import Any

GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer"
AUDIENCES = ("https://login.salesforce.com", "https://test.salesforce.com")
MAX_AHEAD_S = 300  # an exp further away than this is refused (Salesforce: "a few minutes")


@dataclass(frozen=True)
class ConnectedApp:
    """What the org knows of the app that signs in: its consumer key and certificate (PEM)."""

    client_id: str
    certificate_pem: bytes


def _decode(part: str) -> bytes:
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


def check(assertion: str, app: ConnectedApp | None, username: str, base_url: str, now: float) -> str | None:
    """None if the assertion is good, else the org's ``error_description``."""
    from cryptography import x509
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding, rsa

    if app is None:
        return "invalid_app_access: no connected app is set up for the JWT bearer flow"
    try:
        header_b64, claims_b64, signature_b64 = assertion.split(".")
        header: Any = json.loads(_decode(header_b64))
        claims: Any = json.loads(_decode(claims_b64))
        signature = _decode(signature_b64)
    except ValueError:
        return "invalid assertion"
    if not isinstance(header, dict) or header.get("alg") != "RS256" or not isinstance(claims, dict):
        return "invalid assertion"
    key = x509.load_pem_x509_certificate(app.certificate_pem).public_key()
    if not isinstance(key, rsa.RSAPublicKey):
        return "invalid assertion"
    try:
        key.verify(signature, f"{header_b64}.{claims_b64}".encode(), padding.PKCS1v15(), hashes.SHA256())
    except InvalidSignature:
        return "invalid assertion"  # the org's words for a bad signature
    if claims.get("iss") != app.client_id:
        return "invalid_client_id: client identifier invalid"
    if claims.get("aud") not in (*AUDIENCES, base_url):
        return "audience is invalid"
    if claims.get("sub") != username:
        return "user hasn't approved this consumer"
    exp = claims.get("exp")
    if not isinstance(exp, int | float) or isinstance(exp, bool) or exp <= now:
        return "expired assertion"
    if exp > now + MAX_AHEAD_S:
        return "invalid assertion: exp too far in the future"
    return None
