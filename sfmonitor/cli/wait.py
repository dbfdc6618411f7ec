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

from ..bulk.errors import BulkError, ConfigError, NotFound, transient
from ..bulk.ids import id_problem, is_salesforce_id
from ..bulk.models import Job
from ..bulk.retry import retrying
from ..bulk.service import BulkService
from ..config.connection import ConnectionOptions, open_service
from ..monitor.phase import REASONS, ended, failures_unknown, known, waiting_on_client
from ..monitor.phase import as_json as phase_json
from ..monitor.waiting import READS_AT_ONCE, Waited, outcome, wait
from ..numbers import count, duration, plural
from ..text import inert
from .exits import WAIT_ENDINGS, ExitCode, fail, run
from .targets import JobRef, Unasked, ids_for, job_ref, targets_or_fail

BAR = 20
START_RETRY_DELAYS = (1.0, 2.0, 4.0, 8.0)
PIPED_EVERY_S = 60.0  # piped output: a running job's counts at most once a minute


def _line(org: str, before: Job | None, job: Job) -> str:
    where = f"{inert(org)}: " if org else ""
    state = f"{inert(before.state)} → {inert(job.state)}" if before and before.state != job.state else inert(job.state)
    read = job.number_records_processed is not None  # a listing row has no counts: said so, not "-"
    processed = f"{count(job.number_records_processed)} processed" if read else "counts not read yet"
    failed = "" if not job.number_records_failed else f", {count(job.number_records_failed)} failed"
    why = waiting_on_client(job, time.time())
    waits = f"  waits on its client ({why})" if why else ""
    return (f"{datetime.now().strftime('%H:%M:%S')}  {where}{inert(job.id)}  {inert(job.object)} "
            f"{inert(job.operation)}  {state}  {processed}{failed}{waits}")  # fmt: skip


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
            changed = (before is None or before.state != after.state or ended(after)
                       or waiting_on_client(after, time.time()) is not None)  # fmt: skip
            if changed or (not self.tty and now - self._said.get(after.id, now) >= PIPED_EVERY_S):
                self._print(_line(org.org if several else "", before, after))
                self._said[after.id] = now
        if self.tty:
            self._bar(waited)

    def say(self, text: str) -> None:
        """A line of its own (the bar, if drawn, is drawn again at the next cycle)."""
        self._print(text)

    def _print(self, text: str) -> None:
        if self._drawn:
            self.out.write("\r\x1b[2K")
            self._drawn = False
        self.out.write(text + "\n")
        self.out.flush()

    def _bar(self, waited: list[Waited]) -> None:
        jobs = [job for org in waited for job in org.jobs.values()]
        done = sum(1 for job in jobs if ended(job))
        filled = round(BAR * done / len(jobs)) if jobs else BAR
        processed = sum(job.number_records_processed or 0 for job in jobs)
        failed = sum(job.number_records_failed or 0 for job in jobs)
        unread = sum(len(org.errors) for org in waited)
        note = f" · {unread} not read this time (retrying)" if unread else ""
        self.out.write(f"\r\x1b[2K[{'█' * filled}{'░' * (BAR - filled)}] {done}/{len(jobs)} ended · "
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
    """The jobs to wait on in this org, each with what its phase needs (a transient failure is tried
    again: a wait survives a flaky start). ``--running``: the jobs the listing does not show ended,
    a Bulk 1.0 one read once (its row has no batch counts: its phase is unknown until read); one
    whose id is not a Salesforce id is in the answer unread (never asked about: the caller names it)."""
    if running:
        listed = await retrying(service.list_jobs, START_RETRY_DELAYS, "job listing")
        candidates = {job_id: job for job_id, job in listed.items() if not ended(job)}
        learned = await _learned(service, {k: v for k, v in candidates.items() if is_salesforce_id(k)})
        return {**learned, **{k: v for k, v in candidates.items() if not is_salesforce_id(k)}}
    found: dict[str, Job] = {}
    for job_id in ids:
        finding = functools.partial(service.find_job, job_id)
        try:
            found[job_id] = await retrying(finding, START_RETRY_DELAYS, f"job {job_id}")
        except NotFound:
            continue
    return found


async def _learned(service: BulkService, jobs: dict[str, Job]) -> dict[str, Job]:
    """The listed jobs whose phase is unknown, read once (one job info each, without batch lists). One
    that cannot be read now stays unknown, and is waited on until a read tells; one gone is dropped."""
    limit = asyncio.Semaphore(READS_AT_ONCE)

    async def one(job: Job) -> Job | None:
        if known(job):
            return job
        async with limit:
            try:
                return await retrying(lambda: service.refresh(job, with_batches=False), START_RETRY_DELAYS,
                                      f"job {job.id}")  # fmt: skip
            except NotFound:
                return None
            except BulkError as exc:
                if not transient(exc):
                    raise
                return job

    read = await asyncio.gather(*(one(job) for job in jobs.values()))
    return {job.id: job for job in read if job is not None}


def _waiting_line(org: str, job_id: str, why: str, head: str) -> str:
    where = f"{inert(org)}: " if org else ""
    return f"{head}{where}{inert(job_id)} waits on its client ({why}: {REASONS.get(why, why)})"


async def _open(stack: AsyncExitStack, options: ConnectionOptions) -> BulkService | BulkError:
    try:
        return await stack.enter_async_context(open_service(options, START_RETRY_DELAYS))
    except BulkError as exc:
        return exc


async def _held(service: BulkService, ids: Sequence[str], running: bool) -> dict[str, Job] | BulkError:
    try:
        return await _jobs_of(service, ids, running)
    except BulkError as exc:
        return exc


def _unasked(refs: Sequence[JobRef], missing: list[JobRef], unread: Sequence[str]) -> str | None:
    """Why the jobs no org read holds cannot be called unknown: each might be in an org that could not
    be read (None when one of them could be in no such org: it is unknown)."""
    might = {str(ref): [name for name in unread if ref.org in (None, name)] for ref in missing}
    if not missing or not all(might.values()):
        return None
    return "; ".join(f"job {ref}: not in the orgs read, and {', '.join(inert(n) for n in orgs)} could not be asked"
                     for ref, orgs in might.items())  # fmt: skip


def _limit_line(org: Waited, pause: float, several: bool) -> str:
    where = f"org {inert(org.org)}: " if several else ""
    return (f"{datetime.now().strftime('%H:%M:%S')}  {where}the org's daily API limit is reached "
            f"({inert(org.limited)}): still waiting, next read in {duration(int(pause * 1000))}")  # fmt: skip


def _failures_unknown_line(org: str, job: Job) -> str:
    where = f"{inert(org)}: " if org else ""
    given = "null or not a number" if "numberRecordsFailed" in job.fields else "absent"
    return (f"{where}{inert(job.id)} ended {inert(job.state)}, but the org gave no count of failed records "
            f"(numberRecordsFailed {given}): whether records failed is not known")  # fmt: skip


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
    raised, for the command line to report).

    ``--running`` waits on the jobs whose phase is running: one waiting on its client is named on
    stderr and not waited on. A named job waiting on its client (at the start or later) ends the wait
    with CLIENT_WAIT once nothing else runs, its id and why printed."""
    started = time.monotonic()
    async with AsyncExitStack() as stack:
        asked = [(name, options) for name, options in targets if running or ids_for(ids, name)]
        opened = await asyncio.gather(*(_open(stack, options) for _, options in asked))
        unread = [(name, got) for (name, _), got in zip(asked, opened, strict=True) if isinstance(got, BulkError)]
        if len(targets) == 1 and unread:
            raise unread[0][1]
        services = [(name, got) for (name, _), got in zip(asked, opened, strict=True) if isinstance(got, BulkService)]
        answers = await asyncio.gather(*(_held(service, ids_for(ids, name), running) for name, service in services))
        if len(targets) == 1 and isinstance(answers[0], BulkError):
            raise answers[0]
        unread += [(name, got) for (name, _), got in zip(services, answers, strict=True) if isinstance(got, BulkError)]
        for name, error in unread:  # one org's failure costs that org only
            fail(f"org {inert(name)}: not read: {error}", 0)
        held = [(name, service, got) for (name, service), got in zip(services, answers, strict=True)
                if not isinstance(got, BulkError)]  # fmt: skip
        if not held:
            return ExitCode.CONNECT
        several = len(targets) > 1
        refused = _not_ids(held, several)  # listed jobs whose ids are not ids: named, never read
        waited = [Waited(name, service, {job_id: job.with_batches(None) for job_id, job in jobs.items()})
                  for name, service, jobs in held if jobs]  # fmt: skip
        found = {(org.org, job_id) for org in waited for job_id in org.jobs}
        missing = [ref for ref in dict.fromkeys(ids)
                   if not any(job_id == ref.job_id and ref.org in (None, org) for org, job_id in found)]  # fmt: skip
        unasked = _unasked(ids, missing, [name for name, _ in unread])
        if unasked:
            raise Unasked(unasked)
        if missing:
            where = "any of the orgs named" if len(targets) > 1 else "this org"
            also = f" (not read: {', '.join(inert(name) for name, _ in unread)})" if unread else ""
            raise NotFound(404, "NOT_FOUND", f"no job {', '.join(map(str, missing))} in {where}{also}")
        if running:  # only the running ones: the others are named (waiting) or were never news (ended)
            for org in waited:
                for job_id, why in org.waiting().items():
                    print(_waiting_line(org.org if several else "", job_id, why, "not waited on: "), file=sys.stderr)
                pending = set(org.pending)
                org.jobs = {job_id: job for job_id, job in org.jobs.items() if job_id in pending}
            waited = [org for org in waited if org.jobs]
        if not waited:
            print("no job is running: nothing to wait for", file=sys.stderr)
            return ExitCode.PARTIAL if unread or refused else ExitCode.OK  # an org or a job not read might run
        progress = Progress(sys.stderr, started)
        progress.cycle(waited, [(org, None, job) for org in waited for job in org.jobs.values()])
        try:
            finished = await wait(waited, interval=interval, max_wait=max_wait,
                                  on_cycle=lambda moved: progress.cycle(waited, moved),
                                  on_limit=lambda org, gap: progress.say(_limit_line(org, gap, several)))  # fmt: skip
        finally:
            progress.done()
    jobs = [job for org in waited for job in org.jobs.values()]
    now = time.time()
    if as_json:
        print(json.dumps([_job_json(org, job, len(waited) > 1, now) for org in waited for job in org.jobs.values()],
                         indent=2, ensure_ascii=False, default=str))  # fmt: skip
    else:
        print(_summary(jobs, time.monotonic() - started))
    if not finished:
        still = [job_id for org in waited for job_id in org.pending]
        still_ids = " ".join(map(inert, still))
        print(f"timed out with {plural(len(still), 'job')} still running: {still_ids}", file=sys.stderr)
    for org in waited:
        for job_id, why in org.waiting().items():
            print(_waiting_line(org.org if several else "", job_id, why, ""), file=sys.stderr)
        for job in org.jobs.values():
            if failures_unknown(job):
                print(_failures_unknown_line(org.org if several else "", job), file=sys.stderr)
    code = WAIT_ENDINGS[outcome(jobs, timed_out=not finished, now=now)]
    return ExitCode.PARTIAL if code is ExitCode.OK and (unread or refused) else code  # not a clean 0


def _not_ids(held: list[tuple[str, BulkService, dict[str, Job]]], several: bool) -> bool:
    """Drop (and name on stderr) the listed jobs whose ids are not Salesforce ids: never read, so never
    waited on (``--running`` only: a named id was checked where it was typed). Whether any was."""
    dropped = False
    for name, _, jobs in held:
        for job_id in [job_id for job_id in jobs if not is_salesforce_id(job_id)]:
            del jobs[job_id]
            where = f"{inert(name)}: " if several else ""
            print(f"not waited on: {where}{id_problem(job_id)}; not read", file=sys.stderr)
            dropped = True
    return dropped


def _job_json(org: Waited, job: Job, several: bool, now: float) -> dict[str, Any]:
    out = job.to_json()
    out["ended"] = ended(job)
    out.update(phase_json(job, now))
    out["readError"] = org.errors.get(job.id)
    out["failuresKnown"] = not failures_unknown(job)  # false: ended, but numberRecordsFailed not given
    if several:
        out["org"] = org.org
    return out


def _summary(jobs: list[Job], took: float) -> str:
    states: dict[str, int] = {}
    for job in jobs:
        states[job.state] = states.get(job.state, 0) + 1
    failed = sum(job.number_records_failed or 0 for job in jobs)
    processed = sum(job.number_records_processed or 0 for job in jobs)
    unknown = sum(failures_unknown(job) for job in jobs)
    still = sum(not ended(job) for job in jobs)
    head = f"{plural(len(jobs), 'job')} " + ("ended" if not still else f"waited on, {still} not ended")
    tally = ", ".join(f"{n} {inert(state)}" for state, n in states.items())
    records = f"{plural(processed, 'record')} processed, {failed:,} failed"
    if unknown:
        records += f" (and {plural(unknown, 'job')} gave no failed count)"
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
