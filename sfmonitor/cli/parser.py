"""The command line's words: every command, its options, and the default command."""

from __future__ import annotations

import argparse
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NoReturn

from .. import __version__
from ..monitor.confirm import CLOSE_SUMMARY
from .exits import ExitCode


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
    from ..numbers import parse_duration

    try:
        return parse_duration(text)
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
    group.add_argument("--timeout", type=seconds, metavar="S", help="seconds for each whole answer (30)", **quiet)


class Parser(argparse.ArgumentParser):
    """Bad options are one line and exit code 2, not a usage block."""

    def error(self, message: str) -> NoReturn:
        self.exit(ExitCode.USAGE, f"sfmonitor: {message} (see: {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(
        prog="sfmonitor",
        description="Watch an org's Salesforce Bulk API jobs live; close or abort one.",
    )
    parser.add_argument("--version", action="version", version=f"sfmonitor {__version__}")
    _connection_args(parser)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    watch = sub.add_parser("watch", help="the live dashboard (the default command)")
    _dashboard_args(watch)
    _connection_args(watch)

    status = sub.add_parser("status", help="one snapshot of every job (or the named ones)")
    status.add_argument("--format", choices=("table", "json"), default="table")
    status.add_argument("--job", action="append", metavar="[ORG:]ID",
                        help="only this job (repeatable); ORG: asks that org only")  # fmt: skip
    _connection_args(status)

    for name, verb in (("close", f"close ({CLOSE_SUMMARY})"), ("abort", "abort")):
        p = sub.add_parser(name, help=f"{verb} one job, with the request its API needs")
        p.add_argument("job_id", metavar="[ORG:]JOB_ID",
                       help="the job; ORG: names its org (needed when several orgs hold the id)")  # fmt: skip
        p.add_argument("-y", "--yes", action="store_true", help="do not ask for confirmation")
        _connection_args(p)

    failures = sub.add_parser("failures", help="why a job's rows failed: failed rows grouped by error")
    failures.add_argument("job_id", metavar="[ORG:]JOB_ID", help="the job; ORG: names its org")
    failures.add_argument("--format", choices=("table", "json", "csv"), default="table",
                          help="table (default), json, or csv: every failed row with its error and input")  # fmt: skip
    failures.add_argument("--out", metavar="FILE", type=Path,
                          help="write every failed row to this CSV file too (--format csv: not to stdout)")  # fmt: skip
    failures.add_argument("--raw", action="store_true",
                          help="write CSV values exactly as the org sent them: no ' before a value starting "
                               "with = + - @ tab or CR (which a spreadsheet would run as a formula)")  # fmt: skip
    _connection_args(failures)

    waiting = sub.add_parser("wait", help="wait until jobs end; the exit code says how they ended (0, 6, 7, 8, 9, 10)")
    waiting.add_argument("job_id", metavar="[ORG:]JOB_ID", nargs="*",
                         help="the jobs to wait for (ORG: looks in that org only)")  # fmt: skip
    waiting.add_argument("--running", action="store_true", help="every job running now")
    waiting.add_argument("--max-wait", metavar="DURATION", type=_duration,
                         help="give up after this long (90s, 30m, 2h or seconds): exit 8")  # fmt: skip
    waiting.add_argument("--interval", type=seconds, metavar="S", default=5.0,
                         help="seconds between reads of the jobs (default 5, floor 2)")  # fmt: skip
    waiting.add_argument("--format", choices=("text", "json"), default="text")
    _connection_args(waiting)

    record = sub.add_parser("record", help="poll the orgs headless and record their jobs in the history "
                                           "(no terminal needed; SIGTERM stops it)")  # fmt: skip
    record.add_argument("--interval", type=seconds, metavar="S", help="seconds between polls (default 5, floor 2)")
    record.add_argument("--api-budget", metavar="N|N%|off", help=API_BUDGET_HELP + ")")
    record.add_argument("--listen", metavar="HOST:PORT",
                        help="also serve /metrics for Prometheus there (loopback, or with --token-file)")  # fmt: skip
    record.add_argument("--token-file", metavar="PATH",
                        help="the bearer token every request to --listen must show (a chmod 600 file)")  # fmt: skip
    _history_args(record)
    _connection_args(record)

    _history_command_args(sub.add_parser("history", help="remembered jobs, from the history file alone (no org asked)"))

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

    locate = sub.add_parser("locate", help="print where sfmonitor keeps its config, themes, log or history")
    locate.add_argument("what", choices=("config", "themes", "log", "history"))
    _connection_args(locate)
    return parser


API_BUDGET_HELP = ("keep sfmonitor's API calls under N a day, or N%% of the org's daily allowance, or off "
                   "(default 10%%; polls stretch to fit")  # fmt: skip


def _limit(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of jobs") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"{text!r}: give a number of jobs (0: every one)")
    return value


def _history_command_args(history: argparse.ArgumentParser) -> None:
    """``history`` asks no org: of the connection options it takes ``-o`` (which orgs' jobs) and ``-v``."""
    history.add_argument("-v", "--verbose", action="store_true", default=argparse.SUPPRESS, help=argparse.SUPPRESS)
    history.add_argument("-o", "--target-org", metavar="ORG", action="append", default=argparse.SUPPRESS,
                         help="only the jobs recorded for this org: its [orgs] name or sf alias (an org given by "
                              "URL and token alone: its instance's host, acme.my.salesforce.com); "
                              "repeatable")  # fmt: skip
    history.add_argument("--object", metavar="NAME", help="only jobs of this sObject (any case)")
    history.add_argument("--operation", metavar="OP", help="only this operation: insert, upsert, query… (any case)")
    history.add_argument("--state", metavar="WORD",
                         help="only jobs in this Salesforce state (JobComplete, Failed…), phase (running, "
                              "ended, waiting) or outcome (ok, records-failed, failed, aborted), as last "
                              "recorded")  # fmt: skip
    history.add_argument("--since", metavar="WHEN",
                         help="only jobs created at or after WHEN: a duration ago (7d, 12h, 1h30m) or a date "
                              "or date-time (2026-12-01, 2026-12-01T18:30; local time unless it names a "
                              "zone)")  # fmt: skip
    history.add_argument("--until", metavar="WHEN", help="only jobs created before WHEN (as --since)")
    history.add_argument("--limit", metavar="N", type=_limit, default=1000,
                         help="at most the newest N jobs (default 1000; 0: every one)")  # fmt: skip
    history.add_argument("--format", choices=("table", "json", "csv"), default="table",
                         help="table (default), json (Salesforce's field names, as status), or csv (the same "
                              "fields; with --job: the timeline)")  # fmt: skip
    history.add_argument(
        "--raw",
        action="store_true",
        help="csv: values exactly as recorded: no ' before a value starting with = + - @ tab or CR",
    )
    history.add_argument(
        "--job", metavar="[ORG:]ID", help="one job's record: its fields, timeline, Bulk 1.0 batches and failure groups"
    )
    history.add_argument(
        "--all", action="store_true", help="with --job: every Bulk 1.0 batch (default: the failed and the slowest few)"
    )
    history.add_argument(
        "--history-file",
        metavar="PATH",
        type=Path,
        help="the history file to read (default: the one the dashboard records to)",
    )


def _dashboard_args(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("dashboard")
    group.add_argument("--interval", type=seconds, metavar="S", help="seconds between polls (default 5, floor 2)")
    group.add_argument("--read-only", action="store_true", help="never close or abort: the keys are hidden and refused")
    group.add_argument("--theme", metavar="NAME", help="theme name (env SFMONITOR_THEME; t cycles in the app)")
    group.add_argument("--api-budget", metavar="N|N%|off", help=API_BUDGET_HELP + "; the header says so)")
    group.add_argument("--on-event", metavar="CMD",
                       help="run CMD (split as a shell would, run without one) for each alert, the event as "
                            "JSON on stdin")  # fmt: skip
    group.add_argument("--recorder", metavar="URL",
                       help="read the orgs through this recorder (sfmonitor record --listen), not from the org: "
                            "without -o, every org it records")  # fmt: skip
    group.add_argument("--recorder-token-file", metavar="PATH",
                       help="the recorder's bearer token (a chmod 600 file), when it asks for one")  # fmt: skip
    _history_args(parser)


def _history_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--no-history", action="store_true",
                        help="record nothing in the history (as history = false in the config file)")  # fmt: skip


COMMANDS = ("watch", "status", "failures", "wait", "record", "orgs", "history", "close", "abort", "simulate", "demo",
            "locate")  # fmt: skip


TAKES_VALUE = frozenset({"--instance-url", "--access-token", "-o", "--target-org", "--api-version", "--ca-bundle",
                         "--timeout", "--recorder", "--recorder-token-file"})  # fmt: skip


def with_default_command(argv: Sequence[str]) -> list[str]:
    """``sfmonitor [options]`` means ``sfmonitor watch [options]``: the command is the first word that
    is neither an option nor an option's value."""
    args = list(argv)
    skip = False
    for arg in args:
        if skip:
            skip = False
        elif arg in ("-h", "--help", "--version") or arg in COMMANDS:
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
    parser.add_argument("--api-allowance", type=int, metavar="N",
                        help="the org's daily API allowance (100000; small to rehearse --api-budget)")  # fmt: skip
    parser.add_argument("--production", action="store_true",
                        help="play a production org (Organization.IsSandbox false)")  # fmt: skip
    parser.add_argument("--jwt-cert", type=Path, metavar="PEM",
                        help="accept JWT bearer sign-ins signed by this certificate's key")  # fmt: skip
    parser.add_argument("--jwt-client-id", default="sfmonitor-sim", metavar="ID",
                        help="the consumer key JWT assertions must name as iss (sfmonitor-sim)")  # fmt: skip
    parser.add_argument("--failure-rows", type=int, default=0, metavar="N",
                        help="add a finished Bulk 2.0 job whose N rows all failed (a huge failure file)")  # fmt: skip
    parser.add_argument("--failure-jobs", type=int, default=1, metavar="N",
                        help="with --failure-rows: add N such jobs (1)")  # fmt: skip
