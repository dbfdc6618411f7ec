"""Commands and options: turns them into a connection and calls the layers below.

Exit codes (also in the README):
  0 done · 1 refused (illegal transition, server error, unknown job) · 2 bad options or config ·
  3 cannot reach or sign in to the org · 4 a close/abort whose outcome is unknown · 5 not confirmed ·
  9 partial: some jobs could not be read (each is marked) · 141 the reader closed the pipe
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import math
import os
import shutil
import signal
import sys
import threading
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

from . import config, logfile, paths, report
from .bulk.auth import is_loopback
from .bulk.errors import (
    ActionOutcomeUnknown,
    ApiError,
    AuthError,
    BulkError,
    ConfigError,
    IllegalAction,
    NotFound,
    ProtocolError,
    TransportError,
)
from .bulk.failures import FailureReport
from .bulk.models import Action, Job
from .bulk.retry import retrying
from .bulk.service import BulkService
from .connection import ConnectionOptions, open_service
from .monitor.poller import Poller, Snapshot
from .org_config import OrgConfig
from .text import inert

if TYPE_CHECKING:
    from .simulator.server import Simulator

EXIT_OK, EXIT_REFUSED, EXIT_USAGE, EXIT_CONNECT, EXIT_UNKNOWN, EXIT_NOT_CONFIRMED = 0, 1, 2, 3, 4, 5
EXIT_PARTIAL = 9  # a snapshot with jobs that could not be read (marked in the output, named on stderr)
EXIT_PIPE = 141  # as a program killed by SIGPIPE: `sfmonitor status | head -1`
STATUS_RETRY_DELAYS = (1.0, 2.0)  # the whole snapshot, and each job read in it, tried again after these
STATUS_CONCURRENCY = 8


class Cancelled(Exception):
    pass


def seconds(text: str) -> float:
    """A positive, finite number of seconds (``nan``, ``0``, ``-1`` are usage errors)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if not math.isfinite(value) or value <= 0:
        raise argparse.ArgumentTypeError(f"{text!r}: give a positive number of seconds")
    return value


def _duration(text: str) -> float:
    from .monitor.waiting import duration

    try:
        return duration(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


CONNECTION_DEFAULTS: dict[str, object] = {
    "instance_url": None,
    "access_token": None,
    "target_org": None,
    "all_orgs": False,
    "api_version": None,
    "ca_bundle": None,
    "timeout": 30.0,
    "verbose": False,
}


def _connection_args(parser: argparse.ArgumentParser) -> None:
    """Options every command takes, before or after its name (``sfmonitor -o ops status`` too).

    Their defaults are filled in after parsing (``CONNECTION_DEFAULTS``), so a value given before
    the command is not overwritten by the command's own default."""
    parser.add_argument(
        "-v", "--verbose", action="store_true", default=argparse.SUPPRESS, help="log requests and decisions to stderr"
    )
    group = parser.add_argument_group("connection (flags win over the environment)")
    quiet: dict[str, Any] = {"default": argparse.SUPPRESS}
    group.add_argument("--instance-url", metavar="URL", help="the org's URL, https:// (env SF_INSTANCE_URL)", **quiet)
    group.add_argument(
        "--access-token", metavar="TOKEN", help="an OAuth access token or session id (env SF_ACCESS_TOKEN)", **quiet
    )
    group.add_argument(
        "-o", "--target-org", metavar="ALIAS", action="append",
        help="an org of the config file or one the sf CLI knows (env SF_TARGET_ORG); repeatable", **quiet,
    )  # fmt: skip
    group.add_argument("--all-orgs", action="store_true", help="every org of the config file and of the sf CLI",
                       **quiet)  # fmt: skip
    group.add_argument("--api-version", metavar="N.N", help="API version (default: the newest the org offers)", **quiet)
    group.add_argument(
        "--ca-bundle", metavar="PEM", help="trust this CA bundle, for a private CA (env SF_CA_BUNDLE)", **quiet
    )
    group.add_argument("--timeout", type=seconds, metavar="S", help="seconds to wait for an answer (30)", **quiet)


def _targets(args: argparse.Namespace) -> list[tuple[str, ConnectionOptions]]:
    return [(org.name, org.options) for org in _orgs(args)]


def _orgs(args: argparse.Namespace) -> list[OrgConfig]:
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
        from . import org_list

        found, _ = asyncio.run(org_list.discovered())
        names = list(dict.fromkeys([*configured, *(e.name for e in found), *names]))
        if not names:
            raise ConfigError("--all-orgs: no orgs in the config file, and the sf CLI knows none (sfmonitor orgs)")
    out = []
    for name in dict.fromkeys(names):
        org = configured.get(name) or OrgConfig(name, name, ConnectionOptions(target_org=name), f"sf alias {name}")
        out.append(replace(org, options=replace(org.options, **flags)))
    return out


class Parser(argparse.ArgumentParser):
    """Bad options are one line and exit code 2, not a usage block."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_USAGE, f"sfmonitor: {message} (see: {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(
        prog="sfmonitor",
        description="Watch an org's Salesforce Bulk API jobs live; close or abort one.",
    )
    _connection_args(parser)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    watch = sub.add_parser("watch", help="the live dashboard (the default command)")
    _dashboard_args(watch)
    _connection_args(watch)

    status = sub.add_parser("status", help="one snapshot of every job (or the named ones)")
    status.add_argument("--format", choices=("table", "json"), default="table")
    status.add_argument("--job", action="append", metavar="ID", help="only this job (repeatable)")
    _connection_args(status)

    for name, verb in (("close", "close (upload complete)"), ("abort", "abort")):
        p = sub.add_parser(name, help=f"{verb} one job, with the request its API needs")
        p.add_argument("job_id", metavar="JOB_ID")
        p.add_argument("-y", "--yes", action="store_true", help="do not ask for confirmation")
        _connection_args(p)

    failures = sub.add_parser("failures", help="why a job's rows failed: failed rows grouped by error")
    failures.add_argument("job_id", metavar="JOB_ID")
    failures.add_argument("--format", choices=("table", "json", "csv"), default="table",
                          help="table (default), json, or csv: every failed row with its error and input")  # fmt: skip
    failures.add_argument("--out", metavar="FILE", type=Path,
                          help="write every failed row to this CSV file too (--format csv: not to stdout)")  # fmt: skip
    _connection_args(failures)

    waiting = sub.add_parser("wait", help="wait until jobs end; the exit code says how they ended (0, 6, 7, 8)")
    waiting.add_argument("job_id", metavar="JOB_ID", nargs="*", help="the jobs to wait for")
    waiting.add_argument("--running", action="store_true", help="every job running now")
    waiting.add_argument("--max-wait", metavar="DURATION", type=_duration,
                         help="give up after this long (90s, 30m, 2h or seconds): exit 8")  # fmt: skip
    waiting.add_argument("--interval", type=seconds, metavar="S", default=5.0,
                         help="seconds between reads of the jobs (default 5, floor 2)")  # fmt: skip
    waiting.add_argument("--format", choices=("text", "json"), default="text")
    _connection_args(waiting)

    orgs = sub.add_parser("orgs", help="the configured and discovered orgs, and whether each can sign in")
    _connection_args(orgs)

    sim = sub.add_parser("simulate", help="run the Bulk API simulator (a fake org) on loopback")
    _simulator_args(sim)
    _connection_args(sim)
    sim.add_argument("--port", type=int, default=8377, help="port (default 8377; 0 picks a free one)")

    demo = sub.add_parser("demo", help="start the simulator in the background and watch it")
    _simulator_args(demo)
    _dashboard_args(demo)
    _connection_args(demo)
    demo.add_argument("--port", type=int, default=0, help=argparse.SUPPRESS)

    locate = sub.add_parser("locate", help="print where sfmonitor keeps its config, themes or log")
    locate.add_argument("what", choices=("config", "themes", "log"))
    _connection_args(locate)
    return parser


def _dashboard_args(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("dashboard")
    group.add_argument("--interval", type=seconds, metavar="S", help="seconds between polls (default 5, floor 2)")
    group.add_argument("--read-only", action="store_true", help="never close or abort: the keys are hidden and refused")
    group.add_argument("--theme", metavar="NAME", help="theme name (env SFMONITOR_THEME; t cycles in the app)")
    group.add_argument("--api-budget", metavar="N|N%",
                       help="keep sfmonitor's API calls under N a day, or N%% of the org's daily allowance "
                            "(polls stretch to fit; the header says so)")  # fmt: skip
    group.add_argument("--on-event", metavar="CMD",
                       help="run CMD (split as a shell would, run without one) for each alert, the event as "
                            "JSON on stdin")  # fmt: skip


COMMANDS = ("watch", "status", "failures", "wait", "orgs", "close", "abort", "simulate", "demo", "locate")


TAKES_VALUE = frozenset({"--instance-url", "--access-token", "-o", "--target-org", "--api-version", "--ca-bundle",
                         "--timeout"})  # fmt: skip


def _with_default_command(argv: Sequence[str]) -> list[str]:
    """``sfmonitor [options]`` means ``sfmonitor watch [options]``: the command is the first word that
    is neither an option nor an option's value."""
    args = list(argv)
    skip = False
    for arg in args:
        if skip:
            skip = False
        elif arg in ("-h", "--help") or arg in COMMANDS:
            return args
        elif arg in TAKES_VALUE:
            skip = True
        elif not arg.startswith("-"):
            break
    return ["watch", *args]


def _simulator_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", default="127.0.0.1", help="loopback address to listen on (127.0.0.1)")
    parser.add_argument("--seed", type=int, default=7, help="seed of the simulated org (same seed, same org)")
    parser.add_argument("--speed", type=float, default=1.0, help="simulated seconds per real second (1)")
    parser.add_argument("--tls", action="store_true", help="serve https with a fresh self-signed certificate")
    parser.add_argument("--faults", default="", metavar="SPEC", help="inject failures (see README: Faults)")
    parser.add_argument(
        "--spawn-every", type=float, default=180.0, metavar="S", help="simulated seconds between new jobs (0: none)"
    )
    parser.add_argument(
        "--retention", type=float, default=168.0, metavar="HOURS",
        help="finished jobs leave the org this long after they finish (168, as Salesforce)",
    )  # fmt: skip
    parser.add_argument("--extra-jobs", type=int, default=0, metavar="N",
                        help="add N finished Bulk 2.0 jobs (a big org, for scale)")  # fmt: skip
    parser.add_argument("--giant-batches", type=int, default=0, metavar="N",
                        help="add a running Bulk 1.0 job of N batches (for scale)")  # fmt: skip
    parser.add_argument("--production", action="store_true",
                        help="play a production org (Organization.IsSandbox false)")  # fmt: skip
    parser.add_argument("--jwt-cert", type=Path, metavar="PEM",
                        help="accept JWT bearer sign-ins signed by this certificate's key")  # fmt: skip
    parser.add_argument("--jwt-client-id", default="sfmonitor-sim", metavar="ID",
                        help="the consumer key JWT assertions must name as iss (sfmonitor-sim)")  # fmt: skip
    parser.add_argument("--failure-rows", type=int, default=0, metavar="N",
                        help="add a finished Bulk 2.0 job whose N rows all failed (a huge failure file)")  # fmt: skip


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(_with_default_command(sys.argv[1:] if argv is None else argv))
    for name, default in CONNECTION_DEFAULTS.items():
        if not hasattr(args, name):
            setattr(args, name, default)
    if argv is None:
        _mask_process_title(getattr(args, "access_token", None))
    _logging(args.verbose, to_file=args.command in ("watch", "demo"))
    handlers: dict[str, Callable[[argparse.Namespace], int]] = {
        "status": cmd_status,
        "close": cmd_action,
        "abort": cmd_action,
        "failures": cmd_failures,
        "wait": cmd_wait,
        "orgs": cmd_orgs,
        "simulate": cmd_simulate,
        "demo": cmd_demo,
        "watch": cmd_watch,
        "locate": cmd_locate,
    }
    try:
        return handlers[args.command](args)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # the reader left (`| head -1`): leave quietly, as a piped command does
        with contextlib.suppress(OSError):
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_PIPE


def _mask_process_title(token: str | None) -> None:
    """``ps`` shows the command line: a token given with --access-token must not stay there."""
    if not token:
        return
    import setproctitle

    words = ["****" if word == token else word.replace(token, "****") for word in sys.argv]
    setproctitle.setproctitle(" ".join(["sfmonitor", *words[1:]]))


def _logging(verbose: bool, to_file: bool = False) -> None:
    """Headless commands log to stderr with -v; the dashboard always logs to its file (never the screen)."""
    logger = logging.getLogger("sfmonitor")
    logger.propagate = False
    handler: logging.Handler
    if to_file:
        try:
            handler = logfile.file_handler()
        except OSError:
            handler = logging.NullHandler()
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
    elif verbose:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter(logfile.FORMAT))
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
    else:
        logger.addHandler(logging.NullHandler())


def fail(message: str, code: int) -> int:
    print(f"sfmonitor: {inert(message)}", file=sys.stderr)
    return code


def exit_code(error: BaseException) -> int:
    if isinstance(error, ConfigError):
        return EXIT_USAGE
    if isinstance(error, ActionOutcomeUnknown):
        return EXIT_UNKNOWN
    if isinstance(error, AuthError | TransportError | ProtocolError):
        return EXIT_CONNECT
    if isinstance(error, ApiError) and (error.status == 401 or error.transient):
        return EXIT_CONNECT
    return EXIT_REFUSED


def run(coro: Callable[[], Awaitable[int]]) -> int:
    """Run a command body; every BulkError becomes one line on stderr and its exit code."""
    try:
        return asyncio.run(coro())  # type: ignore[arg-type]
    except BulkError as exc:
        return fail(str(exc), exit_code(exc))
    except Cancelled as exc:
        return fail(str(exc), EXIT_NOT_CONFIRMED)


# --- status -------------------------------------------------------------------------------------


def _targets_or_fail(args: argparse.Namespace) -> list[tuple[str, ConnectionOptions]] | int:
    try:
        return _targets(args)
    except ConfigError as exc:
        return fail(str(exc), EXIT_USAGE)


def cmd_status(args: argparse.Namespace) -> int:
    targets = _targets_or_fail(args)
    if isinstance(targets, int):
        return targets
    if len(targets) > 1:
        return run(lambda: _status_of_orgs(args, targets))

    async def body() -> int:
        async with open_service(targets[0][1]) as service:
            snapshot = await _snapshot_with_retries(service, args.job)
            if args.format == "json":
                print(report.as_json(snapshot, service.instance_url, service.api_version))
            else:
                print(report.table(snapshot, service.instance_url, service.api_version, service.username))
            sys.stdout.flush()
            missing = [job_id for job_id in snapshot.errors if job_id not in snapshot.jobs]
            for job_id, problem in snapshot.errors.items():
                fail(f"job {job_id}: " + ("not found in this org" if job_id in missing else f"not read: {problem}"), 0)
            if missing:
                return EXIT_REFUSED
            return EXIT_PARTIAL if snapshot.errors else EXIT_OK

    return run(body)


async def _status_of_orgs(args: argparse.Namespace, targets: list[tuple[str, ConnectionOptions]]) -> int:
    """Every org's snapshot, taken in parallel; an org that cannot be read is reported, the others are not
    held back by it."""

    async def one(name: str, options: ConnectionOptions) -> report.OrgSnapshot:
        try:
            async with open_service(options) as service:
                snapshot = await _snapshot_with_retries(service, args.job)
                return report.OrgSnapshot(name, service.instance_url, service.api_version, service.username, snapshot)
        except BulkError as exc:
            return report.OrgSnapshot(name, None, None, None, None, str(exc))

    results = await asyncio.gather(*(one(name, options) for name, options in targets))
    print(report.orgs_json(results) if args.format == "json" else report.orgs_table(results))
    sys.stdout.flush()
    for result in results:
        if result.error:
            fail(f"org {inert(result.name)}: not read: {inert(result.error)}", 0)
        for job_id, problem in result.snapshot.errors.items() if result.snapshot else ():
            fail(f"org {inert(result.name)}, job {job_id}: not read: {problem}", 0)
    if all(r.error for r in results):
        return EXIT_CONNECT
    return EXIT_PARTIAL if any(r.error or (r.snapshot and r.snapshot.errors) for r in results) else EXIT_OK


async def _snapshot_with_retries(service: BulkService, only: list[str] | None) -> Snapshot:
    """One snapshot that reads every job it lists. A transient failure of the listing (no answer,
    5xx, garbled body) retries the snapshot; of one job's read, that read; then they are reported."""
    poller = Poller(service, concurrency=STATUS_CONCURRENCY, backfill=None, retry_delays=STATUS_RETRY_DELAYS)
    return await retrying(lambda: poller.cycle(only), STATUS_RETRY_DELAYS, "snapshot")


# --- close / abort --------------------------------------------------------------------------------


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
    targets = _targets_or_fail(args)
    if isinstance(targets, int):
        return targets

    async def body() -> int:
        options = targets[0][1] if len(targets) == 1 else await _holder(targets, args.job_id)
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
            return EXIT_OK

    return run(body)


# --- orgs -----------------------------------------------------------------------------------------


def cmd_orgs(args: argparse.Namespace) -> int:
    from . import org_list

    async def body() -> int:
        settings = config.load()
        found, note = await org_list.discovered()
        names = set(settings.orgs)
        entries = org_list.configured(settings.orgs) + [e for e in found if e.name not in names]
        results = await org_list.sign_in_all(entries)
        print(org_list.table(results, note, shutil.get_terminal_size((120, 24)).columns))
        good = sum(r.ok for r in results)
        if not results or good == 0:
            return EXIT_CONNECT
        return EXIT_OK if good == len(results) else EXIT_PARTIAL

    return run(body)


# --- failures -------------------------------------------------------------------------------------


def cmd_failures(args: argparse.Namespace) -> int:
    from . import failure_output
    from .bulk.failure_reader import read_failures

    targets = _targets_or_fail(args)
    if isinstance(targets, int):
        return targets
    if len(targets) > 1:
        return fail("failures reads one org's job: name one org with -o", EXIT_USAGE)

    async def body() -> int:
        async with open_service(targets[0][1]) as service:
            job = await service.find_job(args.job_id)
            export, handle = None, None
            if args.out is not None:
                export, handle = failure_output.CsvExport.open(args.out)
            elif args.format == "csv":
                export = failure_output.CsvExport(sys.stdout)
            found = FailureReport.for_job(job)
            try:
                await read_failures(service, job, found, sink=export)
            finally:
                if export is not None:
                    export.finish(found)
                if handle is not None:
                    handle.close()
            if args.format == "json":
                print(failure_output.as_json(found))
            elif args.format == "table":
                print(failure_output.table(found, shutil.get_terminal_size((120, 24)).columns))
            sys.stdout.flush()
            if export is not None:
                fail(failure_output.export_note(export, args.out), 0)
            if not found.complete:
                fail(f"job {inert(job.id)}: not every result read yet: {inert(found.note or found.coverage())}", 0)
                return EXIT_PARTIAL
            return EXIT_OK

    return run(body)


def cmd_wait(args: argparse.Namespace) -> int:
    from .monitor.schedule import clamp_interval
    from .wait_command import run_wait

    if bool(args.job_id) == args.running:
        return fail("wait: name the jobs (JOB_ID …) or give --running, not both", EXIT_USAGE)
    targets = _targets_or_fail(args)
    if isinstance(targets, int):
        return targets
    return run(lambda: run_wait(targets, args.job_id, running=args.running, interval=clamp_interval(args.interval),
                                max_wait=args.max_wait, as_json=args.format == "json"))  # fmt: skip


async def _holder(targets: list[tuple[str, ConnectionOptions]], job_id: str) -> ConnectionOptions:
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


# --- simulator ------------------------------------------------------------------------------------


def _start_simulator(args: argparse.Namespace) -> Simulator:
    from .simulator.faults import parse_faults  # only where a simulator runs: not on watch's first screen
    from .simulator.server import Simulator

    if not is_loopback(args.host):
        raise ConfigError(f"--host {args.host}: the simulator listens on loopback addresses only (127.0.0.1, ::1)")
    from .simulator.bulk import add_failure_file_job, add_finished_ingest_jobs, add_giant_classic_job

    spec = parse_faults(args.faults)
    certificate = None
    if args.jwt_cert is not None:
        try:
            certificate = args.jwt_cert.read_bytes()
        except OSError as exc:
            raise ConfigError(f"--jwt-cert {args.jwt_cert}: {exc.strerror}") from None
    sim = Simulator(
        args.host,
        args.port,
        seed=args.seed,
        speed=args.speed,
        tls=args.tls,
        faults=spec,
        spawn_every=args.spawn_every,
        retention_hours=args.retention,
    )
    if args.extra_jobs > 0:
        add_finished_ingest_jobs(sim.world, args.extra_jobs)
    if args.giant_batches > 0:
        add_giant_classic_job(sim.world, args.giant_batches)
    if args.failure_rows > 0:
        add_failure_file_job(sim.world, args.failure_rows)
    sim.world.production = args.production
    if certificate is not None:
        from .simulator.jwt_grant import ConnectedApp

        sim.api.connected_app = ConnectedApp(args.jwt_client_id, certificate)
    return sim


def cmd_simulate(args: argparse.Namespace) -> int:
    try:
        sim = _start_simulator(args)
    except (ValueError, OSError, ConfigError) as exc:
        return fail(str(exc), EXIT_USAGE)
    for line in sim.exports():
        print(line)
    print(
        f"# sfmonitor simulator: {len(sim.world.jobs)} jobs at {sim.base_url} "
        f"(seed {args.seed}, speed {args.speed:g}x{', faults ' + args.faults if args.faults else ''}). "
        "Paste the lines above into another terminal, then run: sfmonitor status. Ctrl+C stops.",
        flush=True,
    )
    stop = threading.Event()

    def on_signal(signum: int, _frame: object) -> None:  # an event, not KeyboardInterrupt at a random line
        stop.set()
        signal.signal(signum, signal.SIG_DFL)  # a second ctrl+c ends it at once

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    sim.start()
    while not stop.wait(0.5):
        pass
    sim.stop()
    print("# simulator stopped", flush=True)
    return EXIT_OK


def cmd_demo(args: argparse.Namespace) -> int:
    """The simulator on a free loopback port in the background, and the dashboard on it."""
    try:
        sim = _start_simulator(args)
    except (ValueError, OSError, ConfigError) as exc:
        return fail(str(exc), EXIT_USAGE)
    sim.start()
    options = ConnectionOptions(  # renewable, as a real integration's token: see --faults expire-after
        instance_url=sim.base_url,
        client_id="sfmonitor-demo",
        client_secret="demo",
        ca_bundle=str(sim.cert_path) if sim.cert_path else None,
    )
    try:
        return _run_dashboard([OrgConfig("", "", options, "")], args)
    finally:
        sim.stop()


def cmd_watch(args: argparse.Namespace) -> int:
    try:
        orgs = _orgs(args)
    except ConfigError as exc:
        return fail(str(exc), EXIT_USAGE)
    return _run_dashboard(orgs, args)


def _run_dashboard(orgs: list[OrgConfig], args: argparse.Namespace) -> int:
    """Check everything that can be checked before the screen is taken, then run the app. With
    several orgs, one that cannot sign in is shown as such; the others run."""
    from .ui.app import SfMonitorApp
    from .ui.keys import check_keymap

    try:
        settings = config.load(
            interval=args.interval,
            theme=args.theme,
            read_only=args.read_only,
            api_budget=args.api_budget,
            on_event=args.on_event,
        )
        check_keymap(settings.keymap)
        if len(orgs) == 1:
            resolved = orgs[0].options.resolved()
            resolved.token_source()
            resolved.verify()
    except ConfigError as exc:
        return fail(str(exc), EXIT_USAGE)
    for name, stream in (("input", sys.stdin), ("output", sys.stdout)):
        if stream is None or not stream.isatty():
            return fail(
                f"the dashboard needs a terminal, and its {name} is not one; "
                "for a snapshot in a script or a pipe use: sfmonitor status",
                EXIT_USAGE,
            )
    settled = [config.settle(org, interval_flag=args.interval, budget_flag=args.api_budget) for org in orgs]
    app = SfMonitorApp(settled, settings)
    app.run()
    return app.return_code or EXIT_OK


def cmd_locate(args: argparse.Namespace) -> int:
    where = {"config": paths.config_file, "themes": paths.themes_dir, "log": paths.log_file}[args.what]
    print(where())
    return EXIT_OK
