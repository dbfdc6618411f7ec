"""How a command ends: the one table of exit codes (the README's table is printed from it:
``python -m sfmonitor.cli.exits``), the error each code stands for, and the one line on stderr."""

from __future__ import annotations

import asyncio
import enum
import sys
from collections.abc import Awaitable, Callable

from ..bulk.errors import (
    ActionOutcomeUnknown,
    ApiError,
    AuthError,
    BulkError,
    ConfigError,
    ProtocolError,
    TransportError,
)
from ..monitor.waiting import Ending
from ..text import inert


class ExitCode(enum.IntEnum):
    """Every exit code of every command; :attr:`meaning` is its line in the README's table."""

    OK = 0
    REFUSED = 1
    USAGE = 2
    CONNECT = 3
    UNKNOWN = 4
    NOT_CONFIRMED = 5
    RECORDS_FAILED = 6
    JOB_FAILED = 7
    TIMED_OUT = 8
    PARTIAL = 9
    CLIENT_WAIT = 10
    HISTORY = 11
    INTERRUPTED = 130
    PIPE = 141

    @property
    def meaning(self) -> str:
        return MEANINGS[self]


MEANINGS = {
    ExitCode.OK: "done",
    ExitCode.REFUSED: (
        "refused: an illegal transition, the server's refusal (its code and message are printed), an unknown job; "
        "`history`: nothing recorded yet (no history file), or a job the history does not hold"
    ),
    ExitCode.USAGE: (
        "bad options or configuration (no org given, non-loopback `http://`, bad `--faults`, a config file "
        "that cannot be used, a job id that is not a Salesforce id: 15 or 18 letters and digits, a bare job id "
        "that more than one org holds for `close`/`abort`: give `ORG:JOBID`, an `--out` or standard output that "
        "cannot be written, a history file that cannot be read: written by a newer sfmonitor, damaged or locked; "
        "a bare job id the history holds for more than one org: give `ORG:JOBID`; one line says why, never a "
        "traceback)"
    ),
    ExitCode.CONNECT: (
        "cannot reach or sign in to the org (network, TLS, `sf` missing or alias unknown, expired token); with "
        "several orgs: none could be read, or `close`/`abort` of a bare job id could not ask every org whether "
        "it holds it (nothing sent); `record`: no org could sign in when it started; `wait`/`status --job`: a "
        "job no org read holds, that only an org that could not be read might hold; `wait`: the org answered a "
        "job's read with another job's record"
    ),
    ExitCode.UNKNOWN: "a close/abort whose outcome is unknown (read the job before retrying)",
    ExitCode.NOT_CONFIRMED: "not confirmed (answered no, or no terminal and no `--yes`)",
    ExitCode.RECORDS_FAILED: "`wait`: every job ended, some records failed",
    ExitCode.JOB_FAILED: "`wait`: a job ended `Failed` or `Aborted`, or a Bulk 1.0 job ended with a batch `Failed`",
    ExitCode.TIMED_OUT: "`wait`: `--max-wait` passed with jobs still running (their ids printed)",
    ExitCode.PARTIAL: (
        "partial: `status` printed every job, but some (or some orgs) could not be read (each is marked, and "
        "named on stderr); `wait`: every job ended cleanly, but an org could not be read (named on stderr), or a "
        "job ended without a failed-record count (`numberRecordsFailed` null or not a number: said on stderr, "
        "`failuresKnown: false` in JSON), or `--running` left unread a listed job whose id is not a Salesforce id; "
        "`orgs`: some orgs cannot sign in (or their user could not be read); `failures` printed what the org has "
        "so far, but the job has more to come"
    ),
    ExitCode.CLIENT_WAIT: (
        "`wait`: a job waits on its client, which alone can move it (a Bulk 2.0 upload never marked complete, a "
        "Bulk 1.0 job whose batches are done but nobody closed); its id and why are printed"
    ),
    ExitCode.HISTORY: (
        "`record`: the history cannot be written (locked, corrupt, read-only, a full disk, a newer sfmonitor's "
        "store): why is said on stderr and in the log"
    ),
    ExitCode.INTERRUPTED: "interrupted",
    ExitCode.PIPE: "the reader closed the pipe (`sfmonitor status | head -1`); nothing is printed about it",
}


WAIT_ENDINGS = {
    Ending.CLEAN: ExitCode.OK,
    Ending.RECORDS_FAILED: ExitCode.RECORDS_FAILED,
    Ending.JOB_FAILED: ExitCode.JOB_FAILED,
    Ending.TIMED_OUT: ExitCode.TIMED_OUT,
    Ending.CLIENT_WAIT: ExitCode.CLIENT_WAIT,
    Ending.FAILURES_UNKNOWN: ExitCode.PARTIAL,  # every job ended, but whether records failed is not known
}


class StdoutUnwritable(Exception):
    """Standard output could not be written (a full disk, ``> /dev/full``): main says so in one line,
    exit 2. A closed pipe is not this (BrokenPipeError: exit 141, quietly)."""

    def __init__(self, error: OSError) -> None:
        super().__init__(str(error))
        self.error = error


class Cancelled(Exception):
    """The operator did not confirm: nothing was sent."""


def fail(message: str, code: int) -> int:
    print(f"sfmonitor: {inert(message)}", file=sys.stderr)
    return code


def exit_code(error: BaseException) -> ExitCode:
    if isinstance(error, ConfigError):
        return ExitCode.USAGE
    if isinstance(error, ActionOutcomeUnknown):
        return ExitCode.UNKNOWN
    if isinstance(error, AuthError | TransportError | ProtocolError):
        return ExitCode.CONNECT
    if isinstance(error, ApiError) and (error.status == 401 or error.transient):
        return ExitCode.CONNECT
    return ExitCode.REFUSED


def run(coro: Callable[[], Awaitable[int]]) -> int:
    """Run a command body; every BulkError becomes one line on stderr and its exit code."""
    try:
        return asyncio.run(coro())  # type: ignore[arg-type]
    except BulkError as exc:
        return fail(str(exc), exit_code(exc))
    except Cancelled as exc:
        return fail(str(exc), ExitCode.NOT_CONFIRMED)


def markdown_table() -> str:
    rows = [f"| {code.value} | {code.meaning.replace('|', chr(92) + '|')} |" for code in ExitCode]
    return "\n".join(["| code | meaning |", "|---|---|", *rows])


if __name__ == "__main__":
    print(markdown_table())
