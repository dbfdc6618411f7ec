"""Parsing of the reference's documented example payloads (bulk-api.md), and the edge cases it names."""

from __future__ import annotations

import json

import pytest

from sfmonitor.bulk import v1, v2
from sfmonitor.bulk.errors import (
    ApiError,
    InvalidJobState,
    NotFound,
    ProtocolError,
    RequestLimitExceeded,
    SessionExpired,
    parse_error,
)
from sfmonitor.bulk.models import Action, ApiUsage, Job, JobKind, parse_datetime, parse_limit_info

INGEST_OPEN = {
    "id": "7506g00000DhRA2AAN", "operation": "insert", "object": "Account",
    "createdById": "0056g000005HQPyAAO",
    "createdDate": "2018-12-18T22:51:36.000+0000", "systemModstamp": "2018-12-18T22:51:58.000+0000",
    "state": "Open", "concurrencyMode": "Parallel", "contentType": "CSV", "apiVersion": 66.0,
    "jobType": "V2Ingest", "contentUrl": "services/data/v66.0/jobs/ingest/7506g00000DhRA2AAN/batches",
    "lineEnding": "LF", "columnDelimiter": "COMMA",
    "retries": 0, "totalProcessingTime": 0, "apiActiveProcessingTime": 0, "apexProcessingTime": 0,
}  # fmt: skip

QUERY_DONE = {
    "id": "750R0000000zxikIAA", "operation": "query", "object": "Account",
    "createdById": "005R0000000GiwjIAC",
    "createdDate": "2018-12-18T22:51:36.000+0000", "systemModstamp": "2018-12-18T22:51:58.000+0000",
    "state": "JobComplete", "concurrencyMode": "Parallel", "contentType": "CSV", "apiVersion": 46.0,
    "jobType": "V2Query", "lineEnding": "LF", "columnDelimiter": "COMMA",
    "numberRecordsProcessed": 740003, "retries": 0, "totalProcessingTime": 21046,
    "isPkChunkingSupported": True,
}  # fmt: skip

V1_XML = b"""<?xml version="1.0" encoding="UTF-8"?>
<jobInfo xmlns="http://www.force.com/2009/06/asyncapi/dataload">
 <id>750D00000004SkLIAU</id><operation>insert</operation><object>Account</object>
 <createdById>005D0000001b0fFIAQ</createdById>
 <createdDate>2015-12-15T21:41:45.000Z</createdDate><systemModstamp>2015-12-15T21:41:45.000Z</systemModstamp>
 <state>Open</state><concurrencyMode>Parallel</concurrencyMode><contentType>CSV</contentType>
 <numberBatchesQueued>0</numberBatchesQueued><numberBatchesInProgress>0</numberBatchesInProgress>
 <numberBatchesCompleted>0</numberBatchesCompleted><numberBatchesFailed>0</numberBatchesFailed>
 <numberBatchesTotal>0</numberBatchesTotal><numberRecordsProcessed>0</numberRecordsProcessed>
 <numberRetries>0</numberRetries><apiVersion>36.0</apiVersion><numberRecordsFailed>0</numberRecordsFailed>
 <totalProcessingTime>0</totalProcessingTime><apiActiveProcessingTime>0</apiActiveProcessingTime>
 <apexProcessingTime>0</apexProcessingTime>
</jobInfo>"""

V1_JSON = {
    "apexProcessingTime": 0, "apiActiveProcessingTime": 5059, "apiVersion": 36.0,
    "concurrencyMode": "Parallel", "contentType": "JSON", "createdById": "005xx000001SyhGAAS",
    "createdDate": "2015-11-19T01:45:03.000+0000", "id": "750xx000000000GAAQ",
    "numberBatchesCompleted": 10, "numberBatchesFailed": 0, "numberBatchesInProgress": 0,
    "numberBatchesQueued": 0, "numberBatchesTotal": 10, "numberRecordsFailed": 0,
    "numberRecordsProcessed": 100, "numberRetries": 0, "object": "Account", "operation": "insert",
    "state": "Closed", "systemModstamp": "2015-11-19T01:45:03.000+0000", "totalProcessingTime": 5759,
}  # fmt: skip

ONE_BATCH_XML = b"""<batchInfoList xmlns="http://www.force.com/2009/06/asyncapi/dataload">
 <batchInfo>
  <id>751D0000000004rIAA</id><jobId>750D0000000002lIAA</jobId><state>InProgress</state>
  <createdDate>2009-04-14T18:15:59.000Z</createdDate><systemModstamp>2009-04-14T18:16:09.000Z</systemModstamp>
  <numberRecordsProcessed>800</numberRecordsProcessed><numberRecordsFailed>0</numberRecordsFailed>
  <totalProcessingTime>5870</totalProcessingTime><apiActiveProcessingTime>0</apiActiveProcessingTime>
  <apexProcessingTime>2166</apexProcessingTime>
 </batchInfo>
</batchInfoList>"""


def test_ingest_job_info_open_without_counts() -> None:
    job = Job.from_fields(INGEST_OPEN)
    assert job.kind is JobKind.INGEST
    assert job.state == "Open"
    assert job.api_version == "66.0"
    assert job.number_records_processed is None and job.number_records_failed is None
    assert job.retries == 0 and job.apex_processing_time == 0
    assert job.created_date is not None and job.created_date.isoformat() == "2018-12-18T22:51:36+00:00"
    assert job.refusal(Action.CLOSE) is None
    assert job.refusal(Action.ABORT) is None
    assert not job.finished


def test_query_job_info() -> None:
    job = Job.from_fields(QUERY_DONE)
    assert job.kind is JobKind.QUERY
    assert job.number_records_processed == 740003
    assert job.total_processing_time == 21046
    assert job.fields["isPkChunkingSupported"] is True
    assert job.finished
    assert "cannot be closed" in (job.refusal(Action.CLOSE) or "")
    assert "finished" in (job.refusal(Action.ABORT) or "")


def test_v1_xml_job_info_numbers_are_numbers() -> None:
    job = v1.parse_job("application/xml", V1_XML)
    assert job.kind is JobKind.CLASSIC
    assert job.id == "750D00000004SkLIAU"
    assert job.api_version == "36.0"
    assert job.number_batches_total == 0 and isinstance(job.number_batches_total, int)
    assert job.retries == 0
    assert job.fields["numberRecordsProcessed"] == 0
    assert job.created_date is not None and job.created_date.tzinfo is not None
    assert not any(key.startswith("@") for key in job.fields)  # no xmlns attribute leaks in


def test_v1_json_job_info_dispatches_on_content_type() -> None:
    job = v1.parse_job("application/json", json.dumps(V1_JSON).encode())
    assert job.kind is JobKind.CLASSIC
    assert job.state == "Closed"
    assert job.number_records_processed == 100
    assert job.api_active_processing_time == 5059
    # Closed with every batch done (by the counters): finished, nothing to abort
    assert job.finished
    assert job.refusal(Action.CLOSE) is not None


def test_one_batch_xml_is_still_a_list() -> None:
    batches = v1.parse_batches("application/xml", ONE_BATCH_XML)
    assert len(batches) == 1
    (batch,) = batches
    assert batch.state == "InProgress"
    assert batch.number_records_processed == 800
    assert batch.apex_processing_time == 2166
    assert not batch.terminal


def test_json_batch_list_single_object_and_array() -> None:
    one = {"id": "751x", "jobId": "750x", "state": "Completed", "numberRecordsProcessed": 5}
    assert len(v1.parse_batches("application/json", json.dumps({"batchInfo": one}).encode())) == 1
    many = {"batchInfo": [one, {**one, "id": "751y", "state": "Not Processed"}]}
    batches = v1.parse_batches("application/json", json.dumps(many).encode())
    assert [b.state for b in batches] == ["Completed", "NotProcessed"]
    assert all(b.terminal for b in batches)


def test_empty_batch_list() -> None:
    xml = b'<batchInfoList xmlns="http://www.force.com/2009/06/asyncapi/dataload"/>'
    assert v1.parse_batches("application/xml", xml) == ()


def test_dates_with_z_and_offset() -> None:
    a = parse_datetime("2009-04-14T18:15:59.000Z")
    b = parse_datetime("2009-04-14T18:15:59.000+0000")
    assert a == b is not None
    assert parse_datetime("garbage") is None
    assert parse_datetime(None) is None


def test_api_version_string_or_number_and_unknown_fields() -> None:
    job = Job.from_fields(
        {**INGEST_OPEN, "apiVersion": "61.0", "brandNewField": "x", "jobType": "FutureIngest"}, listed_as=JobKind.INGEST
    )
    assert job.api_version == "61.0"
    assert job.fields["brandNewField"] == "x"
    assert job.kind is JobKind.INGEST  # unknown job type goes by the listing it came from
    assert job.job_type == "FutureIngest"
    assert job.to_json()["brandNewField"] == "x"


def test_classic_closed_with_pk_chunk_original_not_processed_is_finished() -> None:
    job = Job.from_fields({"id": "750a", "jobType": "Classic", "state": "Closed"})
    batch_xml = ONE_BATCH_XML.replace(b"InProgress", b"Completed")
    done = v1.parse_batches("application/xml", batch_xml)
    original = v1.parse_batches("application/xml", ONE_BATCH_XML.replace(b"InProgress", b"NotProcessed"))
    assert job.with_batches(original + done).finished
    assert not job.with_batches(v1.parse_batches("application/xml", ONE_BATCH_XML)).finished


def test_json_output_uses_salesforce_names_and_nulls() -> None:
    out = Job.from_fields(INGEST_OPEN).to_json()
    assert out["numberRecordsProcessed"] is None
    assert out["apiVersion"] == 66.0
    assert out["jobType"] == "V2Ingest"
    classic = v1.parse_job("application/xml", V1_XML).to_json()
    assert classic["numberBatchesTotal"] == 0
    assert classic["batches"] is None
    assert classic["apiVersion"] == 36.0


@pytest.mark.parametrize(
    ("job", "action", "allowed"),
    [
        ({"jobType": "V2Ingest", "state": "Open"}, Action.CLOSE, True),
        ({"jobType": "V2Ingest", "state": "InProgress"}, Action.CLOSE, False),
        ({"jobType": "V2Ingest", "state": "UploadComplete"}, Action.ABORT, True),
        ({"jobType": "V2Ingest", "state": "JobComplete"}, Action.ABORT, False),
        ({"jobType": "V2Query", "state": "InProgress"}, Action.CLOSE, False),
        ({"jobType": "V2Query", "state": "InProgress"}, Action.ABORT, True),
        ({"jobType": "V2Query", "state": "Aborted"}, Action.ABORT, False),
        ({"jobType": "Classic", "state": "Open"}, Action.CLOSE, True),
        ({"jobType": "Classic", "state": "Closed"}, Action.CLOSE, False),
        ({"jobType": "Classic", "state": "Aborted"}, Action.ABORT, False),
        ({"jobType": "Classic", "state": "Failed"}, Action.ABORT, False),
    ],
)
def test_legal_transitions(job: dict[str, str], action: Action, allowed: bool) -> None:
    refusal = Job.from_fields({"id": "7505g0000000NPdAAM", **job}).refusal(action)
    assert (refusal is None) is allowed


def test_classic_closed_with_running_batches_can_be_aborted() -> None:
    job = Job.from_fields(
        {"id": "7505g0000000NPdAAM", "jobType": "Classic", "state": "Closed", "numberBatchesTotal": "5",
         "numberBatchesCompleted": "2", "numberBatchesInProgress": "3", "numberBatchesQueued": "0",
         "numberBatchesFailed": "0"}
    )  # fmt: skip
    assert not job.finished
    assert job.refusal(Action.ABORT) is None


# --- listings -------------------------------------------------------------------------------------


def test_listing_page_locator_taken_from_next_records_url() -> None:
    page = {
        "done": False,
        "records": [{**QUERY_DONE, "id": "750R0000000zhfdIAA"}],
        "nextRecordsUrl": "/services/data/v66.0/jobs/ingest?queryLocator=01gR0000000opRTIAY-2000",
    }
    records, locator = v2.parse_page(page)
    assert [r["id"] for r in records] == ["750R0000000zhfdIAA"]
    assert locator == "01gR0000000opRTIAY-2000"
    assert v2.parse_page({"done": True, "records": [], "nextRecordsUrl": None}) == ([], None)
    with pytest.raises(ProtocolError):
        v2.parse_page(["not", "a", "page"])


# --- errors ---------------------------------------------------------------------------------------


def test_v2_error_array() -> None:
    body = b'[{"errorCode":"INVALIDJOBSTATE","message":"Aborting already Completed Job not allowed"}]'
    err = parse_error(400, "application/json", body)
    assert isinstance(err, InvalidJobState)
    assert err.code == "INVALIDJOBSTATE"
    assert err.message == "Aborting already Completed Job not allowed"
    assert "Aborting already Completed Job not allowed" in str(err)


def test_v2_not_found_and_session_expired() -> None:
    nf = parse_error(
        404, "application/json", b'[{"errorCode": "NOT_FOUND", "message": "The requested resource does not exist"}]'
    )
    assert isinstance(nf, NotFound)
    expired = parse_error(
        401, "application/json", b'[{"message":"Session expired or invalid","errorCode":"INVALID_SESSION_ID"}]'
    )
    assert isinstance(expired, SessionExpired)


def test_v1_xml_error() -> None:
    body = b"""<?xml version="1.0" encoding="UTF-8"?>
<error xmlns="http://www.force.com/2009/06/asyncapi/dataload">
  <exceptionCode>InvalidBatch</exceptionCode>
  <exceptionMessage>Records not processed</exceptionMessage>
</error>"""
    err = parse_error(400, "application/xml", body)
    assert type(err) is ApiError
    assert (err.code, err.message) == ("InvalidBatch", "Records not processed")


def test_v1_json_error_and_invalid_session_and_job_state() -> None:
    err = parse_error(
        400, "application/json", b'{"exceptionCode": "InvalidBatch", "exceptionMessage": "Records not processed"}'
    )
    assert (err.code, err.message) == ("InvalidBatch", "Records not processed")
    session = parse_error(
        400,
        "application/xml",
        b'<error xmlns="http://www.force.com/2009/06/asyncapi/dataload"><exceptionCode>InvalidSessionId</exceptionCode>'
        b"<exceptionMessage>Invalid session id</exceptionMessage></error>",
    )
    assert isinstance(session, SessionExpired)
    state = parse_error(
        400, "application/json", b'{"exceptionCode": "InvalidJobState", "exceptionMessage": "Job is not open"}'
    )
    assert isinstance(state, InvalidJobState)


def test_request_limit_exceeded() -> None:
    err = parse_error(
        403, "application/json", b'[{"message":"TotalRequests Limit exceeded.","errorCode":"REQUEST_LIMIT_EXCEEDED"}]'
    )
    assert isinstance(err, RequestLimitExceeded)
    assert err.message == "TotalRequests Limit exceeded."
    v1_body = (
        b'<error xmlns="http://www.force.com/2009/06/asyncapi/dataload"><exceptionCode>ExceededQuota</exceptionCode>'
        b"<exceptionMessage>TotalRequests Limit exceeded.</exceptionMessage></error>"
    )
    v1_style = parse_error(403, "application/xml", v1_body)
    assert isinstance(v1_style, RequestLimitExceeded)


def test_gateway_html_error_is_one_clear_line() -> None:
    err = parse_error(
        503, "text/html", b"<html><body><h1>Service Unavailable</h1></body></html>", "Service Unavailable"
    )
    assert err.transient
    assert "HTML" in str(err) and "\n" not in str(err)


def test_xml_entities_are_refused_not_expanded() -> None:
    bomb = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>
<jobInfo xmlns="http://www.force.com/2009/06/asyncapi/dataload"><id>&lol2;</id></jobInfo>"""
    with pytest.raises(ProtocolError):
        v1.parse_job("application/xml", bomb)
    external = b"""<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>
<jobInfo xmlns="http://www.force.com/2009/06/asyncapi/dataload"><id>&e;</id></jobInfo>"""
    with pytest.raises(ProtocolError):
        v1.parse_job("application/xml", external)


def test_garbled_bodies_are_protocol_errors() -> None:
    with pytest.raises(ProtocolError):
        v1.parse_job("application/xml", b"<jobInfo><id>750")
    with pytest.raises(ProtocolError):
        v1.parse_job("application/json", b'{"id": "750')


# --- Sforce-Limit-Info ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("api-usage=10018/100000", ApiUsage(10018, 100000)),
        ("api-usage=18/5000; per-app-api-usage=17/250(appName=sample-connected-app)", ApiUsage(18, 5000)),
        ("api-bursts=1/750; api-usage=25/15000", ApiUsage(25, 15000)),
        ("per-app-api-usage=17/250(appName=x)", None),
        ("", None),
        (None, None),
    ],
)
def test_limit_info(header: str | None, expected: ApiUsage | None) -> None:
    assert parse_limit_info(header) == expected


@pytest.mark.parametrize("action", [Action.CLOSE, Action.ABORT])
def test_a_job_whose_id_is_no_salesforce_id_is_never_closed_or_aborted(action: Action) -> None:
    job = Job.from_fields({"id": "750\n\x1b]52;c;EVIL\x07", "jobType": "V2Ingest", "state": "Open"})
    refusal = job.refusal(action)
    assert refusal is not None and "is not a Salesforce id" in refusal and "\x1b" not in refusal
