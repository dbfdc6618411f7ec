"""``sfmonitor status`` output: a table that fits 120 columns, or JSON with Salesforce's field names."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from ..bulk.errors import BulkError, ConfigError
from ..bulk.models import Job, JobKind
from ..bulk.retry import retrying
from ..bulk.service import BulkService
from ..config.connection import ConnectionOptions, open_service
from ..monitor.phase import REASONS, Phase, ended, tally, waiting_on_client
from ..monitor.phase import as_json as phase_json
from ..monitor.poller import Snapshot
from ..monitor.snapshot import read_snapshot
from ..numbers import ago, compact, duration, plural, seconds_between
from ..text import clip, inert, pad
from .exits import ExitCode, fail, run
from .targets import JobRef, ids_for, job_ref, targets_or_fail

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
    ("CREATED", 10, ">"),  # the one ago(): "11h20m ago"
)


def progress(job: Job) -> str:
    """Bulk 1.0: batches done of total (a PK-chunked original batch counts as done). 2.0: state-based."""
    if job.kind is JobKind.CLASSIC:
        batches = job.batch_progress
        return "-" if batches is None else f"{batches[0]}/{batches[1]}"
    return "done" if ended(job) else ("open" if job.state == "Open" else "running")


def created(job: Job, now: datetime) -> str:
    return "-" if job.created_date is None else ago(seconds_between(now, job.created_date))


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
    lines.append(columns_line([h for h, _, _ in COLUMNS], COLUMNS))
    live = [j for j in snapshot.jobs.values() if not ended(j)]
    done = [j for j in snapshot.jobs.values() if ended(j)]
    for job in live + done:
        cells = row(job, now)
        problem = snapshot.errors.get(job.id)
        if problem:
            cells[4] = "! " + cells[4]  # not read: what the row shows is older (or the listing's)
        lines.append(columns_line(cells, COLUMNS))
        if job.error_message:
            lines.append(note_line("error: " + inert(job.error_message)))
        if why := waiting_on_client(job, now.timestamp()):
            lines.append(note_line(f"waits on its client: {why} ({REASONS[why]})"))
        if problem:
            lines.append(note_line("! not read: " + inert(problem)))
    missing = [job_id for job_id in snapshot.errors if job_id in snapshot.missing]
    unasked = [job_id for job_id in snapshot.errors if job_id not in snapshot.jobs and job_id not in snapshot.missing]
    if missing:
        lines.append(f"(not found in this org: {', '.join(inert(job_id) for job_id in missing)})")
    if unasked:
        lines.append(f"(not read, so not known to be in this org: {', '.join(inert(job_id) for job_id in unasked)})")
    if not snapshot.jobs and not missing and not unasked:
        lines.append("(no Bulk API jobs in this org)")
    unread = sum(1 for job_id in snapshot.errors if job_id in snapshot.jobs)
    if unread:
        lines.append(f"! {plural(unread, 'job')} could not be read: marked with ! (their values are older)")
    return "\n".join(lines)


def heading(snapshot: Snapshot, instance_url: str, api_version: str, username: str | None) -> str:
    who = username or urlsplit(instance_url).hostname or instance_url
    usage = snapshot.api_usage
    parts = [f"org {inert(who)}", f"API v{api_version}"]
    if usage is not None:
        parts.append(f"API usage {usage.used:,}/{usage.max:,} ({usage.fraction:.0%})")
    phases = tally(snapshot.jobs, snapshot.jobs, snapshot.taken_at.timestamp())
    counts = f"{plural(len(snapshot.jobs), 'job')}, {phases[Phase.RUNNING]:,} running, "
    counts += f"{phases[Phase.WAITING]:,} waiting on their client"
    if phases[Phase.UNKNOWN]:
        counts += f", {phases[Phase.UNKNOWN]:,} not known (not read)"
    parts.append(counts)
    return clip(" · ".join(parts), 120)


def cell(text: str, width: int, align: str) -> str:
    """Clipped and padded by terminal cells: a wide character (CJK, emoji) takes two, so later columns stay put."""
    return pad(clip(text, width), width, align)


def columns_line(cells: Sequence[str], columns: Sequence[tuple[str, int, str]]) -> str:
    """One table line: each cell clipped and padded to its column (header, width, alignment)."""
    return " ".join(cell(c, w, a) for c, (_, w, a) in zip(cells, columns, strict=True)).rstrip()


NOTE_INDENT = 11  # a job's note lines (its error, why it waits) sit under its row, indented this far


def note_line(text: str) -> str:
    """A line under a job's row: indented, clipped to the table's 120 columns (``text`` already inert)."""
    return " " * NOTE_INDENT + clip(text, 120 - NOTE_INDENT - 1)


def _job_json(job: Job, problem: str | None, now: datetime) -> dict[str, Any]:
    """A job as Salesforce names it; ``phase``, ``outcome`` and ``waitingOnClient`` (see
    :mod:`sfmonitor.monitor.phase`); ``readError`` says why its values are not a fresh read (null if they are)."""
    out = job.to_json()
    out.update(phase_json(job, now.timestamp()))
    out["readError"] = problem
    return out


def as_json(snapshot: Snapshot, instance_url: str, api_version: str) -> str:
    usage = snapshot.api_usage
    doc: dict[str, Any] = {
        "instanceUrl": instance_url,
        "apiVersion": api_version,
        "apiUsage": None if usage is None else {"used": usage.used, "max": usage.max},
        "jobs": [_job_json(job, snapshot.errors.get(job.id), snapshot.taken_at) for job in snapshot.jobs.values()],
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
            "jobs": [_job_json(job, snapshot.errors.get(job.id), snapshot.taken_at) for job in snapshot.jobs.values()]
                    if snapshot else [],
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


STATUS_RETRY_DELAYS = (1.0, 2.0)  # the whole snapshot, and each job read in it, tried again after these


STATUS_CONCURRENCY = 8


def cmd_status(args: argparse.Namespace) -> int:
    try:
        refs = [job_ref(text) for text in args.job or ()]
    except ConfigError as exc:
        return fail(str(exc), ExitCode.USAGE)
    targets = targets_or_fail(args, refs)
    if isinstance(targets, int):
        return targets
    if len(targets) > 1:
        return run(lambda: _status_of_orgs(args, targets, refs))

    async def body() -> int:
        async with open_service(targets[0][1], STATUS_RETRY_DELAYS) as service:
            snapshot = await _snapshot_with_retries(service, ids_for(refs, targets[0][0]) if refs else None)
            if args.format == "json":
                print(as_json(snapshot, service.instance_url, service.api_version))
            elif snapshot.jobs or not refs:  # named jobs the org has none of: only the lines that say why
                print(table(snapshot, service.instance_url, service.api_version, service.username))
            sys.stdout.flush()
            for job_id, problem in snapshot.errors.items():
                found = job_id not in snapshot.missing
                fail(f"job {job_id}: " + (f"not read: {problem}" if found else "not found in this org"), 0)
            if snapshot.missing:
                return ExitCode.REFUSED
            if refs and not snapshot.jobs and snapshot.errors:
                return ExitCode.CONNECT  # not one named job could be asked about
            return ExitCode.PARTIAL if snapshot.errors else ExitCode.OK

    return run(body)


async def _status_of_orgs(
    args: argparse.Namespace, targets: list[tuple[str, ConnectionOptions]], refs: list[JobRef]
) -> int:
    """Every org's snapshot, taken in parallel; an org that cannot be read is reported, the others are not
    held back by it. ``--job``: each org is asked for its jobs (a bare id: every org), and answers
    for itself: an id two orgs hold has two answers; one no org holds is refused."""

    async def one(name: str, options: ConnectionOptions) -> OrgSnapshot:
        try:
            async with open_service(options, STATUS_RETRY_DELAYS) as service:
                snapshot = await _snapshot_with_retries(service, ids_for(refs, name) if refs else None)
                return OrgSnapshot(name, service.instance_url, service.api_version, service.username, snapshot)
        except BulkError as exc:
            return OrgSnapshot(name, None, None, None, None, str(exc))

    asked = [(name, options) for name, options in targets if not refs or ids_for(refs, name)]
    results = await asyncio.gather(*(one(name, options) for name, options in asked))
    shown = [r for r in results if not refs or r.snapshot is None or r.snapshot.jobs
             or r.snapshot.errors.keys() - r.snapshot.missing]  # fmt: skip
    if args.format == "json":
        print(orgs_json(results))
    elif shown:  # named jobs: an org that has none of them is not a table of nothing
        print(orgs_table(shown))
    sys.stdout.flush()
    held = {job_id for r in results if r.snapshot for job_id in r.snapshot.jobs}
    for result in results:
        if result.error:
            fail(f"org {inert(result.name)}: not read: {inert(result.error)}", 0)
        snapshot = result.snapshot
        for job_id, problem in snapshot.errors.items() if snapshot else ():
            if snapshot and job_id in snapshot.jobs:  # a job it holds, not read; one it does not hold: no error
                fail(f"org {inert(result.name)}, job {job_id}: not read: {problem}", 0)
    if all(r.error for r in results):
        return ExitCode.CONNECT
    nowhere = {ref: _unasked(results, ref) for ref in refs if ref.job_id not in held}
    known_absent = [str(ref) for ref, unasked in nowhere.items() if not unasked]
    if known_absent:
        return fail(f"no job {', '.join(known_absent)} in the orgs named", ExitCode.REFUSED)
    if nowhere:  # only orgs that could not be asked might hold them
        why = "; ".join(f"job {ref}: not in the orgs read, and {', '.join(inert(n) for n in unasked)} could not "
                        "be asked" for ref, unasked in nowhere.items())  # fmt: skip
        return fail(why, ExitCode.CONNECT)
    partial = any(r.error or (r.snapshot and any(j in r.snapshot.jobs for j in r.snapshot.errors)) for r in results)
    return ExitCode.PARTIAL if partial else ExitCode.OK


def _unasked(results: list[OrgSnapshot], ref: JobRef) -> list[str]:
    """The orgs that might hold ``ref`` but could not say: not read, or its lookup there failed."""
    return [r.name for r in results if ref.org in (None, r.name) and (r.snapshot is None or (
        ref.job_id in r.snapshot.errors and ref.job_id not in r.snapshot.missing))]  # fmt: skip


async def _snapshot_with_retries(service: BulkService, only: list[str] | None) -> Snapshot:
    """One snapshot that reads every job it lists. A transient failure of the listing (no answer,
    5xx, garbled body) retries the snapshot; of one job's read, that read; then they are reported."""
    return await retrying(
        lambda: read_snapshot(service, only, concurrency=STATUS_CONCURRENCY, retry_delays=STATUS_RETRY_DELAYS),
        STATUS_RETRY_DELAYS,
        "snapshot",
    )
