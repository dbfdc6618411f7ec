"""The few REST resources beside the Bulk APIs that clients ask for when they sign in: who the token
belongs to (``/services/oauth2/userinfo``, ``sobjects/User/{id}``) and SOQL queries of the org
(``SELECT … FROM Organization``, and the simulated objects). Enough for ``sf org login access-token``
and the sf CLI's data commands; not the REST API."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

from ..records import parse_soql, run_query
from ..world import World
from .shared import JSON_V2, RELEASES, VERSIONS, ApiBase, Reply, v2_error

ORG_ID = "00D5g000004SIM0EAA"
USERNAME = "operator@sfmonitor.sim"
JSON_REST = "application/json;charset=UTF-8"

Error = Callable[[int, str, str], Any]


def userinfo(world: World, base_url: str) -> dict[str, Any]:
    return {
        "sub": f"{base_url}/id/{ORG_ID}/{world.user_id}",
        "user_id": world.user_id,
        "organization_id": ORG_ID,
        "preferred_username": USERNAME,
        "nickname": "operator",
        "name": "Sim Operator",
        "email": "operator@example.com",
        "email_verified": True,
        "zoneinfo": "Europe/London",
        "locale": "en_GB",
        "user_type": "STANDARD",
        "active": True,
        "urls": {"rest": f"{base_url}/services/data/v{{version}}/", "custom_domain": base_url},
    }


def user(world: World, user_id: str, version: str) -> dict[str, Any] | None:
    if user_id != world.user_id:
        return None
    return {
        "attributes": {"type": "User", "url": f"/services/data/v{version}/sobjects/User/{user_id}"},
        "Id": user_id,
        "Username": USERNAME,
        "Name": "Sim Operator",
        "Email": "operator@example.com",
        "IsActive": True,
        "ProfileId": "00e5g000000SIM0AAA",
    }


KNOWN = frozenset({"account", "contact", "lead", "opportunity", "case"})
ORGANIZATION = {
    "Id": ORG_ID,
    "Name": "sfmonitor simulated org",
    "InstanceName": "SIM1",
    "IsSandbox": True,  # a rehearsal org, unless the simulator plays production (--production)
    "TrialExpirationDate": None,
    "NamespacePrefix": None,
    "OrganizationType": "Developer Edition",
}


def query(world: World, soql_text: str, version: str) -> tuple[int, dict[str, Any] | list[dict[str, str]]]:
    """``GET /query?q=``: the Organization record, or rows of the simulated objects; an object the
    simulator does not know answers as Salesforce does for a missing one (400 INVALID_TYPE)."""
    soql = parse_soql(soql_text)
    if soql is None:
        return 400, [{"errorCode": "MALFORMED_QUERY", "message": "unexpected token in the query"}]
    sobject = soql.sobject
    if sobject.lower() == "organization":
        organization = {**ORGANIZATION, "IsSandbox": not world.production}
        rows: list[dict[str, Any]] = [{f: organization.get(f) for f in soql.fields}]
    elif sobject.lower() == "user":
        found = user(world, world.user_id, version) or {}
        rows = [{f: found.get(f) for f in soql.fields}]
    elif (
        sobject.lower() in {"account", "contact", "lead", "opportunity", "case"}
        or sobject.lower() in world.store.objects
    ):
        rows = run_query(world.store, soql)
    else:
        message = (
            f"\n{soql_text[:60]}\n^\nERROR at Row:1:Column:1\nsObject type '{sobject}' is not supported. If you are "
            "attempting to use a custom object, be sure to append the '__c' after the entity name."
        )
        return 400, [{"errorCode": "INVALID_TYPE", "message": message}]
    base = f"/services/data/v{version}/sobjects/{sobject}"
    records = [{"attributes": {"type": sobject, "url": f"{base}/{r.get('Id', '')}"}, **r} for r in rows]
    return 200, {"totalSize": len(records), "done": True, "records": records}


def as_body(data: object) -> bytes:
    return json.dumps(data).encode()


class RestApi(ApiBase):
    """The REST resources of a version (``/services/data/vNN.N/…``) that are not Bulk 2.0 jobs, and the
    version list itself."""

    def versions(self) -> Reply:
        out = [
            {"label": RELEASES.get(int(float(v)), f"Release {v}"), "url": f"/services/data/v{v}", "version": v}
            for v in VERSIONS
        ]
        return Reply(200, json.dumps(out).encode(), JSON_V2, api_call=False)

    def rest(self, method: str, rest: str, params: dict[str, str], version: str, t: float) -> Reply | None:
        """The answer of a REST resource, or None if ``rest`` (the path after the version) names none."""
        if rest == "" and method == "GET":  # the version's resource directory
            names = ("jobs", "limits", "query", "queryAll", "sobjects")
            return self.ok_json({n: f"/services/data/v{version}/{n}" for n in names})
        if rest == "/limits":
            return self.limits(t) if method == "GET" else self.method_not_allowed(method, "GET")
        if rest in ("/query", "/queryAll") and method == "GET":
            status, data = query(self.world, params.get("q", ""), version)
            return Reply(status, as_body(data), JSON_V2)
        found_user = re.fullmatch(r"/sobjects/User/(\w+)", rest)
        if found_user and method == "GET":
            found = user(self.world, found_user.group(1), version)
            if found is None:
                return v2_error(404, "NOT_FOUND", "The requested resource does not exist")
            return self.ok_json(found)
        return None

    def limits(self, t: float) -> Reply:
        used_batches = self.world.batches_used(t)
        data = {
            "DailyApiRequests": {
                "Max": self.world.api_max,
                "Remaining": max(0, self.world.api_max - self.world.api_used),
            },
            "DailyBulkApiBatches": {
                "Max": self.world.batches_max,
                "Remaining": max(0, self.world.batches_max - used_batches),
            },
            "DailyBulkV2QueryFileStorageMB": {"Max": 976562, "Remaining": 976562},
            "DailyBulkV2QueryJobs": {
                "Max": 10000,
                "Remaining": 10000 - sum(1 for j in self.world.jobs.values() if j.api == "query"),
            },
        }
        return self.ok_json(data)
