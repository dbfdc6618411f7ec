"""What an operator asks of a job first, in a few lines at the top of its detail: its state, progress,
records processed and failed, rate, ETA (only where the counters allow an honest one), elapsed time
and when it was created. Salesforce's own fields follow below it (job_fields.py)."""

from __future__ import annotations

from datetime import datetime

from rich.text import Text
from textual.widgets import Static

from ...bulk.models import Job, JobKind
from ...monitor.history import History, eta_seconds, live_work
from ...monitor.phase import Outcome, ended, outcome, waiting_on_client
from ...numbers import clock, count, duration, eta, rate
from ...text import inert
from ..cells import Palette, bar, elapsed

GAP = "   "  # between figures on a line


def figures(job: Job, history: History, now: datetime, palette: Palette, *, unread: bool = False) -> list[Text]:
    """The figures, each a "Label value" piece; the state first. ``unread``: its last read failed
    (no rate from older values)."""
    state = Text(inert(job.state) or "?", style="bold")
    stalled = history.stalled(job, now.timestamp()) if live_work(job) and not unread else None
    if unread:
        state = Text(f"! {state.plain} (last read failed: older values)", style=f"bold {palette.warning}")
    elif stalled is not None:
        state = Text(
            f"⚠ {state.plain}: no progress for {duration(int(stalled * 1000))}", style=f"bold {palette.warning}"
        )
    elif waiting := waiting_on_client(job, now.timestamp()):
        state = Text(f"{state.plain}: {waiting}", style=f"bold {palette.warning}")
    elif outcome(job) is Outcome.FAILED:
        state.stylize(palette.error)
    elif not ended(job):
        state.stylize(palette.accent)
    throughput = None if unread else history.throughput(job)
    pieces = [_piece("State", state)]
    if job.kind is JobKind.CLASSIC and job.batch_progress is not None:
        done, total = job.batch_progress
        pieces.append(_piece("Progress", Text(f"{bar(done, total, 10)} {done:,}/{total:,} batches")))
    failed = job.number_records_failed
    pieces += [
        _piece("Processed", Text(count(job.number_records_processed), style="bold")),
        _piece("Failed", Text(count(failed), style=f"bold {palette.error}" if failed else "bold")),
    ]
    if not ended(job):
        pieces.append(_piece("Rate", Text(f"{rate(throughput)} rec/s" if throughput is not None else "-")))
        left = eta_seconds(job, throughput)
        if left is not None:
            pieces.append(_piece("ETA", Text(eta(left))))
    pieces += [_piece("Elapsed", Text(elapsed(job, now))), _piece("Created", Text(clock(job.created_date, now)))]
    return pieces


def _piece(label: str, value: Text) -> Text:
    return Text.assemble((f"{label} ", "dim"), value)


def lines(pieces: list[Text], width: int) -> Text:
    """The pieces, as many a line as ``width`` holds whole (a figure is never split)."""
    out = Text()
    line_length = 0
    for piece in pieces:
        if line_length and line_length + len(GAP) + piece.cell_len > width:
            out.append("\n")
            line_length = 0
        elif line_length:
            out.append(GAP)
            line_length += len(GAP)
        out.append_text(piece)
        line_length += piece.cell_len
    return out


class JobSummary(Static):
    DEFAULT_CSS = """
    JobSummary { height: auto; padding: 0 1; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__("", id=id)
        self._shown: Text | None = None

    def show(self, job: Job, history: History, now: datetime, palette: Palette, width: int, *, unread: bool) -> None:
        text = lines(figures(job, history, now, palette, unread=unread), max(20, width - 2))
        if self._shown is None or text.plain != self._shown.plain or text.spans != self._shown.spans:
            self._shown = text
            self.update(text)
