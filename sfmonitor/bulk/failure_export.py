"""The failures CSV export: the failed rows with their error and input columns, written as rows
arrive, never held whole. Error text is the server's, exact.

One writer, whether to a file or to standard output: UTF-8 with a BOM (spreadsheet programs then
read non-ASCII right), CRLF line ends (RFC 4180), and, unless ``raw``, a value a spreadsheet would
run as a formula (it begins with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return) written with
a ``'`` before it, as OWASP recommends for CSV injection.

Where it goes (:func:`replacing`, :func:`new_file`): an ``--out`` file is written to a temporary file
beside it (mode 0600), flushed to disk and renamed over it only once the export is whole, so an
interrupted export leaves the old file or none, never a complete-looking part; a device (``/dev/null``,
a pipe) is written in place. The dashboard's generated name is created new (``O_EXCL|O_NOFOLLOW``):
a file or symlink already there is never opened; the next free name (``-2``, ``-3``…) is taken.
"""

from __future__ import annotations

import contextlib
import csv
import errno
import os
import stat
import tempfile
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import IO, Any, Protocol

from ..numbers import plural
from ..text import inert
from .failures import FailedRow, FailureReport

ERROR_COLUMNS = ("error_code", "error_message", "error", "record_id", "batch_id", "batch_row", "input_note")
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
BOM = "\ufeff"
ENCODING = "utf-8"
NEW_NAME_TRIES = 20  # failures-…csv, failures-…-2.csv, … failures-…-20.csv


def neutral(value: str) -> str:
    """``value`` as a spreadsheet shows it without running it: a leading ``'`` before a formula start."""
    return "'" + value if value.startswith(FORMULA_START) else value


def csv_cell(*, raw: bool, terminal: bool) -> Callable[[str], str]:
    """How a value is written in a CSV cell, the one rule of every CSV sfmonitor writes (failures,
    history): neutral unless ``raw``; on a terminal, inert as everywhere on screen too (a name's
    OSC 0 would retitle it)."""
    cell: Callable[[str], str] = str if raw else neutral
    return (lambda value: inert(cell(value))) if terminal else cell


def csv_writer(out: TextSink) -> Any:
    """A ``csv.writer`` with RFC 4180's CRLF line ends (the caller writes :data:`BOM` first)."""
    return csv.writer(out, lineterminator="\r\n")


class TextSink(Protocol):
    """Where the writer's text goes: a text file, or :class:`Encoded` standard output."""

    def write(self, text: str, /) -> int: ...

    def flush(self) -> None: ...


class Encoded:
    """Text written as the writer's bytes to a binary stream (standard output's buffer), whatever the
    terminal's locale; closing it is left to its owner."""

    def __init__(self, binary: IO[bytes]) -> None:
        self._binary = binary

    def write(self, text: str, /) -> int:
        self._binary.write(text.encode(ENCODING, "replace"))
        return len(text)

    def flush(self) -> None:
        self._binary.flush()


class CsvExport:
    """A sink of failed rows into a CSV text stream: error columns, then the input columns of the first
    row (a later row's extra columns are counted in ``dropped_columns``, not silently lost)."""

    def __init__(self, out: TextSink, *, raw: bool = False, terminal: bool = False) -> None:
        self._out = out
        self._writer = csv_writer(out)
        self._cell = csv_cell(raw=raw, terminal=terminal)
        self._columns: list[str] | None = None
        self.rows = 0
        self.dropped_columns: set[str] = set()
        out.write(BOM)

    def _write(self, cells: Iterable[str]) -> None:
        self._writer.writerow([self._cell(cell) for cell in cells])

    def header(self, columns: list[str]) -> None:
        if self._columns is None:
            self._columns = list(columns)
            self._write([*ERROR_COLUMNS, *self._columns])

    def __call__(self, row: FailedRow) -> None:
        if self._columns is None:
            self.header(list(row.fields))
        assert self._columns is not None
        extra = row.fields.keys() - set(self._columns)
        if extra:
            self.dropped_columns |= extra
        position = "" if row.row is None else str(row.row)
        self._write([row.code, row.message, row.error, row.record_id, row.batch_id, position, row.note,
                     *(row.fields.get(c, "") for c in self._columns)])  # fmt: skip
        self.rows += 1

    def finish(self, report: FailureReport) -> None:
        """The header even when no row failed (the columns then come from the report)."""
        self.header(report.columns)
        self._out.flush()


def to_stdout(stdout: IO[str], *, raw: bool = False) -> CsvExport:
    """The export on standard output: the same bytes as a file gets (its binary buffer, encoded here,
    not in the terminal's locale); a text stream without one (a test's) takes the text as it is. On a
    terminal, control characters in values are shown as ``\\x1b`` escapes, never sent to it."""
    return CsvExport(stdout_sink(stdout), raw=raw, terminal=stdout.isatty())


def stdout_sink(stdout: IO[str]) -> TextSink:
    """Standard output as a CSV's sink: its binary buffer, written in :data:`ENCODING` whatever the
    terminal's locale; a text stream without one (a test's) takes the text as it is."""
    binary = getattr(stdout, "buffer", None)
    if binary is None:
        return stdout
    stdout.flush()
    return Encoded(binary)


def unwritable_reason(error: OSError) -> str:
    """The system's reason a file (or standard output) could not be written, in a few words: the one
    wording, for an export's ``--out`` and for standard output alike."""
    reason = {errno.ENOENT: "no such folder", errno.EISDIR: "it is a folder", errno.ENOSPC: "no space left",
              errno.EEXIST: "a file of that name is there"}.get(error.errno or 0)  # fmt: skip
    return reason or (error.strerror or type(error).__name__).lower()


def why_not_written(path: Path, error: OSError) -> str:
    """One line for an export file that could not be written: where, and the system's reason (standard
    output that cannot be written is the command line's one rule, cli/main.py)."""
    return f"the failures CSV was not written to {path}: {unwritable_reason(error)}"


@contextlib.contextmanager
def replacing(path: Path, *, raw: bool = False) -> Iterator[CsvExport]:
    """The export to ``path``, replacing what is there only once the export is whole (temporary file
    beside it, mode 0600, fsync, rename). A folder, or a path whose folder is missing, is an OSError
    before anything is written; a device or pipe (not a regular file) is written in place."""
    target = Path(os.path.realpath(path))
    try:
        mode = target.stat().st_mode
    except FileNotFoundError:
        mode = None
    if mode is not None and stat.S_ISDIR(mode):
        raise IsADirectoryError(errno.EISDIR, "is a folder", str(path))
    if mode is not None and not stat.S_ISREG(mode):
        fd = os.open(target, os.O_WRONLY | os.O_APPEND)
        with open(fd, "w", encoding=ENCODING, errors="replace", newline="") as out:
            yield CsvExport(out, raw=raw)
        return
    if not target.parent.is_dir():
        raise FileNotFoundError(errno.ENOENT, "no such folder", str(target.parent))
    fd, temporary = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".partial", dir=target.parent)
    with _committed(fd, Path(temporary), lambda: os.replace(temporary, target)) as export_out:
        yield CsvExport(export_out, raw=raw)


@contextlib.contextmanager
def new_file(path: Path, *, raw: bool = False) -> Iterator[tuple[CsvExport, Path]]:
    """The export to a new file at ``path`` (else ``path-2.csv``, ``-3``…): the name is created with
    ``O_EXCL|O_NOFOLLOW``, so a file or planted symlink of that name is never opened, and filled
    only once the export is whole (from a temporary file beside it, renamed over it)."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    for n in range(1, NEW_NAME_TRIES + 1):
        name = path if n == 1 else path.with_name(f"{path.stem}-{n}{path.suffix}")
        try:
            os.close(os.open(name, flags, 0o600))
            break
        except FileExistsError:
            continue
    else:
        raise FileExistsError(errno.EEXIST, "taken", str(path))
    try:
        fd, temporary = tempfile.mkstemp(prefix=f".{name.name}.", suffix=".partial", dir=name.parent)
    except OSError:
        name.unlink(missing_ok=True)
        raise
    try:
        with _committed(fd, Path(temporary), lambda: os.replace(temporary, name)) as out:
            yield CsvExport(out, raw=raw), name
    except BaseException:
        name.unlink(missing_ok=True)  # the empty name reserved for it
        raise


@contextlib.contextmanager
def _committed(fd: int, temporary: Path, commit: Callable[[], None]) -> Iterator[IO[str]]:
    """A text stream on the temporary file ``fd``: on a clean exit flushed, fsync'd and committed
    (renamed into place); on any error or interruption removed."""
    try:
        with open(fd, "w", encoding=ENCODING, errors="replace", newline="") as out:
            yield out
            out.flush()
            os.fsync(out.fileno())
        commit()
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def export_note(export: CsvExport, path: Path | None) -> str:
    where = str(path) if path else "standard output"
    note = f"{plural(export.rows, 'failed row')} written to {where}"
    if export.dropped_columns:
        names = ", ".join(sorted(inert(c) for c in export.dropped_columns))
        note += f" (columns not in the first batch's header left out: {names})"
    return note
