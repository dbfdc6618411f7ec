"""Running the sfmonitor command line in a test.

``run_cli``: in-process, as ``sfmonitor.cli.main.main`` with its streams injected (stdin a string,
not a terminal; stdout and stderr captured, not terminals either), the environment changed only
for the run, and every retry delay a pause of nothing (the delays asked for are kept in
``Result.pauses``). For what a command parses, prints and returns: most tests.

``run_process``: a real ``python -m sfmonitor`` process, for where the process boundary is the
point: an exit code end to end, signals, a pipe, a pseudo-terminal.
"""

from __future__ import annotations

import asyncio
import io
import os
import subprocess
import sys
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field

from sfmonitor.cli.main import Environment, main

# Output that is not a terminal measures as shutil's fallback, as a piped process's does; pinned so
# that a developer's own terminal (pytest -s) cannot change a table's width.
NOT_A_TERMINAL = {"COLUMNS": "120", "LINES": "24"}


@dataclass(frozen=True)
class Result:
    """What the command returned and printed (named as ``subprocess.CompletedProcess`` names them)."""

    returncode: int
    stdout: str
    stderr: str
    pauses: list[float] = field(default_factory=list)  # the retry delays the command asked for


class TerminalInput(io.StringIO):
    """A terminal's input: what the operator types at the prompt."""

    def isatty(self) -> bool:
        return True


def run_cli(
    args: Sequence[str],
    env: Mapping[str, str] | None = None,
    *,
    stdin: str | io.StringIO = "",
    cycle: float | None = None,
) -> Result:
    """Run ``sfmonitor ARGS`` in-process. ``env`` is added to the test's environment (already kept
    clear of the developer's own orgs and folders by the autouse fixture) for the run only."""
    out, err = io.StringIO(), io.StringIO()
    pauses: list[float] = []

    async def pause(delay: float) -> None:
        pauses.append(delay)
        await asyncio.sleep(0)

    async def sooner(interval: float) -> None:
        await asyncio.sleep(min(interval, cycle if cycle is not None else interval))

    given = stdin if isinstance(stdin, io.StringIO) else io.StringIO(stdin)
    with _environment({**NOT_A_TERMINAL, **(env or {})}):
        environment = Environment(stdin=given, stdout=out, stderr=err, pause=pause, cycle=sooner)
        code = main(list(args), environment)
    return Result(int(code), out.getvalue(), err.getvalue(), pauses)


@contextmanager
def _environment(changes: Mapping[str, str]) -> Iterator[None]:
    saved = dict(os.environ)
    os.environ.update(changes)
    try:
        yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


def run_process(args: Sequence[str], env: Mapping[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run ``python -m sfmonitor ARGS`` as a real process (stdin /dev/null, output piped)."""
    return subprocess.run(
        [sys.executable, "-m", "sfmonitor", *args],
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
    )
