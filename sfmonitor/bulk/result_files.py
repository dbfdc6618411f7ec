"""Result and request files of both APIs, read as data that may be huge or hostile.

- :class:`CsvStream` turns a CSV body arriving in chunks into rows, never holding more than the
  chunk and one unfinished row: quoted values may hold newlines, quotes and commas; a BOM is dropped;
  bytes that are not UTF-8 are replaced, not fatal. A single row growing past ``MAX_ROW`` is refused.
  Data arriving in one large piece (a gzip body inflates a 64 KiB read to megabytes of tiny rows) is
  parsed in :func:`slices` of ``SLICE`` bytes, so the rows of one slice are all that exist at once.
- Bulk 1.0 batch results (CSV, XML, JSON) become one :class:`RowOutcome` per uploaded row, in order,
  and batch requests (CSV, XML, JSON) their rows' fields, so the two join by position. A batch holds
  at most ``MAX_BATCH_ROWS`` records (Salesforce's limit): a CSV with more is refused as it is parsed.
"""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from xml.etree import ElementTree

from .errors import HostileBody, ProtocolError
from .failures import split_error, unique_columns
from .payload import MAX_DEPTH, loads_json

MAX_ROW = 16 * 1024 * 1024  # one CSV row (a value with a lost closing quote swallows the rest of the file)
SLICE = 64 * 1024  # bytes of CSV parsed at once: 64 KiB of two-byte rows is 32,768 small lists, no more
MAX_BATCH_ROWS = 10_000  # records in one Bulk 1.0 batch (Salesforce's limit), so in its request and result

csv.field_size_limit(MAX_ROW)


class CsvStream:
    """Rows of a CSV body fed in chunks: :meth:`feed` returns the rows completed by a chunk."""

    def __init__(self, delimiter: str = ",") -> None:
        self._decoder = codecs.getincrementaldecoder("utf-8-sig")(errors="replace")
        self._pending = ""
        self._quotes = 0  # quote characters in ``_pending``: odd means inside a quoted value
        self._delimiter = delimiter

    def feed(self, chunk: bytes) -> list[list[str]]:
        text = self._decoder.decode(chunk)
        if not text:
            return []
        # The last line end outside quotes ends the complete part. Quote parity is exact for CSV:
        # an escaped quote is two quotes.
        start = len(self._pending)
        self._pending += text
        quotes = self._quotes
        cut = -1
        position = start
        while True:
            newline = self._pending.find("\n", position)
            if newline < 0:
                break
            quotes += self._pending.count('"', position, newline)
            if quotes % 2 == 0:
                cut = newline
            position = newline + 1
        quotes += self._pending.count('"', position)
        if cut < 0:
            self._quotes = quotes
            if len(self._pending) > MAX_ROW:
                raise HostileBody(f"a CSV row longer than {MAX_ROW // (1024 * 1024)} MiB; refused")
            return []
        complete, self._pending = self._pending[: cut + 1], self._pending[cut + 1 :]
        self._quotes = self._pending.count('"')
        return self._rows(complete)

    def finish(self) -> list[list[str]]:
        rest = self._pending + self._decoder.decode(b"", final=True)
        self._pending, self._quotes = "", 0
        return self._rows(rest) if rest.strip() else []

    def _rows(self, text: str) -> list[list[str]]:
        try:
            return [row for row in csv.reader(io.StringIO(text, newline=""), delimiter=self._delimiter) if row]
        except csv.Error as exc:
            raise ProtocolError(f"the CSV is not readable: {exc}") from None


def slices(data: bytes | bytearray, size: int = SLICE) -> Iterator[bytes]:
    """``data`` in pieces of at most ``size`` bytes (copied one at a time, never all at once)."""
    view = memoryview(data)
    for start in range(0, len(view), size):
        yield bytes(view[start : start + size])


def csv_rows(body: bytes, delimiter: str = ",", limit: int | None = None, what: str = "file") -> list[list[str]]:
    """Every row of a whole CSV body, parsed a slice at a time; more than ``limit`` rows (header
    included) is a :class:`HostileBody`, found before the rest is parsed."""
    stream = CsvStream(delimiter)
    rows: list[list[str]] = []
    for piece in slices(body):
        rows += stream.feed(piece)
        if limit is not None and len(rows) > limit:
            raise HostileBody(f"the {what} has more than {limit - 1:,} rows, more than a batch can hold; refused")
    rows += stream.finish()
    if limit is not None and len(rows) > limit:
        raise HostileBody(f"the {what} has more than {limit - 1:,} rows, more than a batch can hold; refused")
    return rows


# --- Bulk 1.0 batches --------------------------------------------------------------------------


@dataclass(frozen=True)
class RowOutcome:
    """What a Bulk 1.0 batch result says of one row."""

    success: bool
    record_id: str
    code: str
    message: str
    error: str  # the whole error text as the org wrote it


def _xml(body: bytes, what: str) -> ElementTree.Element:
    """A batch file's XML tree (ElementTree: ten times xmltodict's speed on 10,000-row batches).
    Entity declarations are refused before parsing, never expanded; nesting is bounded."""
    if b"<!DOCTYPE" in body or b"<!ENTITY" in body:
        raise HostileBody(f"the body declares entities; refused ({what})")
    try:
        root = ElementTree.fromstring(body)
    except ElementTree.ParseError as exc:
        raise ProtocolError(f"the body is not valid XML: {exc} ({what})") from None
    stack = [(root, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise HostileBody(f"the body nests deeper than {MAX_DEPTH} levels; refused ({what})")
        stack.extend((child, depth + 1) for child in node)
    return root


def _tag(node: ElementTree.Element) -> str:
    return node.tag.rsplit("}", 1)[-1]


def _child_text(node: ElementTree.Element, name: str) -> str:
    for child in node:
        if _tag(child) == name:
            return child.text or ""
    return ""


def _xml_errors(node: ElementTree.Element) -> dict[str, Any] | None:
    for child in node:
        if _tag(child) == "errors":
            fields = [f.text or "" for f in child if _tag(f) == "fields"]
            return {"statusCode": _child_text(child, "statusCode"), "message": _child_text(child, "message"),
                    "fields": fields}  # fmt: skip
    return None


def _format(content_type: str, body: bytes) -> str:
    lowered = content_type.lower()
    if "json" in lowered:
        return "json"
    if "xml" in lowered:
        return "xml"
    if "csv" in lowered or "text/plain" in lowered:
        return "csv"
    head = body.lstrip()[:1]  # no usable content type: the body says
    return "json" if head in (b"[", b"{") else "xml" if head == b"<" else "csv"


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dict):  # xmltodict: {"@xsi:nil": "true"} or {"#text": ...}
        return str(value.get("#text", ""))
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _true(value: Any) -> bool:
    return _text(value).strip().lower() == "true"


def _error_parts(errors: Any) -> tuple[str, str, str]:
    """The first error of a row (XML ``<errors>`` or JSON ``errors``): code, message, whole text."""
    if isinstance(errors, list):
        errors = errors[0] if errors else None
    if isinstance(errors, dict):
        code = _text(errors.get("statusCode"))
        message = _text(errors.get("message"))
        fields = errors.get("fields")
        names = ", ".join(_text(f) for f in fields) if isinstance(fields, list) else _text(fields)
        whole = f"{code}:{message}" + (f":{names} --" if names else "")
        return code, message, whole
    text = _text(errors)
    code, message = split_error(text)
    return code, message, text


def parse_batch_result(content_type: str, body: bytes) -> list[RowOutcome]:
    """A Bulk 1.0 ingest batch's results, one per row in upload order."""
    kind = _format(content_type, body)
    if kind == "json":
        data = loads_json(body, "batch result")
        if isinstance(data, dict):
            data = data.get("results", data.get("result", [data]))
        if not isinstance(data, list):
            raise ProtocolError("batch result: not a list of row results")
        out = []
        for item in data:
            if not isinstance(item, dict):
                continue
            success = _true(item.get("success"))
            code, message, whole = ("", "", "") if success else _error_parts(item.get("errors"))
            out.append(RowOutcome(success, _text(item.get("id")), code, message, whole))
        return out
    if kind == "xml":
        out = []
        for item in _xml(body, "batch result"):
            if _tag(item) != "result":
                continue
            success = _child_text(item, "success").strip().lower() == "true"
            code, message, whole = ("", "", "") if success else _error_parts(_xml_errors(item))
            out.append(RowOutcome(success, _child_text(item, "id"), code, message, whole))
        return out
    rows = csv_rows(body, limit=MAX_BATCH_ROWS + 1, what="batch result")
    if not rows:
        return []
    header = [h.strip().lower() for h in rows[0]]
    at: dict[str, int] = {name: header.index(name) for name in ("id", "success", "error") if name in header}
    if "success" not in at:
        raise ProtocolError("batch result: the CSV has no Success column")
    out = []
    for row in rows[1:]:

        def cell(name: str, row: list[str] = row) -> str:
            index = at.get(name)
            return row[index] if index is not None and index < len(row) else ""

        success = cell("success").strip().lower() == "true"
        error = "" if success else cell("error")
        code, message = split_error(error) if error else ("", "")
        out.append(RowOutcome(success, cell("id"), code, message, error))
    return out


def _flatten(prefix: str, value: Any, into: dict[str, str]) -> None:
    if isinstance(value, dict):
        for key, inner in value.items():
            if key.startswith("@") or key == "attributes":
                continue
            _flatten(f"{prefix}.{key}" if prefix else key, inner, into)
    elif isinstance(value, list):
        into[prefix] = ", ".join(_text(v) for v in value)
    else:
        into[prefix] = _text(value)


def _xml_record(node: ElementTree.Element) -> dict[str, Any]:
    """An ``<sObject>`` as a dict; a nested element (a relationship) as a nested dict."""
    out: dict[str, Any] = {}
    for child in node:
        name = _tag(child)
        if name == "type" and not len(child):
            continue  # <type>Account</type>: the object, not a field
        out[name] = _xml_record(child) if len(child) else (child.text or "")
    return out


def parse_batch_request(content_type: str, body: bytes) -> tuple[list[str], list[dict[str, str]]]:
    """A Bulk 1.0 batch request's columns and rows (relationship fields flattened: ``Account.Name``)."""
    kind = _format(content_type, body)
    records: list[Any]
    if kind == "json":
        data = loads_json(body, "batch request")
        records = data if isinstance(data, list) else []
    elif kind == "xml":
        records = [_xml_record(item) for item in _xml(body, "batch request") if _tag(item) == "sObject"]
    else:
        rows = csv_rows(body, limit=MAX_BATCH_ROWS + 1, what="batch request")
        if not rows:
            return [], []
        header = unique_columns(rows[0])
        return header, [dict(zip(header, row + [""] * (len(header) - len(row)), strict=False)) for row in rows[1:]]
    columns: list[str] = []
    seen: set[str] = set()
    out = []
    for record in records:
        fields: dict[str, str] = {}
        _flatten("", record if isinstance(record, dict) else {}, fields)
        for name in fields:
            if name not in seen:
                seen.add(name)
                columns.append(name)
        out.append(fields)
    return columns, out
