"""Which orgs a command speaks to: ``-o`` (repeatable), ``--all-orgs``, or the flags and environment."""

from __future__ import annotations

import argparse
import asyncio
from dataclasses import replace

from ..bulk.errors import (
    BulkError,
    ConfigError,
    NotFound,
)
from ..config import settings as config
from ..config.connection import ConnectionOptions, open_service
from ..config.orgs import OrgConfig
from ..text import inert
from .exits import ExitCode, fail


def targets_of(args: argparse.Namespace) -> list[tuple[str, ConnectionOptions]]:
    return [(org.name, org.options) for org in orgs_of(args)]


def orgs_of(args: argparse.Namespace) -> list[OrgConfig]:
    """Every org the options name: ``-o`` (repeatable; a name of the config file's [orgs.NAME] tables
    signs in as its table says, any other is an sf CLI alias), ``--all-orgs``, else the one org of
    the flags or environment (today's single-org behaviour)."""
    flags = {"api_version": args.api_version, "timeout": args.timeout}
    if args.ca_bundle:
        flags["ca_bundle"] = args.ca_bundle
    names: list[str] = list(args.target_org or [])
    if not names and not args.all_orgs:
        options = ConnectionOptions(instance_url=args.instance_url, access_token=args.access_token, **flags)
        return [OrgConfig("", "", options, "")]
    configured = config.load().orgs
    if args.all_orgs:
        from . import orgs as org_list

        found, _ = asyncio.run(org_list.discovered())
        names = list(dict.fromkeys([*configured, *(e.name for e in found), *names]))
        if not names:
            raise ConfigError("--all-orgs: no orgs in the config file, and the sf CLI knows none (sfmonitor orgs)")
    out = []
    for name in dict.fromkeys(names):
        org = configured.get(name) or OrgConfig(name, name, ConnectionOptions(target_org=name), f"sf alias {name}")
        out.append(replace(org, options=replace(org.options, **flags)))
    return out


def targets_or_fail(args: argparse.Namespace) -> list[tuple[str, ConnectionOptions]] | int:
    try:
        return targets_of(args)
    except ConfigError as exc:
        return fail(str(exc), ExitCode.USAGE)


async def holder(targets: list[tuple[str, ConnectionOptions]], job_id: str) -> ConnectionOptions:
    """The org that holds the job (a job id is unique across orgs), asked in parallel."""

    async def holds(options: ConnectionOptions) -> bool:
        try:
            async with open_service(options) as service:
                await service.find_job(job_id)
                return True
        except BulkError:
            return False

    found = await asyncio.gather(*(holds(options) for _, options in targets))
    for (name, options), held in zip(targets, found, strict=True):
        if held:
            print(f"job {inert(job_id)} is in org {inert(name)}")
            return options
    raise NotFound(404, "NOT_FOUND", f"no job {job_id} in any of the {len(targets)} orgs named")
