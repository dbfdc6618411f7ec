"""``sfmonitor close`` and ``sfmonitor abort``: find the job, say what will happen, ask, send once."""

from __future__ import annotations

import argparse
import asyncio
import sys
from contextlib import AsyncExitStack
from urllib.parse import urlsplit

from ..bulk.errors import ConfigError, IllegalAction
from ..bulk.models import Action, Job
from ..config import settings as config
from ..monitor.confirm import production_mark, production_of, question, read_only_refusal, verb
from ..numbers import plural
from ..text import inert
from .exits import Cancelled, ExitCode, fail, run
from .targets import holder, job_ref, orgs_of


def describe(job: Job) -> str:
    records = (
        "no records yet"
        if job.number_records_processed is None
        else f"{plural(job.number_records_processed, 'record')} processed"
    )
    return (
        f"job {inert(job.id)} ({job.kind.label}, {inert(job.object)} {inert(job.operation)}, "
        f"state {inert(job.state)}, {records})"
    )


def cmd_action(args: argparse.Namespace) -> int:
    """Find the job (``ORG:JOBID``, or the one org of several that holds a bare id), apply that org's
    read-only and production rules (the dashboard's), ask monitor.confirm's question, send once."""
    action = Action(args.command)
    try:
        ref = job_ref(args.job_id)
        orgs = orgs_of(args, [ref])
        settings = config.load()
    except ConfigError as exc:
        return fail(str(exc), ExitCode.USAGE)

    async def body() -> int:
        async with AsyncExitStack() as stack:
            org, service, job = await holder(stack, orgs, ref)
            label = org.name or service.username or urlsplit(service.instance_url).hostname or "the org"  # as -o
            rules = config.in_force(org, settings)
            if rules.read_only:
                raise IllegalAction(f"cannot {action.value} {describe(job)}: "
                                    f"{read_only_refusal(label, rules.read_only_why)}")  # fmt: skip
            reason = job.refusal(action)
            if reason is not None:
                raise IllegalAction(f"cannot {action.value} {describe(job)}: {reason}")
            production = org.production  # the table's word wins; else the org's, asked with --yes too:
            if production is None:  # the line below marks it as the prompt would (monitor.confirm's words)
                production = production_of(None, await service.is_sandbox())
            asked = question(job, action, label, production)
            mark = production_mark(production)
            print(f"{verb(action, job)} {describe(job)} in org {inert(label)}{f' ({mark})' if mark else ''}.")
            if not args.yes:
                await _confirm(asked.prompt(), expected=asked.typed or None)
            done = await service.act(job, action)
            print(f"Job {inert(done.id)}: {inert(job.state)} -> {inert(done.state)}")
            return ExitCode.OK

    return run(body)


async def _confirm(prompt: str, expected: str | None = None) -> None:
    """y (or yes) confirms; with ``expected`` (a production org) only that exact text does."""
    if not sys.stdin or not sys.stdin.isatty():
        raise Cancelled("no terminal to confirm on; pass --yes to act without asking")
    answer = (await asyncio.to_thread(_ask, prompt)).strip()
    if answer != expected if expected is not None else answer.lower() not in ("y", "yes"):
        raise Cancelled("not confirmed; nothing was sent")


def _ask(prompt: str) -> str:
    try:
        return input(prompt)
    except EOFError:
        return ""
