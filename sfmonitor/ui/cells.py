"""Table cells as Rich ``Text``: never a markup string, so server text cannot style or escape anything."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from rich.text import Text

from ..bulk.models import Batch, Job, JobKind
from ..monitor.history import History, eta_seconds
from ..monitor.phase import Outcome, ended, outcome, waiting_on_client
from ..monitor.usual import FLAG
from ..numbers import (
    CLOCK_WIDTH,
    clock,
    compact,
    count,
    duration,
    eta,
    rate,
    seconds_between,
    short_count,
    tiny_count,
)
from ..text import clip, inert


@dataclass(frozen=True)
class Palette:
    """Theme colours the cells use (taken from the current Textual theme)."""

    error: str = "red"
    warning: str = "yellow"
    success: str = "green"
    accent: str = "cyan"


@dataclass(frozen=True)
class OrgCell:
    """A row's org, when several are watched: its label, colour, and whether it cannot be read now."""

    label: str
    colour: str | None = None
    down: bool = False


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    width: int
    priority: int  # the lower, the sooner it gets room on a narrow screen
    right: bool = False
    narrow: int = 0  # width below NARROW columns (0: the same)
    grow: int = 0  # spare room this column may take, beyond its width


REMEMBERED = "~"  # a remembered row's mark (history, not read from the org)
REMEMBERED_STYLE = "dim italic"

JOB_COLUMNS = (
    Column("kind", "API", 10, 2, narrow=6),
    Column("id", "Job ID", 18, 0),
    Column("object", "Object", 14, 3, narrow=11, grow=12),
    Column("operation", "Operation", 9, 9),
    Column("state", "State", 16, 1, narrow=13),
    Column("progress", "Progress", 13, 5, narrow=11),
    Column("processed", "Processed", 10, 6, right=True),
    Column("failed", "Failed", 7, 4, right=True, narrow=6),  # before Progress: failures first
    Column("rate", "Rec/s", 7, 7, right=True),
    Column("eta", "ETA", 6, 8, right=True),
    Column("elapsed", "Elapsed", 7, 10, right=True),
    Column("time", "Proc time", 9, 11, right=True),
    Column("created", "Created", CLOCK_WIDTH, 12, right=True),
    Column("message", "Message", 10, 13, grow=200),
)

# What a column's figure means, where its name alone does not say (the help screen lists these)
COLUMN_HELP = (
    ("Progress", "Bulk 1.0: batches finished of all; Bulk 2.0: records processed (no total is reported)"),
    ("Rec/s", "records a second over the last 3 minutes of polls"),
    ("ETA", "only for a Closed Bulk 1.0 job with finished batches (Bulk 2.0 reports no total)"),
    ("Elapsed", "since the job was created; to its last change once it has ended"),
    ("Proc time", "totalProcessingTime: summed over the job's batches, which run in parallel, so it "
                  "can exceed Elapsed"),
    ("! and faded", "the row could not be read this time: its values are older (or the listing's)"),
    ("⚠", "stalled: no progress for 6 polls and at least a minute"),
    (FLAG, "running well below its usual pace: under half the median records/s of its past runs (same org, "
           "object and operation), or past 1.5x their usual duration and still slower (needs the history)"),
    (f"{REMEMBERED}, faded", "remembered (history), not read from the org: its values when the org was last "
                             "polled (how long ago: Message, header), replaced as the org answers; with H, jobs "
                             "that left the org (when each last changed); read-only"),
)  # fmt: skip

BATCH_COLUMNS = (
    Column("id", "Batch ID", 18, 0),
    Column("state", "State", 12, 1),
    Column("message", "State message", 16, 2, grow=200),
    Column("processed", "Processed", 9, 3, right=True),
    Column("failed", "Failed", 7, 4, right=True),
    Column("total", "Total", 7, 5, right=True),
    Column("api", "API", 7, 6, right=True),
    Column("apex", "Apex", 7, 7, right=True),
    Column("created", "Created", CLOCK_WIDTH, 8, right=True),
    Column("modified", "Modified", CLOCK_WIDTH, 9, right=True),
)

ORG_COLUMN = Column("org", "Org", 10, 1, narrow=7)  # only when several orgs are watched

SHORT_KIND = {JobKind.CLASSIC: "1.0", JobKind.INGEST: "2.0 in", JobKind.QUERY: "2.0 q"}


NARROW = 100
CELL_PADDING = 2  # DataTable pads each cell by one on either side
SCROLLBAR = 2  # the vertical scrollbar's width, kept free whether or not it shows


def visible(columns: tuple[Column, ...], screen_width: int) -> tuple[Column, ...]:
    """The columns that fit a screen this wide, chosen by priority, in their own order.

    Below NARROW columns they take their narrow widths. Room left over goes to the columns that
    may grow (object names, messages), so a wide screen is used, and the table is never wider
    than the screen: no horizontal scrollbar, no header cut.
    """
    if screen_width < NARROW:
        columns = tuple(replace(c, width=c.narrow) if c.narrow else c for c in columns)
    room = screen_width - SCROLLBAR
    chosen: set[str] = set()
    for column in sorted(columns, key=lambda c: c.priority):
        need = column.width + CELL_PADDING
        if need <= room:
            chosen.add(column.key)
            room -= need
        elif column.priority <= 1:
            continue  # the id and the state always show (a terminal under 40 columns is not served)
        else:
            break  # a lower-priority column never shows without the ones above it
    shown = [c for c in columns if c.key in chosen]
    out = []
    for column in sorted(shown, key=lambda c: c.priority):
        extra = min(column.grow, room)
        room -= extra
        out.append(replace(column, width=column.width + extra) if extra else column)
    by_key = {c.key: c for c in out}
    return tuple(by_key[c.key] for c in shown)


def bar(done: int, total: int, width: int = 5) -> str:
    if total <= 0:
        return "░" * width
    filled = width * min(done, total) // total  # rounded down: full only when every batch is done
    return "█" * filled + "░" * (width - filled)


def progress(job: Job, processed_shown: bool = False) -> str:
    """Batches done for Bulk 1.0; for Bulk 2.0 (no total is known) the records so far, unless the
    Processed column already shows them."""
    if job.kind is JobKind.CLASSIC:
        if job.batch_progress is None:  # not read yet: the listing carries no batch counts
            return "-"
        done, total = job.batch_progress
        return f"{bar(done, total)} {done}/{total}"
    if job.state == "Open":
        return "no data yet" if job.kind is JobKind.INGEST else ""
    if job.number_records_processed is None:  # not read yet: the listing carries no counts
        return "-"
    if processed_shown:
        return ""  # no total to measure against, and the count is in its own column
    return f"{short_count(job.number_records_processed)} rec"


SPARK = " ▁▂▃▄▅▆▇█"


def sparkline(rates: list[float]) -> str:
    """One character per poll, scaled from zero to the peak (a steady load is a flat, full line,
    not noise magnified; a pause drops to the floor)."""
    peak = max(rates, default=0.0)
    if peak <= 0:
        return "▁" * len(rates)
    top = len(SPARK) - 1
    return "".join(SPARK[max(2, round(r / peak * top))] if r > 0 else "▁" for r in rates)  # ▁: none at all


def spark_label(rates: list[float], finished: bool = False) -> str:
    if not rates:
        return "" if finished else "throughput: waiting for two polls"
    return f"throughput, records/s per poll, last {len(rates)} polls · scale 0 to {rate(max(rates))}/s (peak)"


def elapsed(job: Job, now: datetime) -> str:
    if job.created_date is None:
        return "-"
    end = job.system_modstamp if ended(job) and job.system_modstamp else now
    return duration(int(max(0.0, seconds_between(end, job.created_date)) * 1000))


def job_cells(
    job: Job,
    history: History,
    now: datetime,
    columns: tuple[Column, ...],
    palette: Palette,
    *,
    pending: str | None = None,
    stalled: float | None = None,
    slow: bool = False,
    narrow: bool = False,
    unread: bool = False,
    top_error: tuple[str, int] | None = None,
    org: OrgCell | None = None,
    remembered: tuple[str, datetime | None] | None = None,
) -> tuple[Text, ...]:
    """One jobs-table row. Finished jobs are dimmed; failures, stalls and slow jobs are coloured; a job whose
    last read failed is faded and marked ``!`` (its values are older, or the listing's). The Message
    column shows the job's own error message, else, once its failures were read, its top error
    (``REQUIRED_FIELD_MISSING ×1.2k``). ``org``: with several orgs, the row's org; while that org
    cannot be read, its rows are faded and the Org cell marked ``!``. ``remembered``: a job the history
    file remembers, not read from the org (its words, ``remembered 3h00m ago``, and when the org was
    last polled): faded, italic, marked ``~``, its figures as of then."""  # noqa: RUF002
    if remembered is not None:
        unread, pending, stalled, top_error = False, None, None, None
        now = remembered[1] or now  # its elapsed time as of the memory, not growing now
    throughput = None if unread or remembered else history.throughput(job)
    state = inert(job.state) or "?"
    state_style = ""
    if remembered is not None:
        state, state_style = f"{REMEMBERED} {state}", REMEMBERED_STYLE
    elif pending:
        state, state_style = f"{pending}…", f"bold {palette.accent}"
    elif unread:
        state, state_style = f"! {state}", f"dim {palette.warning}"
    elif stalled is not None:
        state, state_style = f"⚠ {state}", f"bold {palette.warning}"  # stalled: no progress for a while
    elif slow:
        state, state_style = f"{FLAG} {state}", palette.warning  # well below its usual pace (monitor/usual.py)
    elif waiting := waiting_on_client(job, now.timestamp()):
        state, state_style = f"{state}: {waiting}", palette.warning  # the client owes the next step
    elif outcome(job) is Outcome.FAILED:  # Failed, or a Bulk 1.0 batch failed as a whole
        state_style = f"bold {palette.error}"
    values = {
        "kind": SHORT_KIND[job.kind] if narrow else job.kind.label,
        "id": inert(job.id),
        "object": inert(job.object),
        "operation": inert(job.operation),
        "state": state,
        "progress": progress(job, processed_shown=any(c.key == "processed" for c in columns)),
        "processed": count(job.number_records_processed),
        "failed": count(job.number_records_failed),
        "rate": rate(throughput),
        "eta": eta(eta_seconds(job, throughput)),
        "elapsed": elapsed(job, now),
        "time": duration(job.total_processing_time),
        "created": clock(job.created_date, now),
        "message": f"{remembered[0]}: {inert(job.error_message)}".removesuffix(": ")
        if remembered
        else inert(job.error_message),
        "org": ("! " if org and org.down else "") + inert(org.label) if org else "",
    }
    down = org is not None and org.down
    base = "dim" if (ended(job) or unread or down) and not pending else ""
    if remembered is not None:
        base = REMEMBERED_STYLE
    cells = []
    for column in columns:
        style = base
        if column.key == "state" and state_style:
            style = state_style
        elif column.key == "failed" and (job.number_records_failed or 0) > 0:
            style = f"dim {palette.error}" if unread or remembered else f"bold {palette.error}"
        elif column.key == "message" and top_error and not job.error_message:
            style = palette.error
        elif column.key == "org" and org is not None:
            style = f"dim {palette.warning}" if down else (f"bold {org.colour}" if org.colour else "bold")
        if column.key in ("processed", "failed"):
            text = compact(job.number_records_processed if column.key == "processed" else job.number_records_failed,
                             column.width)  # fmt: skip
        elif column.key == "message" and top_error and not job.error_message:
            times = f" ×{tiny_count(top_error[1])}"  # noqa: RUF001 - the count survives a narrow column
            text = clip(inert(top_error[0]), max(1, column.width - len(times))) + times
        else:
            text = clip(values[column.key], column.width)
        cells.append(Text(text, style=style, justify="right" if column.right else "left", no_wrap=True))
    return tuple(cells)


def batch_cells(batch: Batch, now: datetime, columns: tuple[Column, ...], palette: Palette) -> tuple[Text, ...]:
    """One batch-table row. A PK-chunked query's NotProcessed original reads as normal, not as an error."""
    state_style = ""
    if batch.state == "Failed":
        state_style = f"bold {palette.error}"
    elif batch.state == "InProgress":
        state_style = palette.accent
    values = {
        "id": inert(batch.id),
        "state": inert(batch.state),
        "message": inert(batch.state_message),
        "processed": compact(batch.number_records_processed, 9),
        "failed": compact(batch.number_records_failed, 7),
        "total": duration(batch.total_processing_time),
        "api": duration(batch.api_active_processing_time),
        "apex": duration(batch.apex_processing_time),
        "created": clock(batch.created_date, now),
        "modified": clock(batch.system_modstamp, now),
    }
    cells = []
    for column in columns:
        style = ""
        if column.key == "state":
            style = state_style
        elif column.key == "failed" and (batch.number_records_failed or 0) > 0:
            style = f"bold {palette.error}"
        elif column.key == "message" and batch.state == "Failed":
            style = palette.error
        elif batch.state == "NotProcessed":
            style = "dim"
        text = clip(values[column.key], column.width)
        cells.append(Text(text, style=style, justify="right" if column.right else "left", no_wrap=True))
    return tuple(cells)
