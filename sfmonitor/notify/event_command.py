"""``--on-event CMD``: an alert handed to the operator's command as JSON on stdin (a Slack webhook
script, say). Run directly, never through a shell; given a time limit; its failure is logged and
never reaches the screen's loop.

Its environment is sfmonitor's own minus every variable that holds a secret sfmonitor knows of:
``SF_ACCESS_TOKEN`` and each variable an ``[orgs.NAME]`` table's ``token_env`` or
``client_secret_env`` names. Everything else (``PATH``, ``HOME``, ``SF_INSTANCE_URL``, a webhook
URL the script needs…) is passed on as it is. The org's token never travels in the event either.

Bounded under load (:class:`EventCommands`): at most ``MAX_RUNNING`` commands at once, the next
``MAX_WAITING`` events queued in order, any beyond dropped and counted. A command's output (stdout and
stderr together) is read as it comes and only its last ``OUTPUT_KEPT`` bytes kept, for the log; the
event is a file on its stdin, and sfmonitor waits on the command's *exit*, never on its output's end:
a background child it leaves (``sleep 100 &``) holding the output open cannot hold sfmonitor. At the
time limit the command is killed with its process group (what it started and left behind too), and
so is every command still running when sfmonitor quits (:meth:`EventCommands.stop`): none is left
behind, reparented, running on. Its output reaches the log inert (``text.inert``): a command that
echoes an escape sequence writes ``\x1b`` into the log, never the byte."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import signal
import tempfile
from collections.abc import Collection, Coroutine, Mapping, Sequence
from typing import Any

from ..text import inert

log = logging.getLogger(__name__)


ALWAYS_HIDDEN = frozenset({"SF_ACCESS_TOKEN"})


def event_environment(environ: Mapping[str, str], hidden: Collection[str]) -> dict[str, str]:
    """``environ`` without ``SF_ACCESS_TOKEN`` and the ``hidden`` variables (the orgs' secrets)."""
    drop = ALWAYS_HIDDEN | set(hidden)
    return {name: value for name, value in environ.items() if name not in drop}


MAX_RUNNING = 4  # commands at once: 300 jobs ending in one poll must not start 300 processes
MAX_WAITING = 256  # events queued behind them, in order; any more are dropped and counted
OUTPUT_KEPT = 4096  # the last bytes of a command's output kept for the log (a flood is read and let go)
DRAIN_AFTER_EXIT = 1024 * 1024  # read at most this much more once the command has exited


class EventCommands:
    """The dashboard's --on-event commands: at most ``running`` at once, ``waiting`` more queued."""

    def __init__(self, hidden: Collection[str] = (), *, running: int = MAX_RUNNING, waiting: int = MAX_WAITING) -> None:
        self.hidden = hidden
        self.capacity = running + waiting
        self._slots = asyncio.Semaphore(running)
        self.pending = 0  # running or queued
        self.dropped = 0  # events whose command never ran: the queue was full
        self.groups: set[int] = set()  # the process groups of the commands running now
        self.stopped = False

    def stop(self) -> None:
        """sfmonitor quits: kill every running command with its process group (what it started too);
        a queued one never starts, and nothing more is taken."""
        self.stopped = True
        for group in list(self.groups):
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(group, signal.SIGKILL)
        self.groups.clear()

    def submit(self, argv: Sequence[str], event: dict[str, Any], timeout: float) -> Coroutine[Any, Any, bool] | None:
        """The work that runs ``argv`` for ``event`` once a slot is free, or None (counted in
        :attr:`dropped`, logged) when ``capacity`` commands are running or queued already."""
        if self.stopped:
            return None
        if self.pending >= self.capacity:
            self.dropped += 1
            log.warning("--on-event %s not run for a %s event: %d commands running or queued already "
                        "(%d events dropped so far)", argv[0], event.get("event"), self.pending,
                        self.dropped)  # fmt: skip
            return None
        self.pending += 1
        return self._queued(argv, event, timeout)

    async def _queued(self, argv: Sequence[str], event: dict[str, Any], timeout: float) -> bool:
        try:
            async with self._slots:
                if self.stopped:
                    return False
                return await run_event_command(argv, event, timeout, self.hidden, self.groups)
        finally:
            self.pending -= 1


async def run_event_command(
    argv: Sequence[str],
    event: dict[str, Any],
    timeout: float,
    hidden: Collection[str] = (),
    groups: set[int] | None = None,
) -> bool:
    """Run ``argv`` with ``event`` as JSON on stdin, in this process's environment without the
    secrets (:func:`event_environment`); True if it exited 0 within ``timeout``. Waits on the
    command's exit, not on its output's end; keeps the last ``OUTPUT_KEPT`` bytes of its output.
    ``groups`` holds its process group while it runs (for :meth:`EventCommands.stop`); cancelled
    (the app closing its workers), it is killed with its group."""
    payload = json.dumps(event, ensure_ascii=False, default=str).encode()
    with tempfile.TemporaryFile() as stdin:  # a file, not a pipe: nothing to block on, whatever it reads
        stdin.write(payload)
        stdin.seek(0)
        read_end, write_end = os.pipe()
        try:
            proc = await asyncio.create_subprocess_exec(
                *argv, stdin=stdin, stdout=write_end, stderr=write_end, env=event_environment(os.environ, hidden),
                start_new_session=True,  # its own process group: killed whole at the time limit
            )  # fmt: skip
        except OSError as exc:
            os.close(read_end)
            log.warning("--on-event %s could not start: %s", argv[0], exc)
            return False
        finally:
            os.close(write_end)
        output = _Tail(read_end)
        running = set() if groups is None else groups
        running.add(proc.pid)  # its own session: its process group's id is its pid
        try:
            return await _outcome(proc, argv[0], timeout, output)
        except asyncio.CancelledError:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(proc.pid, signal.SIGKILL)
            raise
        finally:
            running.discard(proc.pid)
            output.close()


async def _outcome(proc: asyncio.subprocess.Process, name: str, timeout: float, output: _Tail) -> bool:
    loop = asyncio.get_running_loop()
    loop.add_reader(output.fd, output.pull)
    try:
        async with asyncio.timeout(timeout):
            await proc.wait()  # its exit: the output is our own pipe, which asyncio does not wait on
    except TimeoutError:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        await proc.wait()
        log.warning("--on-event %s did not finish within %.0f s: killed%s", name, timeout, output.said())
        return False
    finally:
        loop.remove_reader(output.fd)
    output.pull(DRAIN_AFTER_EXIT)  # what it wrote before it exited; not what a child it left writes on
    if proc.returncode != 0:
        log.warning("--on-event %s exited %s%s", name, proc.returncode, output.said())
        return False
    return True


class _Tail:
    """The read end of a command's output: read as it comes, only the last ``OUTPUT_KEPT`` bytes kept."""

    def __init__(self, fd: int) -> None:
        os.set_blocking(fd, False)
        self.fd = fd
        self.kept = bytearray()
        self.read = 0
        self.ended = False

    def pull(self, budget: int = 65536) -> None:
        """Read what the pipe holds now, at most ``budget`` bytes; never waits."""
        while budget > 0 and not self.ended:
            try:
                chunk = os.read(self.fd, min(65536, budget))
            except BlockingIOError:
                return
            except OSError:
                chunk = b""
            if not chunk:
                self.ended = True
                with contextlib.suppress(ValueError, RuntimeError):
                    asyncio.get_running_loop().remove_reader(self.fd)  # an ended pipe is always "readable"
                return
            budget -= len(chunk)
            self.read += len(chunk)
            self.kept += chunk
            del self.kept[:-OUTPUT_KEPT]

    def said(self) -> str:
        if not self.kept:
            return ""
        text = inert(self.kept.decode(errors="replace").rstrip())  # the log gets the bytes as visible escapes
        cut = f" (its last {OUTPUT_KEPT:,} bytes of {self.read:,})" if self.read > len(self.kept) else ""
        return f"; it said{cut}: {text}"

    def close(self) -> None:
        os.close(self.fd)  # a child it left behind writing on gets EPIPE, not a reader
