"""``sfmonitor wait``: the jobs to wait on, progress while they run, and what is printed at the end.

On a terminal a progress line is redrawn in place (stderr), with a line for each state change
above it; piped, a plain line per change. The end: a summary line (text) or one JSON object per
job with its last fields (``--format json``), to stdout.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import json
import sys
import time
from collections.abc import Sequence
from contextlib import AsyncExitStack
from datetime import datetime
from typing import Any, TextIO

from ..bulk.errors import BulkError, ConfigError, NotFound
from ..bulk.models import Job
from ..bulk.retry import retrying
from ..bulk.service import BulkService
from ..config.connection import ConnectionOptions, open_service
from ..monitor.waiting import Waited, outcome, wait
from ..numbers import count, duration
from ..text import inert
from .exits import WAIT_ENDINGS, ExitCode, fail, run
from .targets import JobRef, ids_for, job_ref, targets_or_fail

BAR = 20
START_RETRY_DELAYS = (1.0, 2.0, 4.0, 8.0)
PIPED_EVERY_S = 60.0  # piped output: a running job's counts at most once a minute


def _line(org: str, before: Job | None, job: Job) -> str:
    where = f"{inert(org)}: " if org else ""
    state = f"{inert(before.state)} → {inert(job.state)}" if before and before.state != job.state else inert(job.state)
    processed = "-" if job.number_records_processed is None else count(job.number_records_processed)
    failed = "" if not job.number_records_failed else f", {count(job.number_records_failed)} failed"
    return (f"{datetime.now().strftime('%H:%M:%S')}  {where}{inert(job.id)}  {inert(job.object)} "
            f"{inert(job.operation)}  {state}  {processed} processed{failed}")  # fmt: skip


class Progress:
    """What the operator sees while waiting: changes, and on a terminal a bar redrawn in place."""

    def __init__(self, out: TextIO, started: float) -> None:
        self.out = out
        self.tty = out.isatty()
        self.started = started
        self._drawn = False
        self._said: dict[str, float] = {}  # job -> when its last line was printed

    def cycle(self, waited: list[Waited], moved: list[tuple[Waited, Job | None, Job]]) -> None:
        """A line per job found, per state change and per end; piped (no bar), also a line a minute
        for a job whose counts move."""
        several, now = len(waited) > 1, time.monotonic()
        for org, before, after in moved:
            changed = before is None or before.state != after.state or after.finished
            if changed or (not self.tty and now - self._said.get(after.id, now) >= PIPED_EVERY_S):
                self._print(_line(org.org if several else "", before, after))
                self._said[after.id] = now
        if self.tty:
            self._bar(waited)

    def _print(self, text: str) -> None:
        if self._drawn:
            self.out.write("\r\x1b[2K")
            self._drawn = False
        self.out.write(text + "\n")
        self.out.flush()

    def _bar(self, waited: list[Waited]) -> None:
        jobs = [job for org in waited for job in org.jobs.values()]
        ended = sum(1 for job in jobs if job.finished)
        filled = round(BAR * ended / len(jobs)) if jobs else BAR
        processed = sum(job.number_records_processed or 0 for job in jobs)
        failed = sum(job.number_records_failed or 0 for job in jobs)
        unread = sum(len(org.errors) for org in waited)
        note = f" · {unread} not read this time (retrying)" if unread else ""
        self.out.write(f"\r\x1b[2K[{'█' * filled}{'░' * (BAR - filled)}] {ended}/{len(jobs)} ended · "
                       f"{count(processed)} processed · {count(failed)} failed · "
                       f"{duration(int((time.monotonic() - self.started) * 1000))}{note}")  # fmt: skip
        self.out.flush()
        self._drawn = True

    def done(self) -> None:
        if self._drawn:
            self.out.write("\r\x1b[2K")
            self.out.flush()
            self._drawn = False


async def _jobs_of(service: BulkService, ids: Sequence[str], running: bool) -> dict[str, Job]:
    """The jobs to wait on in this org (a transient failure is tried again: a wait survives a flaky start)."""
    if running:
        listed = await retrying(service.list_jobs, START_RETRY_DELAYS, "job listing")
        return {job_id: job for job_id, job in listed.items() if not job.finished}
    found: dict[str, Job] = {}
    for job_id in ids:
        finding = functools.partial(service.find_job, job_id)
        try:
            found[job_id] = await retrying(finding, START_RETRY_DELAYS, f"job {job_id}")
        except NotFound:
            continue
    return found


async def _open(stack: AsyncExitStack, options: ConnectionOptions) -> BulkService | BulkError:
    try:
        return await stack.enter_async_context(open_service(options))
    except BulkError as exc:
        return exc


async def run_wait(
    targets: list[tuple[str, ConnectionOptions]],
    ids: Sequence[JobRef],
    *,
    running: bool,
    interval: float,
    max_wait: float | None,
    as_json: bool,
) -> int:
    """Wait as ``sfmonitor wait`` does; returns its exit code (a refusal or a connection failure is
    raised, for the command line to report)."""
    started = time.monotonic()
    async with AsyncExitStack() as stack:
        asked = [(name, options) for name, options in targets if running or ids_for(ids, name)]
        opened = await asyncio.gather(*(_open(stack, options) for _, options in asked))
        unread = [(name, got) for (name, _), got in zip(asked, opened, strict=True) if isinstance(got, BulkError)]
        if len(targets) == 1 and unread:
            raise unread[0][1]
        for name, error in unread:  # one org's failure costs that org only
            fail(f"org {inert(name)}: not read: {error}", 0)
        services = [(name, got) for (name, _), got in zip(asked, opened, strict=True) if isinstance(got, BulkService)]
        if not services:
            return ExitCode.CONNECT
        held = await asyncio.gather(*(_jobs_of(service, ids_for(ids, name), running) for name, service in services))
        waited = [Waited(name, service, {job_id: job.with_batches(None) for job_id, job in jobs.items()})
                  for (name, service), jobs in zip(services, held, strict=True) if jobs]  # fmt: skip
        known = {(org.org, job_id) for org in waited for job_id in org.jobs}
        missing = [str(ref) for ref in dict.fromkeys(ids)
                   if not any(job_id == ref.job_id and ref.org in (None, org) for org, job_id in known)]  # fmt: skip
        if missing:
            where = "any of the orgs named" if len(targets) > 1 else "this org"
            also = f" (not read: {', '.join(inert(name) for name, _ in unread)})" if unread else ""
            raise NotFound(404, "NOT_FOUND", f"no job {', '.join(missing)} in {where}{also}")
        if not waited:
            print("no job is running: nothing to wait for", file=sys.stderr)
            return 0
        progress = Progress(sys.stderr, started)
        progress.cycle(waited, [(org, None, job) for org in waited for job in org.jobs.values()])
        try:
            ended = await wait(waited, interval=interval, max_wait=max_wait,
                               on_cycle=lambda moved: progress.cycle(waited, moved))  # fmt: skip
        finally:
            progress.done()
    jobs = [job for org in waited for job in org.jobs.values()]
    if as_json:
        print(json.dumps([_job_json(org, job, len(waited) > 1) for org in waited for job in org.jobs.values()],
                         indent=2, ensure_ascii=False, default=str))  # fmt: skip
    else:
        print(_summary(jobs, ended, time.monotonic() - started))
    if not ended:
        still = [job.id for job in jobs if not job.finished]
        print(f"timed out with {len(still)} job{'s' if len(still) != 1 else ''} still running: {' '.join(still)}",
              file=sys.stderr)  # fmt: skip
    code = WAIT_ENDINGS[outcome(jobs, timed_out=not ended)]
    return ExitCode.PARTIAL if code is ExitCode.OK and unread else code  # an org not read: not a clean 0


def _job_json(org: Waited, job: Job, several: bool) -> dict[str, Any]:
    out = job.to_json()
    out["ended"] = job.finished
    out["readError"] = org.errors.get(job.id)
    if several:
        out["org"] = org.org
    return out


def _summary(jobs: list[Job], ended: bool, took: float) -> str:
    states: dict[str, int] = {}
    for job in jobs:
        states[job.state] = states.get(job.state, 0) + 1
    failed = sum(job.number_records_failed or 0 for job in jobs)
    processed = sum(job.number_records_processed or 0 for job in jobs)
    head = f"{len(jobs)} job{'s' if len(jobs) != 1 else ''} " + ("ended" if ended else "not all ended")
    tally = ", ".join(f"{n} {inert(state)}" for state, n in states.items())
    records = f"{count(processed)} records processed, {count(failed)} failed"
    return f"{head} after {duration(int(took * 1000))}: {tally}; {records}"


def cmd_wait(args: argparse.Namespace) -> int:
    from ..monitor.schedule import clamp_interval

    if bool(args.job_id) == args.running:
        return fail("wait: name the jobs (JOB_ID …) or give --running, not both", ExitCode.USAGE)
    try:
        refs = [job_ref(text) for text in args.job_id]
    except ConfigError as exc:
        return fail(str(exc), ExitCode.USAGE)
    targets = targets_or_fail(args, refs)
    if isinstance(targets, int):
        return targets
    return run(lambda: run_wait(targets, refs, running=args.running, interval=clamp_interval(args.interval),
                                max_wait=args.max_wait, as_json=args.format == "json"))  # fmt: skip
