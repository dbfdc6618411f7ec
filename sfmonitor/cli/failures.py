"""``sfmonitor failures``: the text table and JSON, and the CSV export (bulk.failure_export) to stdout or a file.

Error text is the server's: exact in JSON and CSV, inert in the table.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys

from ..bulk.failure_export import CsvExport, export_note
from ..bulk.failures import FailureReport
from ..bulk.models import JobKind
from ..config.connection import open_service
from ..numbers import compact
from ..text import clip, inert
from .exits import ExitCode, fail, run
from .targets import targets_or_fail


def as_json(report: FailureReport) -> str:
    return json.dumps(report.as_json(), indent=2, ensure_ascii=False)


def table(report: FailureReport, width: int = 120, samples: int = 1) -> str:
    """Groups, largest first: rows, share, code, message; under each, a sample row's input."""
    kind = {JobKind.CLASSIC: "Bulk 1.0", JobKind.INGEST: "2.0 ingest", JobKind.QUERY: "2.0 query"}[report.kind]
    lines = [f"job {inert(report.job_id)} ({kind}): {inert(report.summary())}"]
    groups = report.ordered()
    if groups:
        lines.append(f"{'ROWS':>9}  {'SHARE':>6}  {'CODE':<34}  MESSAGE")
    for group in groups:
        share = f"{report.share(group) * 100:5.1f}%"
        code = clip(inert(group.code) or "(no code)", 34)
        message = inert(group.message) + (" (varies: ids, values)" if group.varies else "")
        lines.append(f"{compact(group.count, 9):>9}  {share:>6}  {code:<34}  {clip(message, max(20, width - 55))}")
        for row in group.rows[:samples]:
            fields = ", ".join(f"{inert(k)}={inert(v)}" for k, v in row.fields.items())
            lines.append(f"{'':>19}e.g. {clip(fields, max(20, width - 24))}")
    return "\n".join(lines)


def cmd_failures(args: argparse.Namespace) -> int:
    from ..bulk.failure_reader import read_failures

    targets = targets_or_fail(args)
    if isinstance(targets, int):
        return targets
    if len(targets) > 1:
        return fail("failures reads one org's job: name one org with -o", ExitCode.USAGE)

    async def body() -> int:
        async with open_service(targets[0][1]) as service:
            job = await service.find_job(args.job_id)
            export, handle = None, None
            if args.out is not None:
                export, handle = CsvExport.open(args.out)
            elif args.format == "csv":
                export = CsvExport(sys.stdout)
            found = FailureReport.for_job(job)
            try:
                await read_failures(service, job, found, sink=export)
            finally:
                if export is not None:
                    export.finish(found)
                if handle is not None:
                    handle.close()
            if args.format == "json":
                print(as_json(found))
            elif args.format == "table":
                print(table(found, shutil.get_terminal_size((120, 24)).columns))
            sys.stdout.flush()
            if export is not None:
                fail(export_note(export, args.out), 0)
            if not found.complete:
                fail(f"job {inert(job.id)}: not every result read yet: {inert(found.note or found.coverage())}", 0)
                return ExitCode.PARTIAL
            return ExitCode.OK

    return run(body)
