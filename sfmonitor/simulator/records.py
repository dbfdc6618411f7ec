"""The simulated org's data: record ids, a small sObject store, row outcomes, SOQL, and the CSV /
XML / JSON codecs the Bulk APIs speak.
"""

from __future__ import annotations

import csv
import functools
import io
import json
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from xml.sax.saxutils import escape

import xmltodict

NS = "http://www.force.com/2009/06/asyncapi/dataload"
_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_SUFFIX = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"
KEY_PREFIXES = {"account": "001", "contact": "003", "opportunity": "006", "lead": "00Q", "case": "500", "user": "005"}
REQUIRED = {"account": "Name", "contact": "LastName", "lead": "LastName", "opportunity": "Name", "case": ""}


@functools.lru_cache(maxsize=1 << 16)  # the same few owners and accounts, drawn for row after row of results
def salesforce_id(prefix: str, number: int, pod: str = "5g") -> str:
    """An 18-character id with a correct case-safe checksum suffix."""
    body = ""
    n = number
    for _ in range(8):
        body = _ALPHABET[n % 62] + body
        n //= 62
    base15 = (prefix + pod + "00" + body)[:15].ljust(15, "0")
    suffix = ""
    for chunk in range(3):
        bits = 0
        for i, ch in enumerate(base15[chunk * 5 : chunk * 5 + 5]):
            if ch.isupper():
                bits |= 1 << i
        suffix += _SUFFIX[bits]
    return base15 + suffix


def key_prefix(sobject: str) -> str:
    return KEY_PREFIXES.get(sobject.lower(), "a0B")


@dataclass
class RowResult:
    """What the org did with one uploaded row."""

    row: dict[str, str]
    success: bool
    created: bool
    id: str
    error: str  # "CODE:message:fields --"


class Store:
    """sObject records by object name (lower case), and an id counter."""

    def __init__(self) -> None:
        self.objects: dict[str, dict[str, dict[str, str]]] = {}
        self._counter = 1000

    def new_id(self, sobject: str) -> str:
        self._counter += 1
        return salesforce_id(key_prefix(sobject), self._counter)

    def table(self, sobject: str) -> dict[str, dict[str, str]]:
        return self.objects.setdefault(sobject.lower(), {})

    def outcome(self, sobject: str, operation: str, row: dict[str, str], external_id: str = "") -> RowResult:
        """Decide a row's fate the way the org would, without applying it yet."""
        table = self.table(sobject)
        op = operation.lower()
        row_id = (row.get("Id") or row.get("ID") or row.get("id") or "").strip()
        if op == "insert" or (op == "upsert" and not _upsert_match(table, row, external_id)):
            if op == "upsert" and not (row.get(external_id) or "").strip():
                return RowResult(row, False, False, "", f"MISSING_ARGUMENT:{external_id} not specified:--")
            invalid = _invalid_value(table, row, op)
            if invalid:
                return RowResult(row, False, False, "", invalid)
            required = REQUIRED.get(sobject.lower(), "Name")
            if required and required in row and not row[required].strip():
                return RowResult(
                    row,
                    False,
                    False,
                    "",
                    f"REQUIRED_FIELD_MISSING:Required fields are missing: [{required}]:{required} --",
                )
            return RowResult(row, True, True, self.new_id(sobject), "")
        if op == "upsert":
            match = _upsert_match(table, row, external_id)
            assert match is not None
            return RowResult(row, True, False, match, "")
        if not row_id:
            return RowResult(row, False, False, "", "MISSING_ARGUMENT:Id not specified in an update call:--")
        if op in ("delete", "harddelete", "update") and row_id not in table:
            return RowResult(row, False, False, row_id, "ENTITY_IS_DELETED:entity is deleted:--")
        return RowResult(row, True, False, row_id, "")

    def outcomes(
        self, sobject: str, operation: str, rows: list[dict[str, str]], external_id: str = ""
    ) -> list[RowResult]:
        """Every row's fate, in order; an insert repeating an external id of an earlier row of the same
        upload is a duplicate of the record that row makes."""
        out = []
        made: dict[str, str] = {}  # External_Id__c -> the id an earlier row of this upload gets
        for row in rows:
            result = self.outcome(sobject, operation, row, external_id)
            external = (row.get("External_Id__c") or "").strip()
            if result.success and result.created and external:
                if external in made:
                    error = ("DUPLICATE_VALUE:duplicate value found: External_Id__c duplicates value on record "
                             f"with id: {made[external]}:External_Id__c --")  # fmt: skip
                    result = RowResult(row, False, False, "", error)
                else:
                    made[external] = result.id
            out.append(result)
        return out

    def apply(self, sobject: str, operation: str, result: RowResult) -> None:
        if not result.success:
            return
        table = self.table(sobject)
        op = operation.lower()
        if op in ("delete", "harddelete"):
            table.pop(result.id, None)
        else:
            record = table.setdefault(result.id, {"Id": result.id})
            record.update({k: v for k, v in result.row.items() if k.lower() != "id"})


MAX_TEXT = 255
READ_ONLY = ("CreatedDate", "LastModifiedDate", "SystemModstamp", "CreatedById", "LastModifiedById")


def _invalid_value(table: dict[str, dict[str, str]], row: dict[str, str], op: str) -> str:
    """What the org says of a value it will not take (in its own words), or ""."""
    for name in READ_ONLY:
        if (row.get(name) or "").strip():
            return (f"INVALID_FIELD_FOR_INSERT_UPDATE:Unable to create/update fields: {name}. Please check the "
                    "security settings of this field and verify that it is read/write for your profile or "
                    f"permission set.:{name} --")  # fmt: skip
    for name, value in row.items():
        if len(value) > MAX_TEXT:
            return f"STRING_TOO_LONG:{name}: data value too large: {value[:40]} (max length={MAX_TEXT}):{name} --"
    email = (row.get("Email") or "").strip()
    if email and ("@" not in email or "." not in email.rsplit("@", 1)[-1]):
        return f"INVALID_EMAIL_ADDRESS:Email: invalid email address: {email}:Email --"
    external = (row.get("External_Id__c") or "").strip()
    if op == "insert" and external:
        for record_id, record in table.items():
            if record.get("External_Id__c") == external:
                return (f"DUPLICATE_VALUE:duplicate value found: External_Id__c duplicates value on record with id: "
                        f"{record_id}:External_Id__c --")  # fmt: skip
    return ""


def _upsert_match(table: dict[str, dict[str, str]], row: dict[str, str], external_id: str) -> str | None:
    value = (row.get(external_id) or "").strip()
    if not value:
        return None
    if external_id.lower() == "id":
        return value if value in table else None
    for record_id, record in table.items():
        if record.get(external_id) == value:
            return record_id
    return None


# --- SOQL -------------------------------------------------------------------------------------

_SOQL = re.compile(r"^\s*select\s+(?P<fields>.+?)\s+from\s+(?P<object>\w+)(?P<rest>.*)$", re.IGNORECASE | re.DOTALL)
_LIMIT = re.compile(r"\blimit\s+(\d+)", re.IGNORECASE)


@dataclass(frozen=True)
class Soql:
    fields: tuple[str, ...]
    sobject: str
    limit: int | None


def parse_soql(text: str) -> Soql | None:
    match = _SOQL.match(text or "")
    if not match:
        return None
    fields = tuple(f.strip() for f in match.group("fields").split(",") if f.strip())
    if not fields or any(not re.fullmatch(r"[\w.()]+", f) for f in fields):
        return None
    limit = _LIMIT.search(match.group("rest"))
    return Soql(fields, match.group("object"), int(limit.group(1)) if limit else None)


def run_query(store: Store, soql: Soql) -> list[dict[str, str]]:
    rows = [{f: record.get(f, "") for f in soql.fields} for record in store.table(soql.sobject).values()]
    return rows[: soql.limit] if soql.limit is not None else rows


# --- codecs -----------------------------------------------------------------------------------

DELIMITERS = {"COMMA": ",", "TAB": "\t", "PIPE": "|", "SEMICOLON": ";", "CARET": "^", "BACKQUOTE": "`"}


def read_csv(data: bytes, delimiter: str = ",") -> list[dict[str, str]]:
    text = data.decode("utf-8-sig", "replace")
    reader = csv.DictReader(io.StringIO(text, newline=""), delimiter=delimiter)
    return [{k: (v or "") for k, v in row.items() if k is not None} for row in reader]


def write_csv(header: Sequence[str], rows: Iterable[Sequence[str]], line_ending: str = "\n") -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, quoting=csv.QUOTE_ALL, lineterminator=line_ending)
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode()


def csv_chunks(header: Sequence[str], rows: Iterable[Sequence[str]], size: int = 64 * 1024) -> Iterator[bytes]:
    """``write_csv``, a piece at a time: a huge file is sent as it is made."""
    out = io.StringIO()
    writer = csv.writer(out, quoting=csv.QUOTE_ALL, lineterminator="\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow(row)
        if out.tell() >= size:
            yield out.getvalue().encode()
            out.seek(0)
            out.truncate()
    yield out.getvalue().encode()


def read_xml_records(data: bytes) -> list[dict[str, str]]:
    """Bulk 1.0 XML batch: ``<sObjects xmlns=...><sObject><Name>..</Name></sObject>...``."""
    doc = xmltodict.parse(data, process_namespaces=True, namespaces={NS: None}, force_list=("sObject",))
    root = doc.get("sObjects") or {}
    return [
        {k: "" if v is None else str(v) for k, v in item.items() if not k.startswith("@")}
        for item in (root.get("sObject") or [])
        if isinstance(item, dict)
    ]


def read_json_records(data: bytes) -> list[dict[str, str]]:
    items = json.loads(data)
    if not isinstance(items, list):
        raise ValueError("a JSON batch is an array of records")
    return [{k: "" if v is None else str(v) for k, v in item.items()} for item in items if isinstance(item, dict)]


def xml_doc(root: str, fields: Mapping[str, object] | Iterable[tuple[str, object]]) -> bytes:
    items = fields.items() if isinstance(fields, Mapping) else fields
    inner = "".join(f"<{k}>{escape(_xml_value(v))}</{k}>" for k, v in items if v is not None)
    return f'<?xml version="1.0" encoding="UTF-8"?><{root} xmlns="{NS}">{inner}</{root}>'.encode()


def xml_list(root: str, item: str, docs: Iterable[Mapping[str, object]]) -> bytes:
    parts = []
    for fields in docs:
        inner = "".join(f"<{k}>{escape(_xml_value(v))}</{k}>" for k, v in fields.items() if v is not None)
        parts.append(f"<{item}>{inner}</{item}>")
    return f'<?xml version="1.0" encoding="UTF-8"?><{root} xmlns="{NS}">{"".join(parts)}</{root}>'.encode()


def _xml_value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
