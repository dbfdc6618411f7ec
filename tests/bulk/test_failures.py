"""Failure files as data: errors split and grouped, CSV read in chunks cut anywhere, Bulk 1.0 results
and requests of every format, and a report whose memory does not follow the file."""

from __future__ import annotations

import csv
import io
import json

import pytest

from sfmonitor.bulk.errors import HostileBody, ProtocolError
from sfmonitor.bulk.failures import (
    MAX_GROUPS,
    OTHER_MESSAGES,
    ROWS_KEPT,
    SAMPLES_PER_GROUP,
    FailedRow,
    FailureReport,
    group_key,
    split_error,
)
from sfmonitor.bulk.models import JobKind
from sfmonitor.bulk.result_files import MAX_ROW, CsvStream, csv_rows, parse_batch_request, parse_batch_result


@pytest.mark.parametrize(
    ("text", "code", "message"),
    [
        ("REQUIRED_FIELD_MISSING:Required fields are missing: [LastName]", "REQUIRED_FIELD_MISSING",
         "Required fields are missing: [LastName]"),
        ("REQUIRED_FIELD_MISSING:Required fields are missing: [LastName]:LastName --", "REQUIRED_FIELD_MISSING",
         "Required fields are missing: [LastName]"),
        ("UNABLE_TO_LOCK_ROW:unable to obtain exclusive access to this record:--", "UNABLE_TO_LOCK_ROW",
         "unable to obtain exclusive access to this record"),
        ("DUPLICATE_VALUE:duplicate value found: E__c duplicates value on record with id: 0015g00000ABCDEAAA:E__c --",
         "DUPLICATE_VALUE", "duplicate value found: E__c duplicates value on record with id: 0015g00000ABCDEAAA"),
        ("no code here: just words", "", "no code here: just words"),
        ("", "", ""),
    ],
)  # fmt: skip
def test_errors_split_into_code_and_message(text: str, code: str, message: str) -> None:
    assert split_error(text) == (code, message)


def test_rows_differing_only_in_ids_or_echoed_values_share_a_group() -> None:
    a = group_key("DUPLICATE_VALUE", "duplicate value found: X duplicates value on record with id: 0015g00000ABCDEAAA")
    b = group_key("DUPLICATE_VALUE", "duplicate value found: X duplicates value on record with id: 0015g00000ZZZZZAAQ")
    assert a == b
    long_a = group_key("STRING_TOO_LONG", "Description: data value too large: aaaa (max length=255)")
    long_b = group_key("STRING_TOO_LONG", "Description: data value too large: bbbbbbbb (max length=255)")
    assert long_a == long_b and "(max length=255)" in long_a[1]
    assert group_key("X", "Required fields are missing: [Name]") != group_key("X", "Required fields are missing: [Id]")


def _report(rows: list[tuple[str, str]]) -> FailureReport:
    report = FailureReport("750x", JobKind.INGEST)
    for i, (code, message) in enumerate(rows):
        report.add(FailedRow(code, message, f"{code}:{message}", {"Name": f"n{i}"}))
    return report


def test_groups_are_largest_first_with_shares_and_the_first_exact_message() -> None:
    rows = [("A", "one")] * 3 + [("B", "two on record with id: 0015g00000ABCDEAAA")]
    rows += [("B", "two on record with id: 0015g00000ZZZZZAAQ")]
    report = _report(rows)
    groups = report.ordered()
    assert [(g.code, g.count) for g in groups] == [("A", 3), ("B", 2)]
    assert report.failed == 5 and report.share(groups[0]) == pytest.approx(0.6)
    assert groups[1].varies and groups[1].message.endswith("0015g00000ABCDEAAA")
    data = report.as_json()
    assert data["groups"][0] == {"code": "A", "message": "one", "messagesVary": False, "count": 3,
                                 "samples": [{"Name": "n0"}, {"Name": "n1"}, {"Name": "n2"}]}  # fmt: skip
    assert data["apiKind"] == "ingest" and data["batchesCovered"] is None


def test_a_report_of_many_rows_and_messages_keeps_bounded_rows_and_groups() -> None:
    report = FailureReport("750x", JobKind.INGEST)
    for i in range(60_000):
        report.add(FailedRow("CODE", f"message number {i}", "e", {"Name": "x" * 10_000}))
    assert report.failed == 60_000
    assert len(report.groups) == MAX_GROUPS + 1  # the rest joined their code's "other" group
    assert report.groups[("CODE", OTHER_MESSAGES)].count == 60_000 - MAX_GROUPS
    kept = sum(len(g.rows) for g in report.groups.values())
    assert kept <= ROWS_KEPT + SAMPLES_PER_GROUP * (MAX_GROUPS + 1)
    assert all(len(r.fields["Name"]) <= 4096 for g in report.groups.values() for r in g.rows)


HOSTILE_CSV = (
    '\ufeff"sf__Id","sf__Error","Name","Notes"\r\n'
    '"","REQUIRED_FIELD_MISSING:Required fields are missing: [Name]","","line one\nline two, with ""quotes"""\r\n'
    '"","FIELD_CUSTOM_VALIDATION_EXCEPTION:[bold]red[/] \x1b[31mx\x1b[0m","Acme, Inc.","é ü 漢字"\r\n'
    f'"","STRING_TOO_LONG:{"y" * 50_000}","z","a\r\nb"\r\n'
).encode()


@pytest.mark.parametrize("size", [1, 2, 3, 7, 64, 1000, len(HOSTILE_CSV)])
def test_csv_read_in_chunks_cut_anywhere_gives_the_same_rows(size: int) -> None:
    stream = CsvStream()
    rows: list[list[str]] = []
    for at in range(0, len(HOSTILE_CSV), size):
        rows += stream.feed(HOSTILE_CSV[at : at + size])
    rows += stream.finish()
    expected = list(csv.reader(io.StringIO(HOSTILE_CSV.decode("utf-8-sig"), newline="")))
    assert rows == expected
    assert rows[0][0] == "sf__Id"  # the BOM is gone
    assert rows[1][3] == 'line one\nline two, with "quotes"'
    assert rows[3][3] == "a\r\nb" and len(rows[3][1]) == len("STRING_TOO_LONG:") + 50_000


def test_a_row_that_never_ends_is_refused_not_held() -> None:
    stream = CsvStream()
    stream.feed(b'"sf__Id","sf__Error"\n"","open quote never closed')
    with pytest.raises(HostileBody):
        for _ in range(MAX_ROW // (1024 * 1024) + 2):
            stream.feed(b"x" * (1024 * 1024))


def test_bytes_that_are_not_utf8_are_replaced_not_fatal() -> None:
    assert csv_rows(b'"a","b"\n"\xff\xfe","ok"\n') == [["a", "b"], ["\ufffd\ufffd", "ok"]]


V1_CSV_RESULT = (
    b'"Id","Success","Created","Error"\n'
    b'"001000000000001AAA","true","true",""\n'
    b'"","false","false","REQUIRED_FIELD_MISSING:Required fields are missing: [Name]:Name --"\n'
)
V1_XML_RESULT = (
    b'<?xml version="1.0" encoding="UTF-8"?><results xmlns="http://www.force.com/2009/06/asyncapi/dataload">'
    b"<result><id>001000000000001AAA</id><success>true</success><created>true</created></result>"
    b'<result><id xsi:nil="true" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"/><errors><fields>Name</fields>'
    b"<message>Required fields are missing: [Name]</message><statusCode>REQUIRED_FIELD_MISSING</statusCode></errors>"
    b"<success>false</success><created>false</created></result></results>"
)
V1_JSON_RESULT = json.dumps(
    [
        {"success": True, "created": True, "id": "001000000000001AAA", "errors": []},
        {"success": False, "created": False, "id": None,
         "errors": [{"statusCode": "REQUIRED_FIELD_MISSING", "message": "Required fields are missing: [Name]",
                     "fields": ["Name"]}]},
    ]
).encode()  # fmt: skip


@pytest.mark.parametrize(
    ("content_type", "body"),
    [("text/csv", V1_CSV_RESULT), ("application/xml", V1_XML_RESULT), ("application/json", V1_JSON_RESULT),
     ("", V1_JSON_RESULT), ("", V1_XML_RESULT)],
)  # fmt: skip
def test_v1_batch_results_of_every_format(content_type: str, body: bytes) -> None:
    first, second = parse_batch_result(content_type, body)
    assert first.success and first.record_id == "001000000000001AAA"
    assert not second.success
    assert (second.code, second.message) == ("REQUIRED_FIELD_MISSING", "Required fields are missing: [Name]")
    assert second.error.startswith("REQUIRED_FIELD_MISSING:Required fields are missing: [Name]")


def test_v1_batch_results_refuse_entities_and_garble() -> None:
    bomb = b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaa">]><results><result>&a;</result></results>'
    with pytest.raises(HostileBody):
        parse_batch_result("application/xml", bomb)
    with pytest.raises(ProtocolError):
        parse_batch_result("application/json", b"[{")
    with pytest.raises(ProtocolError):
        parse_batch_result("text/csv", b'"Id","Nope"\n"1","2"\n')


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        ("text/csv", b'Name,Account.External__c\n"Acme, Inc.",X1\n"",X2\n'),
        ("application/xml", b'<sObjects xmlns="http://www.force.com/2009/06/asyncapi/dataload"><sObject>'
                            b"<Name>Acme, Inc.</Name><Account><External__c>X1</External__c></Account></sObject>"
                            b"<sObject><Name></Name><Account><External__c>X2</External__c></Account></sObject></sObjects>"),
        ("application/json", json.dumps([{"Name": "Acme, Inc.", "Account": {"External__c": "X1"}},
                                          {"Name": "", "Account": {"External__c": "X2"}}]).encode()),
    ],
)  # fmt: skip
def test_v1_batch_requests_of_every_format_flatten_relationships(content_type: str, body: bytes) -> None:
    columns, rows = parse_batch_request(content_type, body)
    assert columns == ["Name", "Account.External__c"]
    assert rows == [{"Name": "Acme, Inc.", "Account.External__c": "X1"}, {"Name": "", "Account.External__c": "X2"}]
