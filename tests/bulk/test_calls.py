"""What each API call went to, told from its method and path, and kept for the last hour."""

from __future__ import annotations

from sfmonitor.bulk.calls import CallLog, breakdown, call_kind

V2 = "/services/data/v62.0/jobs"
V1 = "/services/async/62.0/job/750000000000001AAA"


def test_each_request_has_its_kind() -> None:
    assert call_kind("GET", f"{V2}/ingest") == "listings"
    assert call_kind("GET", f"{V2}/query?isPkChunkingEnabled=false") == "listings"
    assert call_kind("GET", f"{V2}/ingest/750000000000001AAA") == "job reads"
    assert call_kind("GET", f"{V2}/ingest/750000000000001AAA/failedResults/") == "results"
    assert call_kind("GET", f"{V2}/ingest/750000000000001AAA/unprocessedrecords") == "results"
    assert call_kind("GET", V1) == "job reads"
    assert call_kind("GET", f"{V1}/batch") == "batch lists"
    assert call_kind("GET", f"{V1}/batch/751000000000001AAA/result") == "results"
    assert call_kind("GET", f"{V1}/batch/751000000000001AAA/request") == "results"
    assert call_kind("GET", "/services/data/v62.0/limits") == "limits"
    assert call_kind("GET", "/services/data/") == "sign-in"
    assert call_kind("GET", "/services/oauth2/userinfo") == "sign-in"
    assert call_kind("GET", "/services/data/v62.0/query") == "sign-in"  # Organization.IsSandbox
    assert call_kind("PATCH", f"{V2}/ingest/750000000000001AAA") == "close/abort"
    assert call_kind("POST", V1) == "close/abort"
    assert call_kind("GET", "/services/data/v62.0/sobjects") == "other"


def test_the_log_keeps_the_last_hour_by_the_minute() -> None:
    now = [0.0]
    log = CallLog(clock=lambda: now[0])
    log.record("GET", f"{V2}/ingest")
    now[0] = 1800.0
    log.record("GET", f"{V2}/ingest/750000000000001AAA")
    log.record("GET", f"{V1}/batch/751000000000001AAA/result")
    assert log.last_hour()["listings"] == 1 and log.last_hour()["results"] == 1
    now[0] = 3600.0  # the listing an hour ago is out; the rest stays
    hour = log.last_hour()
    assert hour["listings"] == 0 and hour["job reads"] == 1 and hour["results"] == 1
    assert list(hour) == ["listings", "job reads", "batch lists", "results", "limits", "sign-in", "close/abort",
                          "other"]  # fmt: skip
    assert log.totals["listings"] == 1  # since the start
    assert breakdown(hour) == "1 job read, 1 result file (failures) (2 in all)"
    assert breakdown({"listings": 120, "job reads": 3_000}) == "120 listing pages, 3,000 job reads (3,120 in all)"
    assert breakdown(CallLog().last_hour()) == "no calls yet"
