"""Bulk API 2.0 (``/services/data/vNN.N/jobs/ingest|query``): listing, creating, uploading to, closing,
aborting and deleting jobs, and their results."""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import unquote

from .. import failures
from ..records import DELIMITERS, csv_chunks, parse_soql, read_csv, salesforce_id, write_csv
from ..world import Job, Plan
from .shared import CSV, STREAM_ROWS, ApiBase, Reply, v2_error


class BulkV2Api(ApiBase):
    def v2_jobs(self, method: str, rest: str, params: dict[str, str], body: bytes, version: str, t: float) -> Reply:
        """``rest``: the path after the version."""
        m = re.fullmatch(r"/jobs/(ingest|query)(?:/([^/]+)(?:/(\w+))?)?", rest)
        if not m:
            return v2_error(404, "NOT_FOUND", "The requested resource does not exist")
        listing, sub = m.group(1), m.group(3)
        job_id = unquote(m.group(2)) if m.group(2) is not None else None  # the id is one quoted segment
        if job_id is None:
            if method == "GET":
                return self.list_jobs(listing, params, t)
            if method == "POST":
                return self.create_v2(listing, body, version, t)
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


def _past(state: str) -> str:
    return {"JobComplete": "Completed", "UploadComplete": "UploadComplete"}.get(state, state)
