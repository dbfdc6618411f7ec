"""The sfmonitor command: parse, dispatch to the command's module, turn errors into exit codes."""

from __future__ import annotations

import argparse
import contextlib
import importlib
import logging
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, TextIO, TypeVar

from ..bulk.retry import Pause, pausing_with
from ..config import paths
from ..monitor.waiting import Sleep, cycling_with
from . import logfile
from .exits import ExitCode, StdoutUnwritable, fail
from .parser import CONNECTION_DEFAULTS, build_parser, with_default_command

_T = TypeVar("_T")


@dataclass(frozen=True)
class Environment:
    """What a command reads and writes (httpie's ``Environment`` is the model): the process's own
    streams unless given, so a test runs a command in-process with its input and output in hand.
    ``pause`` stands in for every retry delay's sleep (None: really wait); ``cycle`` for the sleep
    between ``wait``'s reads (None: the interval asked for)."""

    stdin: TextIO | None = None
    stdout: TextIO | None = None
    stderr: TextIO | None = None
    pause: Pause | None = None
    cycle: Sleep | None = None

    @contextlib.contextmanager
    def installed(self) -> Iterator[None]:
        """The commands print() and read input(): the streams given stand in for sys's while the command runs."""
        with contextlib.ExitStack() as stack:
            if self.stdin is not None:
                stack.enter_context(_swapped("stdin", self.stdin))
            if self.stdout is not None:
                stack.enter_context(contextlib.redirect_stdout(self.stdout))
            if self.stderr is not None:
                stack.enter_context(contextlib.redirect_stderr(self.stderr))
            if self.pause is not None:
                stack.enter_context(pausing_with(self.pause))
            if self.cycle is not None:
                stack.enter_context(cycling_with(self.cycle))
            stack.enter_context(_logger_kept())
            yield


@contextlib.contextmanager
def _swapped(name: str, stream: TextIO) -> Iterator[None]:
    before = getattr(sys, name)
    setattr(sys, name, stream)
    try:
        yield
    finally:
        setattr(sys, name, before)


@contextlib.contextmanager
def _logger_kept() -> Iterator[None]:
    """The handlers a run adds to the ``sfmonitor`` logger go with it (the next in-process run starts clean)."""
    logger = logging.getLogger("sfmonitor")
    handlers, level, propagate = list(logger.handlers), logger.level, logger.propagate
    try:
        yield
    finally:
        for handler in list(logger.handlers):
            if handler not in handlers:
                logger.removeHandler(handler)
                handler.close()
        logger.setLevel(level)
        logger.propagate = propagate


def main(argv: Sequence[str] | None = None, env: Environment | None = None) -> int:
    """The command line; ``env`` gives it other streams (and retry pauses) than the process's own."""
    if env is None:
        return _main(argv)
    with env.installed():
        try:
            return _main(argv)
        except SystemExit as exc:  # argparse's usage errors, --help, --version: an exit code, as a process has
            if isinstance(exc.code, int) or exc.code is None:
                return exc.code or 0
            print(exc.code, file=sys.stderr)
            return 1


def _main(argv: Sequence[str] | None) -> int:
    parser = build_parser()
    args = parser.parse_args(with_default_command(sys.argv[1:] if argv is None else argv))
    for name, default in CONNECTION_DEFAULTS.items():
        if not hasattr(args, name):
            setattr(args, name, default)
    if argv is None:
        _mask_process_title(getattr(args, "access_token", None))
    _logging(args.verbose, to_file=args.command in LOGS_TO_FILE, screen=args.command in UNGUARDED)
    try:
        if args.command in UNGUARDED:
            return _handler(args.command)(args)
        with _guarded_stdout():
            code = _handler(args.command)(args)
            sys.stdout.flush()  # what is still buffered fails here, not in the interpreter's exit
            return code
    except KeyboardInterrupt:
        return ExitCode.INTERRUPTED
    except BrokenPipeError:  # the reader left (`| head -1`): leave quietly, as a piped command does
        _stdout_discarded()
        return ExitCode.PIPE
    except StdoutUnwritable as exc:  # `> /dev/full`: one line, never a traceback
        from ..bulk.failure_export import unwritable_reason

        _stdout_discarded()
        return fail(f"standard output could not be written: {unwritable_reason(exc.error)}", ExitCode.USAGE)


# the dashboard's commands own the terminal (Textual writes to it directly): not guarded
UNGUARDED = frozenset({"watch", "demo"})
LOGS_TO_FILE = UNGUARDED | {"record"}  # the dashboard, and the headless recorder (nobody reads its stderr)


class _GuardedStdout:
    """Standard output, whose write or flush failing (but for a closed pipe) is :class:`StdoutUnwritable`:
    the one place a command's output that cannot be written is caught, whatever the command."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream

    def write(self, text: str) -> int:
        return _unwritable_said(lambda: self._stream.write(text))

    def flush(self) -> None:
        _unwritable_said(self._stream.flush)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


def _unwritable_said(call: Callable[[], _T]) -> _T:
    """``call()``, its failing to write (but for a closed pipe, which main leaves quietly) raised as
    :class:`StdoutUnwritable`."""
    try:
        return call()
    except BrokenPipeError:
        raise
    except OSError as exc:
        raise StdoutUnwritable(exc) from exc


@contextlib.contextmanager
def _guarded_stdout() -> Iterator[None]:
    with contextlib.redirect_stdout(_GuardedStdout(sys.stdout)):
        yield


def _stdout_discarded() -> None:
    """What is still buffered for standard output goes nowhere (the interpreter's exit would flush it
    and fail again, with a traceback)."""
    with contextlib.suppress(OSError, ValueError):
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())


def _mask_process_title(token: str | None) -> None:
    """``ps`` shows the command line: a token given with --access-token must not stay there."""
    if not token:
        return
    import setproctitle

    words = ["****" if word == token else word.replace(token, "****") for word in sys.argv]
    setproctitle.setproctitle(" ".join(["sfmonitor", *words[1:]]))


def _logging(verbose: bool, to_file: bool = False, screen: bool = False) -> None:
    """Commands log to stderr with -v; the dashboard and the recorder always log to the log file
    (a log file that cannot be opened: the recorder's log goes to stderr, the dashboard's nowhere,
    never its ``screen``)."""
    logger = logging.getLogger("sfmonitor")
    logger.propagate = False
    handler: logging.Handler
    if to_file:
        try:
            handler = logfile.file_handler()
        except OSError:
            handler = logging.NullHandler() if screen else logging.StreamHandler(sys.stderr)
            handler.setFormatter(logging.Formatter(logfile.FORMAT))
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
    elif verbose:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter(logfile.FORMAT))
        logger.addHandler(handler)
        logger.setLevel(logging.DEBUG)  # each request (method, path, status) and each decision
    else:
        logger.addHandler(logging.NullHandler())


def cmd_locate(args: argparse.Namespace) -> int:
    if args.what == "history":  # the config file's [history] path, else the default
        from ..bulk.errors import ConfigError
        from ..config import settings as config

        try:
            print(config.load().history.path)
        except ConfigError as exc:
            return fail(str(exc), ExitCode.USAGE)
        return ExitCode.OK
    where = {"config": paths.config_file, "themes": paths.themes_dir, "log": paths.log_file}[args.what]
    print(where())
    return ExitCode.OK


# command -> (its module in this package, its function): imported only when it runs, so ``status``
# never loads the dashboard
HANDLERS = {
    "close": ("action", "cmd_action"),
    "abort": ("action", "cmd_action"),
    "status": ("status", "cmd_status"),
    "failures": ("failures", "cmd_failures"),
    "wait": ("wait", "cmd_wait"),
    "record": ("record", "cmd_record"),
    "orgs": ("orgs", "cmd_orgs"),
    "history": ("history", "cmd_history"),
    "simulate": ("simulate", "cmd_simulate"),
    "demo": ("simulate", "cmd_demo"),
    "watch": ("watch", "cmd_watch"),
}


def _handler(command: str) -> Callable[[argparse.Namespace], int]:
    if command == "locate":
        return cmd_locate
    module, function = HANDLERS[command]
    handler: Callable[[argparse.Namespace], int] = getattr(importlib.import_module(f".{module}", __package__), function)
    return handler
