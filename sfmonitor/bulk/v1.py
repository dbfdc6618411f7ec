"""Bulk API 1.0 ("Classic"): job info, batch lists and state changes (reference §2).

Responses are XML unless the job's content type is JSON; the response ``Content-Type`` decides
(reference §2.2). XML values are text; :mod:`.models` turns counts into numbers.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any
from xml.parsers.expat import ExpatError

import xmltodict

from .errors import HostileBody, ProtocolError
from .ids import check_answer, version_in_path
from .models import Batch, Job, JobKind, in_path
from .payload import MAX_DEPTH, depth_exceeds, loads_json
from .transport import Transport

NAMESPACE = "http://www.force.com/2009/06/asyncapi/dataload"


def job_path(version: str, job_id: str) -> str:
    return f"/services/async/{version_in_path(version)}/job/{in_path(job_id)}"


def parse_body(content_type: str, body: bytes, what: str) -> dict[str, Any]:
    """A Bulk 1.0 document as a dict: JSON by content type, else namespaced XML (root unwrapped).

    XML with entity declarations is refused, never expanded.
    """
    if "json" in content_type.lower():
        data = loads_json(body, what)
        if not isinstance(data, dict):
            raise ProtocolError(f"expected a JSON object ({what})")
        return data
    try:
        doc = xmltodict.parse(
            body,
            process_namespaces=True,
            namespaces={NAMESPACE: None},
            force_list=("batchInfo",),
            disable_entities=True,
        )
    except ExpatError as exc:  # cut short, garbled
        raise ProtocolError(f"the body is not valid XML: {exc} ({what})") from None
    except Exception as exc:  # entity declarations refused
        raise HostileBody(f"the body is not valid XML: {exc} ({what})") from None
    if depth_exceeds(doc):
        raise HostileBody(f"the body nests deeper than {MAX_DEPTH} levels; refused ({what})")
    if not isinstance(doc, dict) or len(doc) != 1:
        raise ProtocolError(f"expected one XML document element ({what})")
    root = next(iter(doc.values()))
    return root if isinstance(root, dict) else {}


def parse_job(content_type: str, body: bytes) -> Job:
    fields = parse_body(content_type, body, "job info")
    if not fields.get("id"):
        raise ProtocolError("job info: no job id in the answer")
    fields.setdefault("jobType", "Classic")
    return Job.from_fields(fields, listed_as=JobKind.CLASSIC)


def parse_batches(content_type: str, body: bytes) -> tuple[Batch, ...]:
    data = parse_body(content_type, body, "batch list")
    items = data.get("batchInfo")
    if items is None:
        return ()
    if isinstance(items, dict):  # one batch may come as an object, not a list
        items = [items]
    if not isinstance(items, list):
        raise ProtocolError("batch list: batchInfo is not a list")
    return tuple(Batch.from_fields(item) for item in items if isinstance(item, dict))


def state_body(state: str, job_content_type: str) -> tuple[bytes, str]:
    """The body for a state change: JSON for JSON jobs, namespaced XML jobInfo otherwise."""
    if job_content_type.upper() in ("JSON", "ZIP_JSON"):
        return json.dumps({"state": state}).encode(), "application/json; charset=UTF-8"
    xml = f'<?xml version="1.0" encoding="UTF-8"?><jobInfo xmlns="{NAMESPACE}"><state>{state}</state></jobInfo>'
    return xml.encode(), "application/xml; charset=UTF-8"


async def job_info(transport: Transport, version: str, job_id: str) -> Job:
    response = await transport.request("GET", job_path(version, job_id))
    job = parse_job(response.headers.get("Content-Type", ""), response.content)
    check_answer(job_id, job.id)
    return job


LARGE_BODY = 256 * 1024  # parse bigger batch lists in a thread: 15,000 batches take about a second


async def batch_list(transport: Transport, version: str, job_id: str) -> tuple[Batch, ...]:
    response = await transport.request("GET", job_path(version, job_id) + "/batch")
    content_type = response.headers.get("Content-Type", "")
    if len(response.content) > LARGE_BODY:
        return await asyncio.to_thread(parse_batches, content_type, response.content)
    return parse_batches(content_type, response.content)


async def set_state(transport: Transport, version: str, job: Job, state: str) -> Job:
    content, content_type = state_body(state, job.content_type)
    response = await transport.request("POST", job_path(version, job.id), content=content, content_type=content_type)
    answered = parse_job(response.headers.get("Content-Type", ""), response.content)
    check_answer(job.id, answered.id)
    return answered
