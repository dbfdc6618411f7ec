"""Salesforce's side of the conversation: routes, semantics, status codes and error bodies.

Independent of the HTTP server so that every answer is a plain :class:`Reply`; ``server.py``
puts it on the wire (gzip, ``Sforce-Limit-Info``, faults).
"""

from __future__ import annotations

import base64
import json
import math
import re
import secrets
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs

import xmltodict

from . import failures, jwt_grant
from . import rest as rest_api
from .records import (
    DELIMITERS,
    NS,
    RowResult,
    csv_chunks,
    key_prefix,
    parse_soql,
    read_csv,
    read_json_records,
    read_xml_records,
    salesforce_id,
    write_csv,
    xml_doc,
    xml_list,
)
from .world import Batch, Job, Plan, World

JSON_V2 = "application/json;charset=UTF-8"
JSON_V1 = "application/json"  # salesforce-bulk compares this exactly
XML = "application/xml"
CSV = "text/csv"
PAGE_SIZE = 1000
STREAM_ROWS = 20_000
VERSIONS = [f"{v}.0" for v in range(31, 67)]
RELEASES = {66: "Spring '26", 65: "Winter '26", 64: "Summer '25", 63: "Spring '25"}


@dataclass
class Reply:
    status: int
    body: bytes = b""
    content_type: str = ""
    headers: dict[str, str] = field(default_factory=dict)
    api_call: bool = True  # counts toward api-usage and carries Sforce-Limit-Info
    stream: Iterator[bytes] | None = None  # a body made while it is sent (chunked): huge result files


def v2_error(status: int, code: str, message: str) -> Reply:
    return Reply(status, json.dumps([{"errorCode": code, "message": message}]).encode(), JSON_V2)


def v1_error(status: int, code: str, message: str, as_json: bool) -> Reply:
    if as_json:
        body = json.dumps({"exceptionCode": code, "exceptionMessage": message}).encode()
        return Reply(status, body, JSON_V1)
    return Reply(status, xml_doc("error", {"exceptionCode": code, "exceptionMessage": message}), XML)


def new_token() -> str:
    org = "00D5g" + secrets.token_hex(5).upper()[:10]
    return org + "!" + "AQ" + secrets.token_urlsafe(72).replace("-", "x").replace("_", "y")


class SalesforceApi:
    """Handles one request against the world. Call under ``world.lock``."""

    def __init__(self, world: World, base_url: Callable[[], str]) -> None:
        self.world = world
        self.base_url = base_url
        self.tokens: dict[str, int] = {}  # token -> authenticated requests made with it
        self.page_size = PAGE_SIZE
        self.token_lifetime = 0  # --faults expire-after=N: a token dies after N requests
        self.token = self.issue_token()
        self.connected_app: jwt_grant.ConnectedApp | None = None  # for the JWT bearer grant
        # A hostile org for tests: (method, path, query, reply) -> the reply to send instead.
        self.rewrite: Callable[[str, str, str, Reply], Reply] | None = None

    def issue_token(self) -> str:
        token = new_token()
        self.tokens[token] = 0
        return token

    # --- dispatch --------------------------------------------------------------------------

    def handle(self, method: str, path: str, query: str, headers: Mapping[str, str], body: bytes) -> Reply:
        reply = self._handle(method, path, query, headers, body)
        return reply if self.rewrite is None else self.rewrite(method, path, query, reply)

    def _handle(self, method: str, path: str, query: str, headers: Mapping[str, str], body: bytes) -> Reply:
        params = {k: v[-1] for k, v in parse_qs(query, keep_blank_values=True).items()}
        if path.rstrip("/") == "/services/data" and method == "GET":
            return self.versions()
        if path.rstrip("/") == "/services/oauth2/token":
            return self.oauth_token(method, body)
        if path.rstrip("/") == "/services/oauth2/userinfo":
            return self.userinfo(headers)
        if path.startswith("/services/async/"):
            return self.v1(method, path, params, headers, body)
        if path.startswith("/services/data/"):
            return self.v2(method, path, params, headers, body)
        return v2_error(404, "NOT_FOUND", "The requested resource does not exist")

    def authorised(self, token: str) -> bool:
        if token not in self.tokens:
            return False
        self.tokens[token] += 1
        if self.token_lifetime and self.tokens[token] > self.token_lifetime:
            del self.tokens[token]
            return False
        return True

    def versions(self) -> Reply:
        out = [
            {"label": RELEASES.get(int(float(v)), f"Release {v}"), "url": f"/services/data/v{v}", "version": v}
            for v in VERSIONS
        ]
        return Reply(200, json.dumps(out).encode(), JSON_V2, api_call=False)

    def oauth_token(self, method: str, body: bytes) -> Reply:
        if method != "POST":
            return Reply(405, b'{"error":"invalid_request","error_description":"must use HTTP POST"}', JSON_V2)
        form = {k: v[-1] for k, v in parse_qs(body.decode("utf-8", "replace")).items()}
        grant = form.get("grant_type", "")
        if grant == jwt_grant.GRANT:
            # the assertion's exp is the client's wall clock, not this org's accelerated one
            refused = jwt_grant.check(form.get("assertion", ""), self.connected_app, rest_api.USERNAME,
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
        auth = headers.get("authorization", "")
        token = auth[7:].strip() if auth.lower().startswith("bearer ") else ""
        if not self.authorised(token):
            return Reply(403, b"Bad_OAuth_Token", "text/plain", api_call=False)
        return Reply(200, rest_api.as_body(rest_api.userinfo(self.world, self.base_url())), JSON_V2, api_call=False)

    # --- Bulk 2.0 and REST -----------------------------------------------------------------

    def v2(self, method: str, path: str, params: dict[str, str], headers: Mapping[str, str], body: bytes) -> Reply:
        auth = headers.get("authorization", "")
        token = auth[7:].strip() if auth.lower().startswith("bearer ") else ""
        if not self.authorised(token):
            return v2_error(401, "INVALID_SESSION_ID", "Session expired or invalid")
        match = re.fullmatch(r"/services/data/v(\d+\.\d)(/.*)?", path.rstrip("/") or "/")
        if not match or match.group(1) not in VERSIONS:
            return v2_error(404, "NOT_FOUND", "The requested resource does not exist")
        rest = (match.group(2) or "").rstrip("/")
        t = self.world.advance()
        if rest == "" and method == "GET":  # the version's resource directory
            names = ("jobs", "limits", "query", "queryAll", "sobjects")
            return self.ok_json({n: f"/services/data/v{match.group(1)}/{n}" for n in names})
        if rest == "/limits":
            return self.limits(t) if method == "GET" else self.method_not_allowed(method, "GET")
        if rest in ("/query", "/queryAll") and method == "GET":
            status, data = rest_api.query(self.world, params.get("q", ""), match.group(1))
            return Reply(status, rest_api.as_body(data), JSON_V2)
        user = re.fullmatch(r"/sobjects/User/(\w+)", rest)
        if user and method == "GET":
            found = rest_api.user(self.world, user.group(1), match.group(1))
            if found is None:
                return v2_error(404, "NOT_FOUND", "The requested resource does not exist")
            return self.ok_json(found)
        m = re.fullmatch(r"/jobs/(ingest|query)(?:/(\w+)(?:/(\w+))?)?", rest)
        if not m:
            return v2_error(404, "NOT_FOUND", "The requested resource does not exist")
        listing, job_id, sub = m.group(1), m.group(2), m.group(3)
        if job_id is None:
            if method == "GET":
                return self.list_jobs(listing, params, t)
            if method == "POST":
                return self.create_v2(listing, body, match.group(1), t)
            return self.method_not_allowed(method, "GET,POST")
        job = self.world.jobs.get(job_id)
        if job is None or job.api != listing:
            return v2_error(404, "NOT_FOUND", "The requested resource does not exist")
        if sub is None:
            if method == "GET":
                return self.ok_json(job.v2_info(t))
            if method == "PATCH":
                return self.patch_v2(job, body, t)
            if method == "DELETE":
                return self.delete_v2(job)
            return self.method_not_allowed(method, "GET,PATCH,DELETE")
        if listing == "ingest" and sub == "batches" and method == "PUT":
            return self.upload(job, body, t)
        if sub.lower() == "unprocessedrecords":  # the docs spell it lower-case; simple-salesforce does not
            sub = "unprocessedrecords"
        if (
            listing == "ingest"
            and method == "GET"
            and sub in ("successfulResults", "failedResults", "unprocessedrecords")
        ):
            return self.ingest_results(job, sub, t)
        if listing == "query" and sub == "results" and method == "GET":
            return self.query_results(job, params)
        return v2_error(404, "NOT_FOUND", "The requested resource does not exist")

    @staticmethod
    def ok_json(data: Any, status: int = 200) -> Reply:
        return Reply(status, json.dumps(data).encode(), JSON_V2)

    @staticmethod
    def method_not_allowed(method: str, allowed: str) -> Reply:
        return v2_error(405, "METHOD_NOT_ALLOWED", f"HTTP Method '{method}' not allowed. Allowed are {allowed}")

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

    def list_jobs(self, listing: str, params: dict[str, str], t: float) -> Reply:
        kinds: tuple[str, ...] = (
            ("V2Ingest", "BigObjectIngest", "Classic") if listing == "ingest" else ("V2Query", "Classic")
        )
        wanted = params.get("jobType")
        if wanted:
            if wanted not in kinds:
                return v2_error(400, "INVALIDJOB", f"Invalid jobType: {wanted}")
            kinds = (wanted,)
        jobs = list(self.world.iter_jobs(kinds))
        if params.get("isPkChunkingEnabled", "").lower() == "true":
            jobs = [j for j in jobs if j.pk_chunk_size]
        jobs.sort(key=lambda j: (j.created, j.id))
        offset = 0
        locator = params.get("queryLocator")
        if locator is not None:
            m = re.fullmatch(r"01g[0-9A-Za-z]{8,15}-(\d+)", locator)
            if not m:
                return v2_error(400, "INVALID_QUERY_LOCATOR", "invalid query locator")
            offset = int(m.group(1))
        page = jobs[offset : offset + self.page_size]
        done = offset + self.page_size >= len(jobs)
        out: dict[str, Any] = {"done": done, "records": [j.v2_info(t, listing=True) for j in page]}
        if not done:
            cursor = f"01g5g00000{self.world.seed % 100000:05d}-{offset + self.page_size}"
            out["nextRecordsUrl"] = f"/services/data/v{self.world.api_version}/jobs/{listing}?queryLocator={cursor}"
        else:
            out["nextRecordsUrl"] = None
        return self.ok_json(out)

    def create_v2(self, listing: str, body: bytes, version: str, t: float) -> Reply:
        try:
            spec = json.loads(body or b"{}")
            assert isinstance(spec, dict)
        except (ValueError, AssertionError):
            return v2_error(400, "JSON_PARSER_ERROR", "The request body is not a JSON object")
        operation = str(spec.get("operation") or "")
        if listing == "query":
            if operation not in ("query", "queryAll"):
                return v2_error(400, "INVALIDJOB", f"Invalid operation for a query job: {operation or 'missing'}")
            soql = parse_soql(str(spec.get("query") or ""))
            if soql is None:
                return v2_error(400, "MALFORMED_QUERY", "unexpected token in the query")
            rows = self.world.query_rows(soql)
            job = Job(
                id=self.world.next_id("750"),
                api="query",
                object=soql.sobject,
                operation=operation,
                created=t,
                api_version=version,
                created_by=self.world.user_id,
                state="UploadComplete",
                query=str(spec["query"]),
                soql=soql,
                line_ending=str(spec.get("lineEnding") or "LF"),
                column_delimiter=str(spec.get("columnDelimiter") or "COMMA"),
                result_rows=rows,
                queue_delay=1.0,
            )
            job.plan = Plan(total=len(rows), rate=20_000, start=t + job.queue_delay)
            return self.ok_json(self.world.add(job).v2_info(t))
        if operation not in ("insert", "update", "upsert", "delete", "hardDelete"):
            return v2_error(400, "INVALIDJOB", f"Invalid operation: {operation or 'missing'}")
        sobject = str(spec.get("object") or "")
        if not re.fullmatch(r"[A-Za-z][\w]*", sobject):
            return v2_error(400, "INVALIDJOB", "InvalidJob : Object is required")
        if operation == "upsert" and not spec.get("externalIdFieldName"):
            return v2_error(400, "INVALIDJOB", "InvalidJob : External ID was blank for upsert")
        if str(spec.get("contentType") or "CSV") != "CSV":
            return v2_error(400, "INVALIDJOB", "InvalidJob : Only CSV is supported")
        delimiter = str(spec.get("columnDelimiter") or "COMMA")
        if delimiter not in DELIMITERS:
            return v2_error(400, "INVALIDJOB", f"InvalidJob : invalid columnDelimiter {delimiter}")
        job = Job(
            id=self.world.next_id("750"),
            api="ingest",
            object=sobject,
            operation=operation,
            created=t,
            api_version=version,
            created_by=self.world.user_id,
            state="Open",
            external_id=str(spec.get("externalIdFieldName") or ""),
            line_ending=str(spec.get("lineEnding") or "LF"),
            column_delimiter=delimiter,
            queue_delay=1.0,
        )
        return self.ok_json(self.world.add(job).v2_info(t))

    def upload(self, job: Job, body: bytes, t: float) -> Reply:
        if job.state != "Open":
            return v2_error(409, "INVALIDJOBSTATE", f"Job {job.id} is not Open; data can be uploaded to Open jobs only")
        if job.uploaded:
            return v2_error(
                400,
                "INVALIDJOB",
                f"Found multipe contents for job: <{job.id}>, please 'Close' / 'Abort' / 'Delete' the current Job "
                "then create a new Job and make sure you only do 'PUT' once on a given Job.",
            )
        try:
            rows = read_csv(body, DELIMITERS[job.column_delimiter])
        except Exception:
            return v2_error(400, "INVALIDJOB", "InvalidBatch : Failed to parse CSV data")
        job.uploaded = True
        job.upload_data = body
        outcomes = self.world.store.outcomes(job.object, job.operation, rows, job.external_id)
        job.plan = Plan(total=len(rows), rate=2_000, outcomes=outcomes, apex_share=0.3)
        job.modstamp = t
        return Reply(201)

    def patch_v2(self, job: Job, body: bytes, t: float) -> Reply:
        try:
            state = json.loads(body or b"{}").get("state")
        except (ValueError, AttributeError):
            return v2_error(400, "JSON_PARSER_ERROR", "The request body is not a JSON object")
        if state == "UploadComplete":
            if job.api == "query":
                return v2_error(400, "INVALIDJOBSTATE", "Closing a query job is not allowed")
            if job.state != "Open":
                return v2_error(400, "INVALIDJOBSTATE", f"Closing already {_past(job.state)} Job not allowed")
            job.state = "UploadComplete"
            if job.plan is None:
                job.plan = Plan(total=0, rate=2_000)
            job.plan.start = t + job.queue_delay
            job.modstamp = t
        elif state == "Aborted":
            allowed = (
                ("UploadComplete", "InProgress") if job.api == "query" else ("Open", "UploadComplete", "InProgress")
            )
            if job.state not in allowed:
                return v2_error(400, "INVALIDJOBSTATE", f"Aborting already {_past(job.state)} Job not allowed")
            job.advance(t, self.world.store)
            job.state = "Aborted"
            job.finished_at = t
            job.modstamp = t
        else:
            return v2_error(400, "INVALIDJOBSTATE", f"Invalid state: {state}")
        return self.ok_json(job.v2_info(t))

    def delete_v2(self, job: Job) -> Reply:
        if job.state in ("Open", "InProgress") or (job.api == "query" and job.state == "UploadComplete"):
            return v2_error(400, "INVALIDJOBSTATE", f"Deleting a job in state {job.state} is not allowed")
        self.world.remove(job.id)
        return Reply(204)

    def ingest_results(self, job: Job, kind: str, t: float) -> Reply:
        plan = job.plan
        if job.state in ("Open", "UploadComplete", "InProgress") or plan is None:
            return v2_error(400, "INVALIDJOBSTATE", "Results are available once the job is complete, failed or aborted")
        until = job.finished_at if job.finished_at is not None else t
        processed = plan.processed_at(until)
        outcomes = plan.outcomes
        count = len(outcomes) if outcomes is not None else plan.total
        if outcomes is not None:
            header = list(outcomes[0].row.keys()) if outcomes else ["Name"]

            def row(i: int) -> dict[str, str]:
                return outcomes[i].row

            def error(i: int) -> str:
                return failures.v2_error(outcomes[i].error)

        else:  # a seeded job: its rows and errors drawn from the job id
            header = list(failures.columns_for(job.object))

            def row(i: int) -> dict[str, str]:
                return failures.input_row(job.object, job.id, i)

            def error(i: int) -> str:
                return failures.v2_error(failures.error_for(job.object, job.id, i))

        def lines() -> Iterator[list[str]]:
            if kind == "unprocessedrecords":
                for i in range(processed, count):
                    values = row(i)
                    yield [values.get(h, "") for h in header]
                return
            every = plan.fail_permille >= 1000 and outcomes is None
            for i in range(processed):
                fails = every or plan.row_fails(i)
                if kind == "successfulResults" and not fails:
                    rid = outcomes[i].id if outcomes is not None else salesforce_id("001", i)
                    created = outcomes[i].created if outcomes is not None else True
                    values = row(i)
                    yield [rid, "true" if created else "false", *(values.get(h, "") for h in header)]
                elif kind == "failedResults" and fails:
                    rid = outcomes[i].id if outcomes is not None else ""
                    values = row(i)
                    yield [rid, error(i), *(values.get(h, "") for h in header)]

        first = ["sf__Id", "sf__Created"] if kind == "successfulResults" else ["sf__Id", "sf__Error"]
        rows = processed if kind != "unprocessedrecords" else count - processed
        if rows > STREAM_ROWS:  # a huge file goes out as it is made, not built in memory first
            return Reply(200, content_type=CSV, stream=csv_chunks(first + header, lines()))
        return Reply(200, write_csv(first + header, lines()), CSV)

    def query_results(self, job: Job, params: dict[str, str]) -> Reply:
        if job.state != "JobComplete":
            return v2_error(
                400, "INVALIDJOBSTATE", f"Results are available for JobComplete jobs only; the job is {job.state}"
            )
        soql = job.soql
        header = list(soql.fields) if soql else ["Id", "Name"]
        total = job.plan.total if job.plan else 0
        try:
            locator = params.get("locator") or ""
            offset = int(base64.b64decode(locator + "=" * (-len(locator) % 4)).decode()) if locator else 0
            size = int(params.get("maxRecords") or 50_000)
        except (ValueError, KeyError):
            return v2_error(400, "INVALID_LOCATOR", "invalid locator")
        size = max(1, min(size, 100_000))
        end = min(total, offset + size)
        if job.result_rows is not None:
            page = job.result_rows[offset:end]
        else:
            maker = job.result_maker or (lambda i: {"Id": f"001{i:015d}", "Name": f"Account {i}"})
            page = [maker(i) for i in range(offset, end)]
        body = write_csv(header, ([row.get(h, "") for h in header] for row in page))
        locator = base64.b64encode(str(end).encode()).decode().rstrip("=") if end < total else "null"
        return Reply(200, body, CSV, {"Sforce-Locator": locator, "Sforce-NumberOfRecords": str(len(page))})

    # --- Bulk 1.0 --------------------------------------------------------------------------

    def v1(self, method: str, path: str, params: dict[str, str], headers: Mapping[str, str], body: bytes) -> Reply:
        as_json = "json" in headers.get("content-type", "").lower()
        if not self.authorised(headers.get("x-sfdc-session", "").strip()):
            return v1_error(400, "InvalidSessionId", "Invalid session id", as_json)
        m = re.fullmatch(
            r"/services/async/(\d+\.\d)/job(?:/(\w+)(?:/batch(?:/(\w+)(?:/(request|result)(?:/(\w+))?)?)?)?)?",
            path.rstrip("/"),
        )
        if not m:
            return v1_error(
                400, "InvalidUrl", "Destination URL not reset. The URL returned from login must be set", as_json
            )
        version, job_id, batch_id, sub, result_id = m.groups()
        if version not in VERSIONS:
            return v1_error(400, "InvalidVersion", f"Invalid api version specified on URL: {version}", as_json)
        t = self.world.advance()
        is_batch_path = path.rstrip("/").endswith("/batch") or batch_id is not None
        if job_id is None:
            if method != "POST":
                return v1_error(405, "InvalidUrl", "Method not allowed", as_json)
            return self.create_v1(headers, body, version, as_json, t)
        job = self.world.jobs.get(job_id)
        if job is None or job.api != "classic":
            return v1_error(400, "InvalidJob", f"Unable to find object: {job_id}", as_json)
        job_json = job.content_type in ("JSON", "ZIP_JSON")
        if not is_batch_path:
            if method == "GET":
                return self.job_doc(job, t, job_json)
            if method == "POST":
                return self.post_state_v1(job, headers, body, t, job_json)
            return v1_error(405, "InvalidUrl", "Method not allowed", job_json)
        if batch_id is None:
            if method == "GET":
                return self.batch_list(job, t, job_json)
            if method == "POST":
                return self.add_batch(job, body, t, job_json)
            return v1_error(405, "InvalidUrl", "Method not allowed", job_json)
        batch = next((b for b in job.batches if b.id == batch_id), None)
        if batch is None:
            return v1_error(400, "InvalidBatch", f"Unable to find batch: {batch_id}", job_json)
        if method != "GET":
            return v1_error(405, "InvalidUrl", "Method not allowed", job_json)
        if sub is None:
            return self.batch_doc(batch, t, job_json)
        if sub == "request":
            data = batch.data or self.seeded_request(job, batch)
            return Reply(200, data, {"JSON": JSON_V1, "XML": XML}.get(batch.content_type, CSV))
        return self.batch_result(job, batch, result_id, t, job_json)

    def job_doc(self, job: Job, t: float, as_json: bool, status: int = 200) -> Reply:
        if as_json:
            return Reply(status, json.dumps(job.v1_info(t, "json")).encode(), JSON_V1)
        return Reply(status, xml_doc("jobInfo", job.v1_info(t, "xml")), XML)

    def batch_doc(self, batch: Batch, t: float, as_json: bool, status: int = 200) -> Reply:
        if as_json:
            return Reply(status, json.dumps(batch.info(t, "json")).encode(), JSON_V1)
        return Reply(status, xml_doc("batchInfo", batch.info(t, "xml")), XML)

    def batch_list(self, job: Job, t: float, as_json: bool) -> Reply:
        if as_json:
            return Reply(200, json.dumps({"batchInfo": [b.info(t, "json") for b in job.batches]}).encode(), JSON_V1)
        return Reply(200, xml_list("batchInfoList", "batchInfo", (b.info(t, "xml") for b in job.batches)), XML)

    @staticmethod
    def _read_doc(headers: Mapping[str, str], body: bytes) -> dict[str, Any]:
        if "json" in headers.get("content-type", "").lower():
            data = json.loads(body)
            if not isinstance(data, dict):
                raise ValueError("not an object")
            return data
        doc = xmltodict.parse(body, process_namespaces=True, namespaces={NS: None}, disable_entities=True)
        root = doc.get("jobInfo")
        if not isinstance(root, dict):
            raise ValueError("not a jobInfo")
        return {k: v for k, v in root.items() if not k.startswith("@")}

    def create_v1(self, headers: Mapping[str, str], body: bytes, version: str, as_json: bool, t: float) -> Reply:
        try:
            spec = self._read_doc(headers, body)
        except Exception:
            return v1_error(400, "InvalidJob", "Unable to parse the job information", as_json)
        operation = str(spec.get("operation") or "")
        if operation not in ("insert", "update", "upsert", "delete", "hardDelete", "query", "queryAll"):
            return v1_error(400, "InvalidJob", f"Invalid operation: {operation or 'missing'}", as_json)
        sobject = str(spec.get("object") or "")
        if not re.fullmatch(r"[A-Za-z]\w*", sobject):
            return v1_error(400, "InvalidJob", "Object is required", as_json)
        content_type = str(spec.get("contentType") or "XML")
        if content_type not in ("XML", "CSV", "JSON", "ZIP_XML", "ZIP_CSV", "ZIP_JSON"):
            return v1_error(400, "InvalidJob", f"Invalid content type: {content_type}", as_json)
        chunk = 0
        pk = headers.get("sforce-enable-pkchunking", "").strip()
        if pk and pk.lower() != "false":
            size = re.search(r"chunkSize=(\d+)", pk, re.IGNORECASE)
            chunk = min(int(size.group(1)), 250_000) if size else 100_000
        job = Job(
            id=self.world.next_id("750"),
            api="classic",
            object=sobject,
            operation=operation,
            created=t,
            api_version=version,
            created_by=self.world.user_id,
            content_type=content_type,
            state="Open",
            external_id=str(spec.get("externalIdFieldName") or ""),
            concurrency_mode=str(spec.get("concurrencyMode") or "Parallel"),
            pk_chunk_size=chunk if operation in ("query", "queryAll") else 0,
            queue_delay=1.0,
        )
        self.world.add(job)
        return self.job_doc(job, t, as_json, status=201)

    def post_state_v1(self, job: Job, headers: Mapping[str, str], body: bytes, t: float, job_json: bool) -> Reply:
        as_json = "json" in headers.get("content-type", "").lower()
        try:
            spec = self._read_doc(headers, body)
        except Exception:
            return v1_error(400, "InvalidJob", "Unable to parse the job information", as_json or job_json)
        extra = set(spec) - {"state"}
        if extra:
            return v1_error(
                400, "InvalidJob", f"Only the state can be changed; got {', '.join(sorted(extra))}", job_json
            )
        state = spec.get("state")
        if state == "Closed":
            if job.state != "Open":
                return v1_error(400, "InvalidJobState", f"Job is not open: {job.state}", job_json)
            job.state = "Closed"
        elif state == "Aborted":
            if job.state not in ("Open", "Closed"):
                return v1_error(400, "InvalidJobState", f"Job is already {job.state}", job_json)
            job.advance(t, self.world.store)
            for batch in job.batches:
                if batch.state_at(t) == "Queued":
                    batch.override = "NotProcessed"
                    batch.override_at = t
            job.state = "Aborted"
        else:
            return v1_error(400, "InvalidJobState", f"Invalid state: {state}", job_json)
        job.modstamp = t
        return self.job_doc(job, t, job_json)

    def add_batch(self, job: Job, body: bytes, t: float, job_json: bool) -> Reply:
        if job.state != "Open":
            return v1_error(400, "InvalidJobState", f"Job is not open: {job.state}", job_json)
        if len(job.batches) >= 10_000:
            return v1_error(400, "ExceededQuota", "Maximum number of batches per job exceeded", job_json)
        query = job.operation in ("query", "queryAll")
        batch = Batch(id=self.world.next_id("751"), job=job, created=t, plan=Plan(total=0, rate=400), data=body)
        batch.content_type = job.content_type.replace("ZIP_", "")
        if query:
            soql = parse_soql(body.decode("utf-8", "replace"))
            if soql is None:
                batch.override, batch.override_message = (
                    "Failed",
                    "InvalidBatch : Failed to process query: MALFORMED_QUERY",
                )
                batch.plan.fail_message = batch.override_message
            else:
                rows = self.world.query_rows(soql)
                if job.pk_chunk_size:
                    return self._pk_chunk(job, batch, rows, t, job_json)
                batch.result_rows = rows
                batch.plan = Plan(total=len(rows), rate=5_000)
                batch.result_ids = [self.world.next_id("752") for _ in range(max(1, math.ceil(len(rows) / 10_000)))]
                job.schedule_batch(batch, t)
        else:
            try:
                if batch.content_type == "JSON":
                    rows = read_json_records(body)
                elif batch.content_type == "XML":
                    rows = read_xml_records(body)
                else:
                    rows = read_csv(body)
            except Exception:
                return v1_error(400, "InvalidBatch", "Records could not be parsed", job_json)
            if len(rows) > 10_000:
                return v1_error(400, "InvalidBatch", "Records not processed: more than 10000 records", job_json)
            outcomes = self.world.store.outcomes(job.object, job.operation, rows, job.external_id)
            batch.plan = Plan(total=len(rows), rate=400, outcomes=outcomes, apex_share=0.3)
            job.schedule_batch(batch, t)
        job.batches.append(batch)
        return self.batch_doc(batch, t, job_json, status=201)

    def _pk_chunk(self, job: Job, original: Batch, rows: list[dict[str, str]], t: float, as_json: bool) -> Reply:
        """PK chunking: the original batch goes NotProcessed; one batch per chunk does the work."""
        original.override, original.override_at = "NotProcessed", t
        job.batches.append(original)
        for start in range(0, max(1, len(rows)), job.pk_chunk_size):
            chunk = rows[start : start + job.pk_chunk_size]
            batch = Batch(id=self.world.next_id("751"), job=job, created=t, plan=Plan(total=len(chunk), rate=5_000))
            batch.content_type = original.content_type
            batch.data = original.data
            batch.result_rows = chunk
            batch.result_ids = [self.world.next_id("752")]
            job.schedule_batch(batch, t)
            job.batches.append(batch)
        return self.batch_doc(original, t, as_json, status=201)

    @staticmethod
    def seeded_request(job: Job, batch: Batch) -> bytes:
        """The request of a seeded batch (no client uploaded it): its rows, in the job's format."""
        header, rows = seeded_request_rows(job, batch)
        if batch.content_type == "JSON" or job.content_type == "JSON":
            return json.dumps(rows).encode()
        if batch.content_type == "XML" or job.content_type == "XML":
            items = "".join(
                "<sObject>" + "".join(f"<{k}>{_x(v)}</{k}>" for k, v in r.items()) + "</sObject>" for r in rows
            )
            return f'<?xml version="1.0" encoding="UTF-8"?><sObjects xmlns="{NS}">{items}</sObjects>'.encode()
        return write_csv(header, ([r.get(h, "") for h in header] for r in rows))

    def batch_result(self, job: Job, batch: Batch, result_id: str | None, t: float, job_json: bool) -> Reply:
        state = batch.state_at(t)
        if state not in ("Completed", "Failed"):
            return v1_error(400, "InvalidBatch", f"Batch not completed: {state}", job_json)
        kind = batch.content_type
        if batch.result_rows is not None or job.operation in ("query", "queryAll"):
            rows = batch.result_rows or []
            if result_id is None:
                if job_json:
                    return Reply(200, json.dumps(batch.result_ids).encode(), JSON_V1)
                items = "".join(f"<result>{r}</result>" for r in batch.result_ids)
                return Reply(200, f'<result-list xmlns="{NS}">{items}</result-list>'.encode(), XML)
            if result_id not in batch.result_ids:
                return v1_error(400, "InvalidBatch", f"Unable to find result: {result_id}", job_json)
            index = batch.result_ids.index(result_id)
            part = rows[index * 10_000 : (index + 1) * 10_000]
            header = list(job_soql_fields(batch) or (part[0].keys() if part else ["Id"]))
            if kind == "JSON":
                return Reply(
                    200, json.dumps([{"attributes": {"type": job.object}, **r} for r in part]).encode(), JSON_V1
                )
            if kind == "XML":
                records = "".join(
                    '<records xsi:type="sObject">'
                    + "".join(f"<{h}>{_x(r.get(h, ''))}</{h}>" for h in header)
                    + "</records>"
                    for r in part
                )
                doc = (
                    f'<queryResult xmlns="{NS}" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">{records}'
                    "</queryResult>"
                )
                return Reply(200, doc.encode(), XML)
            return Reply(200, write_csv(header, ([r.get(h, "") for h in header] for r in part)), CSV)
        if batch.plan.outcomes is None:  # a seeded batch: its rows' fates drawn from the batch id
            done = [
                RowResult(
                    failures.input_row(job.object, batch.id, i), False, False, "",
                    failures.error_for(job.object, batch.id, i),
                )
                if batch.plan.row_fails(i)
                else RowResult({}, True, job.operation == "insert", salesforce_id(key_prefix(job.object), i), "")
                for i in range(batch.processed_at(t))
            ]  # fmt: skip
        else:
            done = batch.plan.outcomes[: batch.processed_at(t)]
        if kind == "JSON":
            data = [
                {
                    "success": r.success,
                    "created": r.created,
                    "id": r.id or None,
                    "errors": [] if r.success else [_json_error(r.error)],
                }
                for r in done
            ]
            return Reply(200, json.dumps(data).encode(), JSON_V1)
        if kind == "XML":
            parts = []
            for r in done:
                inner = f"<id>{r.id}</id>" if r.id else '<id xsi:nil="true"/>'
                if not r.success:
                    err = _json_error(r.error)
                    inner += (
                        "<errors>"
                        + "".join(f"<fields>{_x(f)}</fields>" for f in err["fields"])
                        + f"<message>{_x(err['message'])}</message>"
                        f"<statusCode>{_x(err['statusCode'])}</statusCode></errors>"
                    )
                inner += f"<success>{str(r.success).lower()}</success><created>{str(r.created).lower()}</created>"
                parts.append(f"<result>{inner}</result>")
            doc = f'<results xmlns="{NS}" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">{"".join(parts)}</results>'
            return Reply(200, doc.encode(), XML)
        lines = [[r.id, str(r.success).lower(), str(r.created).lower(), r.error] for r in done]
        return Reply(200, write_csv(["Id", "Success", "Created", "Error"], lines), CSV)


def seeded_request_rows(job: Job, batch: Batch) -> tuple[list[str], list[dict[str, str]]]:
    header = list(failures.columns_for(job.object))
    return header, [failures.input_row(job.object, batch.id, i) for i in range(batch.plan.total)]


def job_soql_fields(batch: Batch) -> tuple[str, ...] | None:
    soql = parse_soql(batch.data.decode("utf-8", "replace"))
    return soql.fields if soql else None


def _x(value: str) -> str:
    from xml.sax.saxutils import escape

    return escape(value)


def _json_error(error: str) -> dict[str, Any]:
    code, message, fields = failures.parts(error)
    return {"statusCode": code, "message": message, "fields": [f.strip() for f in fields.split(",") if f.strip()]}


def _past(state: str) -> str:
    return {"JobComplete": "Completed", "UploadComplete": "UploadComplete"}.get(state, state)
