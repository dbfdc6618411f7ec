"""``sfmonitor failures``: the text table and JSON, and the CSV export (bulk.failure_export) to stdout or a file.

Error text is the server's: exact in JSON and CSV, inert in the table.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from contextlib import AsyncExitStack, nullcontext

from ..bulk.errors import ConfigError, NotFound
from ..bulk.failure_export import export_note, replacing, to_stdout, why_not_written
from ..bulk.failures import FailureReport
from ..bulk.models import Job
from ..bulk.service import BulkService
from ..config.connection import open_service
from ..numbers import compact
from ..text import clip, inert, pad
from .exits import ExitCode, StdoutUnwritable, fail, run
from .targets import Ambiguous, ask_every_org, job_ref, orgs_of


def as_json(report: FailureReport) -> str:
    return json.dumps(report.as_json(), indent=2, ensure_ascii=False)


def table(report: FailureReport, width: int = 120, samples: int = 1) -> str:
    """Groups, largest first: rows, share, code, message; under each, a sample row's input."""
    lines = [f"job {inert(report.job_id)} ({report.kind.label}): {inert(report.summary())}"]
    groups = report.ordered()
    if groups:
        lines.append(f"{'ROWS':>9}  {'SHARE':>6}  {'CODE':<34}  MESSAGE")
    for group in groups:
        share = f"{report.share(group) * 100:5.1f}%"
        code = clip(inert(group.code) or "(no code)", 34)
        message = inert(group.message) + (" (varies: ids, values)" if group.varies else "")
        lines.append(f"{compact(group.count, 9):>9}  {share:>6}  {pad(code, 34)}  {clip(message, max(20, width - 55))}")
        for row in group.rows[:samples]:
            fields = inert(row.note) or ", ".join(f"{inert(k)}={inert(v)}" for k, v in row.fields.items())
            lines.append(f"{'':>19}e.g. {clip(fields, max(20, width - 24))}")
    return "\n".join(lines)


def cmd_failures(args: argparse.Namespace) -> int:
    """One job's failures. With several orgs a bare id is looked for in each: every org that holds it
    answers under its name (a CSV is one org's: an id two orgs hold needs ``ORG:JOBID`` there)."""
    try:
        ref = job_ref(args.job_id)
        orgs = orgs_of(args, [ref])
    except ConfigError as exc:
        return fail(str(exc), ExitCode.USAGE)

    async def body() -> int:
        async with AsyncExitStack() as stack:
            if len(orgs) == 1:
                service = await stack.enter_async_context(open_service(orgs[0].options))
                code, found = await _one(args, service, await service.find_job(ref.job_id))
                _print(args, [("", found)])
                return code
            answers = await ask_every_org(stack, orgs, ref)
            held = [a for a in answers if a.job is not None and a.service is not None]
            for unread in (a for a in answers if a.error is not None):
                fail(f"org {inert(unread.org.name)}: not read: {inert(str(unread.error))}", 0)
            if not held:
                if any(a.error for a in answers):
                    return ExitCode.CONNECT
                raise NotFound(404, "NOT_FOUND", f"no job {ref.job_id} in any of the {len(answers)} orgs named")
            if len(held) > 1 and (args.out is not None or args.format == "csv"):
                which = " or ".join(f"{a.org.name}:{ref.job_id}" for a in held)
                raise Ambiguous(f"job {ref.job_id} is in {len(held)} orgs; a CSV is one org's: say which, as {which}")
            codes, reports = [], []
            for answer in held:
                assert answer.service is not None and answer.job is not None
                print(f"job {inert(ref.job_id)} is in org {inert(answer.org.name)}", file=sys.stderr)
                code, found = await _one(args, answer.service, answer.job)
                codes.append(code)
                reports.append((answer.org.name if len(held) > 1 else "", found))
            _print(args, reports)
            worst = max(codes)
            return ExitCode.PARTIAL if any(a.error for a in answers) and worst == ExitCode.OK else worst

    return run(body)


async def _one(args: argparse.Namespace, service: BulkService, job: Job) -> tuple[int, FailureReport]:
    """Read one org's job's failures (to the CSV too, if asked); its exit code and its report. An
    ``--out`` that cannot be written is one line and exit 2; the file is replaced only when whole."""
    from ..bulk.failure_reader import read_failures

    found = FailureReport.for_job(job)
    raw = bool(args.raw)
    if args.out is None and args.format != "csv":
        await read_failures(service, job, found)
    else:
        try:
            target = (
                replacing(args.out, raw=raw) if args.out is not None else nullcontext(to_stdout(sys.stdout, raw=raw))
            )
            with target as export:
                await read_failures(service, job, found, sink=export)
                export.finish(found)
        except BrokenPipeError:
            raise  # the reader left (`| head`): main leaves quietly
        except OSError as exc:
            if args.out is None:
                raise StdoutUnwritable(exc) from exc  # main says so, as for every command's output
            return fail(why_not_written(args.out, exc), ExitCode.USAGE), found
        fail(export_note(export, args.out), 0)
    sys.stdout.flush()
    if not found.complete:
        why = "; ".join(found.marks) or f"not every result read yet: {found.note or found.coverage()}"
        fail(f"job {inert(job.id)}: {inert(why)}", 0)
        return ExitCode.PARTIAL, found
    return ExitCode.OK, found


def _print(args: argparse.Namespace, reports: list[tuple[str, FailureReport]]) -> None:
    """The reports (one: as it always was; of several orgs: each under its org's name)."""
    several = len(reports) > 1
    if args.format == "json":
        if several:
            print(json.dumps({"orgs": [{"org": org, **found.as_json()} for org, found in reports]}, indent=2,
                             ensure_ascii=False))  # fmt: skip
        else:
            print(as_json(reports[0][1]))
    elif args.format == "table":
        width = shutil.get_terminal_size((120, 24)).columns
        print("\n\n".join((f"[{inert(org)}] " if several else "") + table(found, width) for org, found in reports))
    sys.stdout.flush()
