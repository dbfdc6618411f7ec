"""OAuth 2.0 (``/services/oauth2/``): the token endpoint's grants (JWT bearer checked as the org checks
it, password, refresh token, client credentials) and ``userinfo``."""

from __future__ import annotations

import base64
import json
import secrets
import time
from collections.abc import Mapping
from urllib.parse import parse_qs

from .. import jwt_grant
from . import rest
from .shared import JSON_V2, ApiBase, Reply, bearer


class OAuthApi(ApiBase):
    def oauth_token(self, method: str, body: bytes) -> Reply:
        if method != "POST":
            return Reply(405, b'{"error":"invalid_request","error_description":"must use HTTP POST"}', JSON_V2)
        form = {k: v[-1] for k, v in parse_qs(body.decode("utf-8", "replace")).items()}
        grant = form.get("grant_type", "")
        if grant == jwt_grant.GRANT:
            # the assertion's exp is the client's wall clock, not this org's accelerated one
            refused = jwt_grant.check(form.get("assertion", ""), self.connected_app, rest.USERNAME,
                                      self.base_url(), time.time())  # fmt: skip
            if refused is not None:
                err = {"error": "invalid_grant", "error_description": refused}
                return Reply(400, json.dumps(err).encode(), JSON_V2, api_call=False)
        elif grant not in ("password", "refresh_token", "client_credentials"):
            err = {"error": "unsupported_grant_type", "error_description": "grant type not supported"}
            return Reply(400, json.dumps(err).encode(), JSON_V2, api_call=False)
        if not form.get("client_id") and grant not in ("refresh_token", jwt_grant.GRANT):
            err = {"error": "invalid_client_id", "error_description": "client identifier invalid"}
            return Reply(400, json.dumps(err).encode(), JSON_V2, api_call=False)
        token = self.issue_token()
        answer = {
            "access_token": token,
            "instance_url": self.base_url(),
            "id": f"{self.base_url()}/id/00D5g000004SIM0EAA/{self.world.user_id}",
            "token_type": "Bearer",
            "issued_at": str(int(self.world.clock.now() * 1000)),
            "signature": base64.b64encode(secrets.token_bytes(32)).decode(),
            "scope": "api refresh_token",
        }
        return Reply(200, json.dumps(answer).encode(), JSON_V2, api_call=False)

    def userinfo(self, headers: Mapping[str, str]) -> Reply:
        if not self.authorised(bearer(headers)):
            return Reply(403, b"Bad_OAuth_Token", "text/plain", api_call=False)
        return Reply(200, rest.as_body(rest.userinfo(self.world, self.base_url())), JSON_V2, api_call=False)
