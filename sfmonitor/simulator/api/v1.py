"""Bulk API 1.0 (``/services/async/NN.N/job…``): jobs and batches in XML or JSON, PK chunking, and
batch requests and results."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from typing import Any

import xmltodict

from .. import failures
from ..records import (
    NS,
    RowResult,
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
from ..world import Batch, Job, Plan
from .shared import CSV, JSON_V1, VERSIONS, XML, ApiBase, Reply, v1_error


class BulkV1Api(ApiBase):
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
