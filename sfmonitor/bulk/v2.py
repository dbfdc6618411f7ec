"""Bulk API 2.0: ingest and query job listings, job info, and state changes (reference §1)."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx

from .errors import ProtocolError
from .ids import check_answer
from .models import Job, JobKind, in_path
from .transport import Transport, json_body

JSON = "application/json; charset=utf-8"
MAX_LISTING_PAGES = 250  # 250,000 jobs at Salesforce's 1,000 a page: a listing that goes on is broken
LISTINGS = {JobKind.INGEST: "ingest", JobKind.QUERY: "query"}


def jobs_path(version: str, kind: JobKind) -> str:
    return f"/services/data/v{version}/jobs/{LISTINGS[kind]}"


def parse_page(body: Any) -> tuple[list[dict[str, Any]], str | None]:
    """One listing page: its records, and the ``queryLocator`` of the next page (None when done)."""
    if not isinstance(body, dict) or not isinstance(body.get("records", []), list):
        raise ProtocolError("the job listing is not a page of records")
    records = [r for r in body.get("records") or [] if isinstance(r, dict) and r.get("id")]
    if body.get("done", True) is not False:
        return records, None
    next_url = body.get("nextRecordsUrl") or body.get("nextRecordUrl")
    if not isinstance(next_url, str):
        return records, None
    locator = parse_qs(urlsplit(next_url).query).get("queryLocator", [None])[0]
    return records, locator


def _records_of_page(response: httpx.Response) -> tuple[list[dict[str, Any]], str | None]:
    return parse_page(json_body(response))


def _jobs_of(records: list[dict[str, Any]], kind: JobKind) -> list[Job]:
    return [Job.from_fields(record, listed_as=kind) for record in records]


async def list_pages(transport: Transport, version: str, kind: JobKind) -> AsyncIterator[list[Job]]:
    """Every job of one listing, a page at a time.

    The locator is carried to the listing we started from: the docs' query example points its
    ``nextRecordsUrl`` at the ingest path (reference §1.2), so the path it names is not trusted.
    The next page is asked for as soon as this one's locator is known: its jobs are made (and
    handled by the caller) while it is on its way.
    """
    path = jobs_path(version, kind)
    seen_locators: set[str] = set()
    asked: asyncio.Task[httpx.Response] | None = asyncio.create_task(transport.request("GET", path))
    try:
        while asked is not None:
            response = await asked
            asked = None
            # a page of a thousand jobs is ~50 ms of parsing: on a thread, so the screen keeps answering
            records, locator = await asyncio.to_thread(_records_of_page, response)
            endless = False
            if locator is not None and locator not in seen_locators:
                seen_locators.add(locator)
                if len(seen_locators) < MAX_LISTING_PAGES:
                    asked = asyncio.create_task(transport.request("GET", path, params={"queryLocator": locator}))
                else:
                    endless = True
            yield await asyncio.to_thread(_jobs_of, records, kind)
            if endless:
                raise ProtocolError(
                    f"the {LISTINGS[kind]} job listing did not end after {MAX_LISTING_PAGES} pages "
                    "(every page named a new next page); stopped reading it"
                )
    finally:
        if asked is not None:  # the caller stopped early, or this page failed: the next is not wanted
            asked.cancel()
            with contextlib.suppress(BaseException):
                await asked


async def job_info(transport: Transport, version: str, job: Job) -> Job:
    response = await transport.request("GET", f"{jobs_path(version, job.kind)}/{in_path(job.id)}")
    body = json_body(response)
    if not isinstance(body, dict) or not body.get("id"):
        raise ProtocolError(f"job {job.id}: the job info is not a job")
    check_answer(job.id, str(body["id"]))
    return Job.from_fields(body, listed_as=job.kind)


async def set_state(transport: Transport, version: str, job: Job, state: str) -> Job:
    """PATCH the job's state (``UploadComplete`` or ``Aborted``); returns the job as the server reports it."""
    response = await transport.request(
        "PATCH",
        f"{jobs_path(version, job.kind)}/{in_path(job.id)}",
        content=json.dumps({"state": state}).encode(),
        content_type=JSON,
    )
    body = json_body(response)
    if not isinstance(body, dict):
        raise ProtocolError(f"job {job.id}: the answer to the state change is not a job")
    if body.get("id") is not None:
        check_answer(job.id, str(body["id"]))
    return Job.from_fields(body, listed_as=job.kind)
