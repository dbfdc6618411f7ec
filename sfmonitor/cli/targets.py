"""Which orgs a command speaks to: ``-o`` (repeatable), ``--all-orgs``, or the flags and environment."""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Sequence
from contextlib import AsyncExitStack
from dataclasses import dataclass, replace

from ..bulk.errors import BulkError, ConfigError, NotFound, TransportError
from ..bulk.ids import id_problem
from ..bulk.models import Job
from ..bulk.service import BulkService
from ..config import settings as config
from ..config.connection import ConnectionOptions, open_service
from ..config.orgs import OrgConfig, table_for
from ..text import inert
from .exits import ExitCode, fail


@dataclass(frozen=True)
class JobRef:
    """A job as the command line names it: ``JOBID``, or ``ORG:JOBID`` (an org's config name or sf
    alias; a Salesforce id never holds a colon, so the id is what follows the last one)."""

    org: str | None
    job_id: str

    def __str__(self) -> str:
        return f"{self.org}:{self.job_id}" if self.org else self.job_id


def job_ref(text: str) -> JobRef:
    """The job a command-line argument names; a ConfigError (exit 2, nothing asked) when its id is not a
    Salesforce id (bulk.ids: one rule for typed ids and the org's own)."""
    org, colon, job_id = text.rpartition(":")
    if colon and (not org or not job_id):
        raise ConfigError(f"{text!r}: a job is JOBID or ORG:JOBID (the org's config name or sf alias, a colon, the id)")
    problem = id_problem(job_id)
    if problem is not None:
        raise ConfigError(f"{problem}: nothing was asked")
    return JobRef(org or None, job_id)


def ids_for(refs: Sequence[JobRef], org: str) -> list[str]:
    """The job ids to ask ``org`` for: the bare ones and those naming it."""
    return list(dict.fromkeys(ref.job_id for ref in refs if ref.org is None or ref.org == org))


def targets_of(args: argparse.Namespace, refs: Sequence[JobRef] = ()) -> list[tuple[str, ConnectionOptions]]:
    return [(org.name, org.options) for org in orgs_of(args, refs)]


def orgs_of(args: argparse.Namespace, refs: Sequence[JobRef] = ()) -> list[OrgConfig]:
    """Every org the options name: ``-o`` (repeatable; a name of the config file's [orgs.NAME] tables
    signs in as its table says, any other is an sf CLI alias), ``--all-orgs``, else the orgs the job
    references name (``ORG:JOBID``), else the one org of the flags or environment. An ``ORG:`` that
    is not among the orgs given is a usage error."""
    flags = {"api_version": args.api_version, "timeout": args.timeout}
    if args.ca_bundle:
        flags["ca_bundle"] = args.ca_bundle
    named = [ref.org for ref in refs if ref.org]
    names: list[str] = list(args.target_org or [])
    configured = config.load().orgs
    if not names and not args.all_orgs:
        if named:
            names = named
        else:  # the flags or the environment: resolved once here, and held to a table that names the same org
            options = ConnectionOptions(instance_url=args.instance_url, access_token=args.access_token, **flags)
            options = options.resolved()
            table = table_for(configured, target_org=options.target_org, instance_url=options.instance_url)
            if table is None:
                return [OrgConfig("", "", options, "")]
            return [replace(table, name="", options=options, table=table.name)]
    if args.all_orgs:
        from . import orgs as org_list

        found, _ = asyncio.run(org_list.discovered())
        names = list(dict.fromkeys([*configured, *(e.name for e in found), *names]))
        if not names:
            raise ConfigError("--all-orgs: no orgs in the config file, and the sf CLI knows none (sfmonitor orgs)")
    stray = [org for org in named if org not in names]
    if stray:
        given = ", ".join(inert(name) for name in dict.fromkeys(names))
        raise ConfigError(f"org {stray[0]!r} (of {stray[0]}:JOBID) is not among the orgs given ({given})")
    out = []
    for name in dict.fromkeys(names):
        org = configured.get(name)
        if org is None:  # an sf alias: a table naming it as its sf_alias holds its rules
            table = table_for(configured, target_org=name)
            alias = OrgConfig(name, name, ConnectionOptions(target_org=name), f"sf alias {name}")
            org = alias if table is None else replace(table, name=name, options=alias.options, table=table.name)
        out.append(replace(org, options=replace(org.options, **flags)))
    return out


def targets_or_fail(args: argparse.Namespace, refs: Sequence[JobRef] = ()) -> list[tuple[str, ConnectionOptions]] | int:
    try:
        return targets_of(args, refs)
    except ConfigError as exc:
        return fail(str(exc), ExitCode.USAGE)


@dataclass(frozen=True)
class Held:
    """One org's answer to "do you hold this job?": the job, or None; ``error``: the org could not say."""

    org: OrgConfig
    service: BulkService | None
    job: Job | None
    error: BulkError | None = None


async def ask_every_org(stack: AsyncExitStack, orgs: Sequence[OrgConfig], ref: JobRef) -> list[Held]:
    """Every org ``ref`` may be in (the one it names, else all), asked in parallel; each service that
    signed in stays open in ``stack``."""

    async def ask(org: OrgConfig) -> Held:
        service = None
        try:
            service = await stack.enter_async_context(open_service(org.options))
            return Held(org, service, await service.find_job(ref.job_id))
        except NotFound:
            return Held(org, service, None)
        except BulkError as exc:
            return Held(org, service, None, exc)

    asked = [org for org in orgs if ref.org is None or org.name == ref.org]
    return list(await asyncio.gather(*(ask(org) for org in asked)))


def name_of(org: OrgConfig) -> str:
    return org.name or "the org"


async def holder(stack: AsyncExitStack, orgs: Sequence[OrgConfig], ref: JobRef) -> tuple[OrgConfig, BulkService, Job]:
    """The one org that holds the job, for a close or abort. A bare id held by more than one org is
    refused (``ORG:JOBID`` says which), and so is one that an org could not be asked about: nothing
    is sent in either case."""
    answers = await ask_every_org(stack, orgs, ref)
    held = [a for a in answers if a.job is not None]
    unasked = [a for a in answers if a.error is not None]
    if len(answers) == 1 and answers[0].error is not None:
        raise answers[0].error
    if len(held) > 1:
        where = ", ".join(inert(a.org.name) for a in held)
        which = " or ".join(inert(f"{a.org.name}:{ref.job_id}") for a in held)
        raise Ambiguous(f"job {ref.job_id} is in {len(held)} orgs ({where}): say which, as {which}; nothing was sent")
    if unasked:
        why = "; ".join(f"{inert(a.org.name)}: {inert(str(a.error))}" for a in unasked)
        found = f"it is in {inert(held[0].org.name)}, but " if held else ""
        orgs_unasked = "an org" if len(unasked) == 1 else f"{len(unasked)} orgs"
        raise Unasked(f"job {ref.job_id}: {found}{orgs_unasked} could not be asked whether they hold it too "
                      f"({why}); give ORG:JOBID to name the org; nothing was sent")  # fmt: skip
    if not held:
        where = "this org" if len(answers) == 1 else f"any of the {len(answers)} orgs named"
        raise NotFound(404, "NOT_FOUND", f"no job {ref.job_id} in {where}")
    found_in = held[0]
    assert found_in.service is not None and found_in.job is not None
    if len(orgs) > 1:
        print(f"job {inert(ref.job_id)} is in org {inert(found_in.org.name)}")
    return found_in.org, found_in.service, found_in.job


class Ambiguous(ConfigError):
    """A bare job id that more than one org holds: a usage error (exit 2), nothing sent."""


class Unasked(TransportError):
    """An org could not be asked whether it holds the job: nothing sent (exit 3)."""
