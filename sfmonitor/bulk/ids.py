"""What a Salesforce id is: the one rule for every job and batch id the program puts in a request
path, reads from an org's listing or accepts on its command line (and for a job's API version, the
other segment of a Bulk 1.0 path an org's answer gives).

A Salesforce id is 15 or 18 ASCII letters and digits (a job's starts ``750``, a batch's ``751``). An
org's listing that holds anything else (a control character, a slash, a space) names a job this
program will not ask about: it is shown inert and left unread, never sent.
"""

from __future__ import annotations

import re
from urllib.parse import quote

from ..text import clip, inert
from .errors import NotAnId, WrongRecord

_ID = re.compile(r"[A-Za-z0-9]{15}(?:[A-Za-z0-9]{3})?")
_VERSION = re.compile(r"[0-9]{1,3}\.[0-9]")  # as models.api_version_text writes one: 62.0
RULE = "15 or 18 letters and digits"


def is_salesforce_id(text: str) -> bool:
    return _ID.fullmatch(text) is not None


def id_problem(text: str, what: str = "job id") -> str | None:
    """Why ``text`` is not a Salesforce id (naming it inert and short), or None when it is one."""
    if is_salesforce_id(text):
        return None
    shown = clip(inert(text), 40) if text else "(empty)"
    return f"{what} {shown} is not a Salesforce id ({RULE})"


def in_path(job_id: str, what: str = "job id") -> str:
    """An id as one segment of a request's path; :class:`NotAnId` (no request) when it is not one."""
    problem = id_problem(job_id, what)
    if problem is not None:
        raise NotAnId(f"{problem}; never asked")
    return quote(job_id, safe="")


def version_in_path(version: str) -> str:
    """An API version as a segment of a Bulk 1.0 path (a job's own, as its listing row or job info gave
    it); :class:`NotAnId` (no request) when it is not one: the job is left unread, never sent."""
    if _VERSION.fullmatch(version) is None:
        raise NotAnId(f"API version {clip(inert(version), 20) or '(empty)'} is not an API version (as 62.0); "
                      "never asked")  # fmt: skip
    return version


def same_id(asked: str, answered: str) -> bool:
    """Whether an answer's id is the id asked for: the same, or the 18-character form of a 15-character
    id (whose last three characters only spell its case, so an 18-character id compares in any case)."""
    if len(asked) == 15 and len(answered) == 18:
        return answered[:15] == asked
    if len(asked) == 18 and len(answered) == 18:
        return asked.lower() == answered.lower()
    return asked == answered


def check_answer(asked: str, answered: str, what: str = "job") -> None:
    """:class:`WrongRecord` when an answer about ``asked`` is the record of ``answered``: its values
    are not the job's, and a wait must not end on them."""
    if not same_id(asked, answered):
        shown = clip(inert(asked), 40)
        raise WrongRecord(f"{what} {shown}: the org answered with the record of {what} "
                          f"{clip(inert(answered), 40) or '(no id)'}; not taken as {shown}'s values")  # fmt: skip
