"""``sfmonitor record``: the chosen orgs polled headless on the dashboard's rules, each poll's jobs
written to the history (monitor/recorder.py). No terminal is needed (systemd, nohup): it reads no
input, prints nothing on standard output, and logs to the log file. SIGTERM or ctrl+c: polling
stops, the write under way is finished, exit 0."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import signal
import sys
from collections.abc import Callable, Iterator
from functools import partial
from typing import TYPE_CHECKING

from ..bulk.errors import ConfigError
from ..config import paths
from ..config import settings as config
from ..config.connection import signed_in
from ..config.history import HistorySettings
from ..monitor.feed import Feed
from ..monitor.recorder import Ending, HistoryWriter, Recorder
from ..numbers import plural
from ..serve.access import Listen, parse_listen, token_for
from ..store.memory import Memory
from ..store.recording import Recording, Retention
from ..text import inert
from .exits import ExitCode, fail
from .targets import orgs_of

if TYPE_CHECKING:
    from ..serve.server import RecorderServer

log = logging.getLogger(__name__)

CLOSE_TIMEOUT_S = 20.0  # the write under way, at most (the README's unit gives systemd longer: TimeoutStopSec=30)
STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)


def open_writer(history: HistorySettings) -> HistoryWriter:
    """The history store's writer for these settings (its file is opened on the writer's thread: a
    fault there ends the recording with its words, exit 11)."""
    return Recording(history.path, Retention(days=history.days, max_bytes=history.max_bytes))


class _Stopped(Exception):
    """A stop signal before or after the loop (the loop itself handles them as an event)."""


def _stop_now(signum: int, _frame: object) -> None:
    raise _Stopped(signal.Signals(signum).name)


@contextlib.contextmanager
def _stop_signals(handler: Callable[[int, object], None] | int) -> Iterator[None]:
    before = {sig: signal.getsignal(sig) for sig in STOP_SIGNALS}
    for sig in STOP_SIGNALS:
        signal.signal(sig, handler)
    try:
        yield
    finally:
        for sig, previous in before.items():
            signal.signal(sig, previous)


def cmd_record(args: argparse.Namespace) -> int:
    try:
        listen = parse_listen(args.listen) if args.listen else None
        if args.token_file and listen is None:
            raise ConfigError("--token-file is the token of --listen: give --listen HOST:PORT too")
        token = token_for(listen, args.token_file) if listen is not None else None
        orgs = orgs_of(args)
        settings = config.load(interval=args.interval, api_budget=args.api_budget, no_history=args.no_history)
        if len(orgs) == 1:  # as the dashboard: what can be checked before starting is (several: each its own)
            resolved = orgs[0].options.resolved()
            resolved.token_source()
            resolved.verify()
    except ConfigError as exc:
        return fail(str(exc), ExitCode.USAGE)
    history = settings.history
    if not history.enabled:
        return fail(f"record: history is off ({history.off}), so there would be nothing to record", ExitCode.USAGE)
    models = [(config.org_model(org, settings, single=len(orgs) == 1), partial(signed_in, org.options))
              for org in orgs]  # fmt: skip
    recorder: Recorder | None = None
    writer: HistoryWriter | None = None
    server: RecorderServer | None = None  # record --listen's /metrics and the dashboards' feed
    why = "the end"
    with _stop_signals(_stop_now), _requests_quiet(unless=args.verbose):
        try:
            writer = _opened(history)
            if writer is None:
                return ExitCode.HISTORY
            recorder = Recorder(models, writer, feed=Feed() if listen is not None else None)
            if listen is not None:
                from ..serve.metrics import Exposition  # prometheus-client: loaded for --listen only
                from ..serve.server import RecorderServer

                try:
                    memory = Memory(history.path)  # the dashboards' history reads (its own connection)
                    server = RecorderServer(listen, Exposition(recorder.published), token, recorder.feed, memory)
                    server.start()
                except OSError as exc:
                    writer.close(CLOSE_TIMEOUT_S)
                    return fail(f"record: cannot listen on {listen}: {exc.strerror or exc}", ExitCode.USAGE)
                log.info("serving http://%s/metrics and the dashboards' feed (%s)", Listen(listen.host, server.port),
                         "bearer token asked" if token else "no token")  # fmt: skip
            names = ", ".join(inert(f"{org.key}: {org.target}" if org.key else org.target) for org, _ in models)
            started = f"recording {plural(len(models), 'org')} ({names}) to {history.path}"
            log.info("%s; keeping %d days, at most %s bytes", started, history.days, f"{history.max_bytes:,}")
            at = f"http://{Listen(listen.host, server.port)}" if listen and server else ""
            attach = at if listen and listen.loopback else "https://THIS-HOST (its TLS proxy) --recorder-token-file F"
            serving = f"; metrics: {at}/metrics; dashboards: sfmonitor --recorder {attach}" if at else ""
            print(f"sfmonitor: {started}; log: {paths.log_file()}{serving}; SIGTERM or ctrl+c stops", file=sys.stderr)
            why = asyncio.run(_record(recorder)) or why
        except _Stopped as exc:
            why = str(exc)
        finally:
            if server is not None:
                server.stop()
    with _stop_signals(signal.SIG_IGN):  # the write under way is finished, whatever else comes
        if writer is not None:
            writer.close(CLOSE_TIMEOUT_S)
    return _ended(recorder, writer, history, why)


def _opened(history: HistorySettings) -> HistoryWriter | None:
    """The writer; None when it could not even be opened (said on stderr and in the log). The store
    says what is wrong with the history through ``fault``: an exception here is a bug, or no store."""
    try:
        return open_writer(history)
    except Exception as exc:
        log.exception("the history %s could not be opened", history.path)
        fail(f"the history {history.path} could not be opened: {type(exc).__name__}: {exc}", ExitCode.HISTORY)
        return None


@contextlib.contextmanager
def _requests_quiet(unless: bool) -> Iterator[None]:
    """An org's trouble is logged once per episode (monitor/recorder.py), not each failed request and
    retry of every poll (bulk's lines, which -v keeps)."""
    logger = logging.getLogger("sfmonitor.bulk")
    level = logger.level
    if not unless:
        logger.setLevel(logging.WARNING)
    try:
        yield
    finally:
        logger.setLevel(level)


async def _record(recorder: Recorder) -> str | None:
    """Run until a stop signal (its name is returned) or the recording ends itself (None)."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    got: list[str] = []

    def on_signal(sig: signal.Signals) -> None:
        if not got:
            log.info("%s: stopping; finishing the history write under way", sig.name)
        got.append(sig.name)
        stop.set()

    for sig in STOP_SIGNALS:
        loop.add_signal_handler(sig, on_signal, sig)
    try:
        await recorder.run(stop)
    finally:
        for sig in STOP_SIGNALS:
            loop.remove_signal_handler(sig)
    return got[0] if got else None


def _ended(recorder: Recorder | None, writer: HistoryWriter | None, history: HistorySettings, why: str) -> int:
    """The exit code, said once on stderr and in the log when it is not 0."""
    fault = writer.fault if writer is not None else None
    ending = recorder.ending if recorder is not None else Ending.STOPPED
    if fault is not None:
        return fail(f"the history {history.path} cannot be written: {fault}", ExitCode.HISTORY)
    if ending is Ending.NO_SIGN_IN and recorder is not None:
        why_not = "; ".join(f"{key}: {error}" if key else f"{error}" for key, error in recorder.first_sign_in.items())
        log.error("no org could sign in: %s", why_not)
        return fail(f"no org could sign in, so nothing was recorded ({why_not})", ExitCode.CONNECT)
    polls = recorder.polls if recorder is not None else 0
    log.info("stopped (%s) after %s; the history is closed", why, plural(polls, "poll"))
    return ExitCode.OK
