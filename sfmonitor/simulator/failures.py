"""The seeded org's failed rows: a realistic, deterministic mix of Salesforce status codes with their
real message shapes, and the input rows they failed on.

Row ``i`` of a unit of work (a Bulk 2.0 job, a Bulk 1.0 batch) always gets the same input and, if it
fails, the same error: a re-read gives the same file, and the results join to the requests.
"""

from __future__ import annotations

import hashlib

from .records import salesforce_id

# (weight, code, message template, fields): templates take {field}, {value}, {id}
MIX: tuple[tuple[int, str, str, str], ...] = (
    (38, "REQUIRED_FIELD_MISSING", "Required fields are missing: [{required}]", "{required}"),
    (18, "DUPLICATE_VALUE", "duplicate value found: External_Id__c duplicates value on record with id: {id}",
     "External_Id__c"),
    (12, "FIELD_CUSTOM_VALIDATION_EXCEPTION", "Close Date cannot be in the past for open records", ""),
    (10, "UNABLE_TO_LOCK_ROW", "unable to obtain exclusive access to this record or 1 records: {id}", ""),
    (8, "INVALID_CROSS_REFERENCE_KEY", "invalid cross reference id", "OwnerId"),
    (6, "STRING_TOO_LONG", "Description: data value too large: {value} (max length=255)", "Description"),
    (4, "INVALID_FIELD_FOR_INSERT_UPDATE",
     "Unable to create/update fields: CreatedDate. Please check the security settings of this field and "
     "verify that it is read/write for your profile or permission set.", "CreatedDate"),
    (4, "INVALID_EMAIL_ADDRESS", "Email: invalid email address: {email}", "Email"),
)  # fmt: skip
_TOTAL = sum(weight for weight, *_ in MIX)
REQUIRED = {"contact": "LastName", "lead": "LastName"}
COLUMNS = ("Name", "External_Id__c", "OwnerId", "Email", "Description")


def _draw(key: str, i: int) -> int:
    digest = hashlib.blake2b(f"{key}:{i}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big")


def columns_for(sobject: str) -> tuple[str, ...]:
    required = REQUIRED.get(sobject.lower(), "Name")
    return (required, *COLUMNS[1:])


def input_row(sobject: str, key: str, i: int) -> dict[str, str]:
    """The uploaded row ``i`` of the unit ``key``."""
    required = REQUIRED.get(sobject.lower(), "Name")
    n = _draw(key, i) % 1_000_000
    return {
        required: f"{sobject} {i + 1}",
        "External_Id__c": f"EXT-{n:06d}",
        "OwnerId": salesforce_id("005", 10 + n % 7),
        "Email": f"user{n}@example.com",
        "Description": f"Row {i + 1}, loaded by the nightly sync",
    }


def _pick(at: int) -> tuple[int, str, str, str]:
    for entry in MIX:
        if at < entry[0]:
            return entry
        at -= entry[0]
    return MIX[-1]


def error_for(sobject: str, key: str, i: int) -> str:
    """The Bulk 1.0 CSV error text of failed row ``i``: ``CODE:message:fields --``."""
    draw = _draw(key, i)
    _, code, template, fields = _pick(draw % _TOTAL)
    required = REQUIRED.get(sobject.lower(), "Name")
    message = template.format(
        required=required,
        id=salesforce_id("001", draw % 90_000),
        value=f"Row {i + 1}, " + "loaded by the nightly sync " * 10,
        email=f"user{draw % 1000}@example",
    )
    names = fields.format(required=required)
    return f"{code}:{message}:{names} --" if names else f"{code}:{message}:--"


def parts(error: str) -> tuple[str, str, str]:
    """``CODE:message:fields --`` as code, message and fields (the message may hold colons)."""
    code, _, rest = error.partition(":")
    rest = rest.removesuffix("--").rstrip()
    message, _, fields = rest.rpartition(":")
    return code, message.strip(), fields.strip()


def v2_error(error: str) -> str:
    """The Bulk 2.0 ``sf__Error`` form of an error: ``CODE:message`` (no field list)."""
    code, message, _ = parts(error)
    return f"{code}:{message}"
