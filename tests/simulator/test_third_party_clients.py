"""The simulator serves real, unmodified third-party Salesforce clients end to end."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator

import pytest
import requests
from salesforce_bulk import SalesforceBulk
from salesforce_bulk.salesforce_bulk import BulkApiError, BulkBatchFailed
from simple_salesforce import Salesforce

from sfmonitor.simulator.server import Simulator


@pytest.fixture
def tls_sim(monkeypatch: pytest.MonkeyPatch) -> Iterator[Simulator]:
    """simple-salesforce always speaks https: an empty org served with a self-signed certificate."""
    # requests lets these variables override a session's own `verify`; some machines set them.
    monkeypatch.delenv("REQUESTS_CA_BUNDLE", raising=False)
    monkeypatch.delenv("CURL_CA_BUNDLE", raising=False)
    with Simulator(speed=600, spawn_every=0, seeded=False, tls=True) as simulator:
        yield simulator


def _sf(sim: Simulator) -> Salesforce:
    session = requests.Session()
    session.verify = str(sim.cert_path)
    return Salesforce(instance_url=sim.base_url, session_id=sim.token, session=session, version="66.0")


def _rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


# --- simple-salesforce, Bulk API 2.0 ----------------------------------------------------------------


def test_simple_salesforce_bulk2_ingest_with_failed_rows(tls_sim: Simulator) -> None:
    sf = _sf(tls_sim)
    records = [{"Name": f"Acme {i}", "Industry": "Energy"} for i in range(25)]
    records[3]["Name"] = ""  # Name is required on Account: this row must fail
    records[17]["Name"] = ""
    results = sf.bulk2.Account.insert(records=records, wait=0.05)
    assert len(results) == 1
    result = results[0]
    assert result["numberRecordsProcessed"] == 25
    assert result["numberRecordsFailed"] == 2
    assert result["numberRecordsTotal"] == 25
    job_id = result["job_id"]

    successful = _rows(sf.bulk2.Account.get_successful_records(job_id))
    failed = _rows(sf.bulk2.Account.get_failed_records(job_id))
    assert len(successful) == 23 and len(failed) == 2
    assert all(row["sf__Id"].startswith("001") and len(row["sf__Id"]) == 18 for row in successful)
    assert all(row["sf__Created"] == "true" for row in successful)
    assert {row["Name"] for row in successful} == {f"Acme {i}" for i in range(25) if i not in (3, 17)}
    assert all(row["sf__Error"].startswith("REQUIRED_FIELD_MISSING") for row in failed)
    assert _rows(sf.bulk2.Account.get_unprocessed_records(job_id)) == []

    info = sf.bulk2.Account._client.get_job(job_id, False)
    assert info["state"] == "JobComplete"
    assert info["jobType"] == "V2Ingest"
    # the same job, seen from the listing sfmonitor reads
    listing = requests.get(
        f"{tls_sim.base_url}/services/data/v66.0/jobs/ingest",
        headers={"Authorization": f"Bearer {tls_sim.token}"},
        verify=str(tls_sim.cert_path),
        timeout=10,
    ).json()
    assert job_id in [r["id"] for r in listing["records"]]


def test_simple_salesforce_bulk2_query_pages_with_locator(tls_sim: Simulator) -> None:
    sf = _sf(tls_sim)
    sf.bulk2.Contact.insert(
        records=[{"LastName": f"Smith {i}", "Email": f"s{i}@x.test"} for i in range(120)], wait=0.05
    )
    pages = list(sf.bulk2.Contact.query("SELECT Id, LastName FROM Contact", max_records=50, wait=0.05))
    assert len(pages) == 3  # 50 + 50 + 20, following Sforce-Locator until "null"
    rows = [row for page in pages for row in _rows(page)]
    assert len(rows) == 120
    assert {row["LastName"] for row in rows} == {f"Smith {i}" for i in range(120)}
    assert all(row["Id"].startswith("003") for row in rows)


def test_simple_salesforce_bulk2_abort_and_close_errors(tls_sim: Simulator) -> None:
    sf = _sf(tls_sim)
    client = sf.bulk2.Account._client
    job = client.create_job("insert")
    assert job["state"] == "Open"
    aborted = client.abort_job(job["id"], False)
    assert aborted["state"] == "Aborted"
    with pytest.raises(Exception, match="INVALIDJOBSTATE"):
        client.close_job(job["id"])


# --- salesforce-bulk, Bulk API 1.0 ------------------------------------------------------------------


def _bulk(sim: Simulator) -> SalesforceBulk:
    return SalesforceBulk(sessionId=sim.token, host=sim.base_url, API_version="62.0")


def _wait_batches(bulk: SalesforceBulk, job: str, batches: list[str]) -> None:
    for batch in batches:
        bulk.wait_for_batch(job, batch, timeout=30, sleep_interval=0.05)


def test_salesforce_bulk_csv_insert_job(fast_sim: Simulator) -> None:
    bulk = _bulk(fast_sim)
    job = bulk.create_insert_job("Account", contentType="CSV")
    rows = "Name,Industry\n" + "".join(f"Acme {i},Retail\n" for i in range(40)) + ",Retail\n"
    batch1 = bulk.post_batch(job, rows.encode())
    batch2 = bulk.post_batch(job, b"Name\nSecond batch\n")
    bulk.close_job(job)
    _wait_batches(bulk, job, [batch1, batch2])
    assert bulk.job_state(job) == "Closed"
    batch_list = bulk.get_batch_list(job)
    assert {b["id"] for b in batch_list} == {batch1, batch2}
    assert all(b["state"] == "Completed" for b in batch_list)
    results = bulk.get_batch_results(batch1, job)
    assert len(results) == 41
    assert sum(1 for r in results if r.success == "true") == 40
    failed = [r for r in results if r.success == "false"]
    assert len(failed) == 1 and failed[0].error.startswith("REQUIRED_FIELD_MISSING")
    status = bulk.job_status(job)
    assert status["numberRecordsProcessed"] == "42"
    assert status["numberRecordsFailed"] == "1"
    assert status["numberBatchesCompleted"] == "2"


def test_salesforce_bulk_json_job_and_query(fast_sim: Simulator) -> None:
    bulk = _bulk(fast_sim)
    job = bulk.create_insert_job("Contact", contentType="JSON")
    data = json.dumps([{"LastName": f"Jones {i}"} for i in range(12)]).encode()
    batch = bulk.post_batch(job, data)
    bulk.close_job(job)
    _wait_batches(bulk, job, [batch])
    results = bulk.get_batch_results(batch, job)
    assert len(results) == 12 and all(r.success for r in results)
    listed = bulk.get_batch_list(job)  # JSON: {"batchInfo": [...]}
    assert listed[0]["state"] == "Completed"

    query_job = bulk.create_query_job("Contact", contentType="CSV")
    query_batch = bulk.query(query_job, "SELECT Id, LastName FROM Contact")
    bulk.close_job(query_job)
    _wait_batches(bulk, query_job, [query_batch])
    text = b"".join(part.read() for part in bulk.get_all_results_for_query_batch(query_batch, query_job)).decode()
    rows = _rows(text)
    assert {r["LastName"] for r in rows} == {f"Jones {i}" for i in range(12)}


def test_salesforce_bulk_abort_and_poll(fast_sim: Simulator) -> None:
    bulk = _bulk(fast_sim)
    job = bulk.create_insert_job("Account", contentType="CSV")
    with fast_sim.world.lock:  # a slow org: the batches queue up behind each other
        fast_sim.world.jobs[job].queue_delay = 3600
    batches = [bulk.post_batch(job, b"Name\nQueued\n") for _ in range(3)]
    bulk.abort_job(job)
    assert bulk.job_state(job) == "Aborted"
    states = {b["state"] for b in bulk.get_batch_list(job)}
    assert states == {"NotProcessed"}
    with pytest.raises(BulkApiError, match="InvalidJobState"):
        bulk.abort_job(job)
    with pytest.raises(BulkBatchFailed) as failed:
        bulk.is_batch_done(batches[0], job)
    assert failed.value.state == "NotProcessed"


def test_salesforce_bulk_pk_chunked_query(fast_sim: Simulator) -> None:
    bulk = _bulk(fast_sim)
    job = bulk.create_insert_job("Account", contentType="CSV")
    batch = bulk.post_batch(job, ("Name\n" + "".join(f"Chunky {i}\n" for i in range(30))).encode())
    bulk.close_job(job)
    _wait_batches(bulk, job, [batch])
    query_job = bulk.create_query_job("Account", contentType="CSV", pk_chunking=10)
    original = bulk.query(query_job, "SELECT Id, Name FROM Account")
    batch_list = bulk.get_batch_list(query_job)
    assert len(batch_list) == 4  # the original plus three chunks of 10
    assert bulk.batch_state(original, query_job, reload=True) == "NotProcessed"


def test_bad_session_is_refused_like_salesforce(fast_sim: Simulator) -> None:
    bulk = SalesforceBulk(sessionId="not-a-token", host=fast_sim.base_url, API_version="62.0")
    with pytest.raises(BulkApiError, match="InvalidSessionId") as caught:
        bulk.create_insert_job("Account", contentType="CSV")
    assert caught.value.status_code == 400
    answer = requests.get(
        f"{fast_sim.base_url}/services/data/v66.0/jobs/ingest", headers={"Authorization": "Bearer nope"}, timeout=10
    )
    assert answer.status_code == 401
    assert answer.json() == [{"errorCode": "INVALID_SESSION_ID", "message": "Session expired or invalid"}]
