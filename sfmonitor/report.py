"""``sfmonitor status`` output: a table that fits 120 columns, or JSON with Salesforce's field names."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from .bulk.models import Job, JobKind
from .monitor.poller import Snapshot
from .numbers import compact, duration, seconds_between
from .text import clip, inert

COLUMNS: tuple[tuple[str, int, str], ...] = (
    # header, width, alignment
    ("API", 10, "<"),
    ("JOB ID", 18, "<"),
    ("OBJECT", 14, "<"),
    ("OPERATION", 9, "<"),
    ("STATE", 14, "<"),
    ("PROGRESS", 8, ">"),
    ("PROCESSED", 11, ">"),
    ("FAILED", 7, ">"),
    ("TIME", 7, ">"),
    ("CREATED", 9, ">"),
)


def progress(job: Job) -> str:
    """Bulk 1.0: batches done of total (a PK-chunked original batch counts as done). 2.0: state-based."""
    if job.kind is JobKind.CLASSIC:
        batches = job.batch_progress
        return "-" if batches is None else f"{batches[0]}/{batches[1]}"
    return "done" if job.finished else ("open" if job.state == "Open" else "running")


def created(job: Job, now: datetime) -> str:
    if job.created_date is None:
        return "-"
    age = seconds_between(now, job.created_date)
    if age < 60:
        return "<1m ago"
    if age < 3600:
        return f"{int(age // 60)}m ago"
    if age < 86_400:
        return f"{int(age // 3600)}h ago"
    return f"{int(age // 86_400)}d ago"


def row(job: Job, now: datetime) -> list[str]:
    return [
        job.kind.label,
        inert(job.id),
        inert(job.object),
        inert(job.operation),
        inert(job.state),
        progress(job),
        compact(job.number_records_processed, 11),
        compact(job.number_records_failed, 7),
        duration(job.total_processing_time),
        created(job, now),
    ]


def table(snapshot: Snapshot, instance_url: str, api_version: str, username: str | None = None) -> str:
    now = snapshot.taken_at
    lines = [heading(snapshot, instance_url, api_version, username)]
    lines.append(" ".join(_cell(h, w, a) for h, w, a in COLUMNS).rstrip())
    live = [j for j in snapshot.jobs.values() if not j.finished]
    done = [j for j in snapshot.jobs.values() if j.finished]
    for job in live + done:
        cells = row(job, now)
        problem = snapshot.errors.get(job.id)
        if problem:
            cells[4] = "! " + cells[4]  # not read: what the row shows is older (or the listing's)
        lines.append(" ".join(_cell(c, w, a) for c, (_, w, a) in zip(cells, COLUMNS, strict=True)).rstrip())
        if job.error_message:
            lines.append(" " * 11 + clip("error: " + inert(job.error_message), 108))
        if problem:
            lines.append(" " * 11 + clip("! not read: " + inert(problem), 108))
    missing = [job_id for job_id in snapshot.errors if job_id not in snapshot.jobs]
    if missing:
        lines.append(f"(not found in this org: {', '.join(inert(job_id) for job_id in missing)})")
    elif not snapshot.jobs:
        lines.append("(no Bulk API jobs in this org)")
    unread = sum(1 for job_id in snapshot.errors if job_id in snapshot.jobs)
    if unread:
        lines.append(f"! {plural(unread, 'job')} could not be read: marked with ! (their values are older)")
    return "\n".join(lines)


def plural(n: int, word: str) -> str:
    return f"{n:,} {word}" if n == 1 else f"{n:,} {word}s"


def heading(snapshot: Snapshot, instance_url: str, api_version: str, username: str | None) -> str:
    who = username or urlsplit(instance_url).hostname or instance_url
    usage = snapshot.api_usage
    parts = [f"org {inert(who)}", f"API v{api_version}"]
    if usage is not None:
        parts.append(f"API usage {usage.used:,}/{usage.max:,} ({usage.fraction:.0%})")
    running = sum(1 for j in snapshot.jobs.values() if not j.finished)
    parts.append(f"{plural(len(snapshot.jobs), 'job')}, {running:,} running")
    return clip(" · ".join(parts), 120)


def _cell(text: str, width: int, align: str) -> str:
    text = clip(text, width)
    return text.ljust(width) if align == "<" else text.rjust(width)


def _job_json(job: Job, problem: str | None) -> dict[str, Any]:
    """A job as Salesforce names it; ``readError`` says why its values are not a fresh read (null if they are)."""
    out = job.to_json()
    out["readError"] = problem
    return out


def as_json(snapshot: Snapshot, instance_url: str, api_version: str) -> str:
    usage = snapshot.api_usage
    doc: dict[str, Any] = {
        "instanceUrl": instance_url,
        "apiVersion": api_version,
        "apiUsage": None if usage is None else {"used": usage.used, "max": usage.max},
        "jobs": [_job_json(job, snapshot.errors.get(job.id)) for job in snapshot.jobs.values()],
    }
    if snapshot.errors:
        doc["errors"] = [{"id": job_id, "message": message} for job_id, message in snapshot.errors.items()]
    return json.dumps(doc, indent=2, ensure_ascii=False, default=str)


@dataclass(frozen=True)
class OrgSnapshot:
    """One org's part of a several-org ``status``: its snapshot, or why it could not be read."""

    name: str
    instance_url: str | None
    api_version: str | None
    username: str | None
    snapshot: Snapshot | None
    error: str = ""


def orgs_json(results: list[OrgSnapshot]) -> str:
    """``{"orgs": [{"name", "instanceUrl", "apiVersion", "apiUsage", "jobs", "errors"}]}``."""
    orgs = []
    for r in results:
        snapshot = r.snapshot
        usage = snapshot.api_usage if snapshot else None
        errors: list[dict[str, str | None]] = (
            [{"id": job_id, "message": m} for job_id, m in snapshot.errors.items()] if snapshot else []
        )
        if r.error:
            errors.append({"id": None, "message": r.error})
        orgs.append({
            "name": r.name,
            "instanceUrl": r.instance_url,
            "apiVersion": r.api_version,
            "apiUsage": None if usage is None else {"used": usage.used, "max": usage.max},
            "jobs": [_job_json(job, snapshot.errors.get(job.id)) for job in snapshot.jobs.values()] if snapshot else [],
            "errors": errors,
        })  # fmt: skip
    return json.dumps({"orgs": orgs}, indent=2, ensure_ascii=False, default=str)


def orgs_table(results: list[OrgSnapshot]) -> str:
    """Each org's table under its name; an org that could not be read says why."""
    parts = []
    for r in results:
        if r.snapshot is None or r.instance_url is None or r.api_version is None:
            parts.append(f"[{inert(r.name)}] not read: {inert(r.error)}")
        else:
            parts.append(f"[{inert(r.name)}] " + table(r.snapshot, r.instance_url, r.api_version, r.username))
    return "\n\n".join(parts)
