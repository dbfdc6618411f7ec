"""``sfmonitor close`` and ``sfmonitor abort``: find the job, say what will happen, ask, send once."""

from __future__ import annotations

import argparse
import asyncio
import sys

from ..bulk.errors import (
    IllegalAction,
)
from ..bulk.models import Action, Job
from ..config import settings as config
from ..config.connection import open_service
from ..text import inert
from .exits import Cancelled, ExitCode, run
from .targets import holder, targets_or_fail


def describe(job: Job) -> str:
    records = (
        "no records yet"
        if job.number_records_processed is None
        else f"{job.number_records_processed:,} records processed"
    )
    return (
        f"job {inert(job.id)} ({job.kind.label}, {inert(job.object)} {inert(job.operation)}, "
        f"state {inert(job.state)}, {records})"
    )


def cmd_action(args: argparse.Namespace) -> int:
    action = Action(args.command)
    targets = targets_or_fail(args)
    if isinstance(targets, int):
        return targets

    async def body() -> int:
        options = targets[0][1] if len(targets) == 1 else await holder(targets, args.job_id)
        async with open_service(options) as service:
            job = await service.find_job(args.job_id)
            reason = job.refusal(action)
            if reason is not None:
                raise IllegalAction(f"cannot {action.value} {describe(job)}: {reason}")
            verb = "Close (upload complete)" if action is Action.CLOSE else "Abort"
            print(f"{verb} {describe(job)}.")
            if not args.yes:
                production = _production_setting(args)
                if production is None:
                    production = (await service.is_sandbox()) is not True  # unknown: careful
                if production:
                    await _confirm(f"{verb} this job in a PRODUCTION org? Type the job id's last 4 characters "
                                   f"({inert(job.id[-4:])}) to confirm: ", expected=job.id[-4:])  # fmt: skip
                else:
                    await _confirm(f"{verb} this job? [y/N] ")
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


def _production_setting(args: argparse.Namespace) -> bool | None:
    """``production = true|false`` of the named config-file org, if it says."""
    names = args.target_org or []
    if len(names) != 1:
        return None
    org = config.load().orgs.get(names[0])
    return org.production if org else None


def _ask(prompt: str) -> str:
    try:
        return input(prompt)
    except EOFError:
        return ""
