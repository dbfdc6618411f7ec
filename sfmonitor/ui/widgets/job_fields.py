"""Every field of one job as Salesforce reports it, the important ones first, server text shown
literally (the job detail shows them below its summary: job_summary.py)."""

from __future__ import annotations

from datetime import UTC, datetime

from rich.table import Table
from rich.text import Text
from textual.widgets import Static

from ...bulk.models import Job
from ...numbers import ago, compact, duration, local, seconds_between
from ...text import inert

FIRST = (
    "id", "jobType", "object", "operation", "state", "errorMessage", "numberRecordsProcessed", "numberRecordsFailed",
    "totalProcessingTime", "apiActiveProcessingTime", "apexProcessingTime", "retries", "numberRetries",
    "numberBatchesTotal", "numberBatchesCompleted", "numberBatchesFailed", "numberBatchesInProgress",
    "numberBatchesQueued", "createdDate", "systemModstamp", "apiVersion", "contentType",
)  # fmt: skip
TIMES = ("totalProcessingTime", "apiActiveProcessingTime", "apexProcessingTime")
PAIR_WIDTH = 56  # a field name (up to 26) and a value (an id, a timestamp: up to 24), with gaps
LONG_VALUE = 70  # a longer value (an error message) wraps rather than take a line of its own


def moment_text(moment: datetime, now: datetime) -> str:
    """A time as people read it: absolute in UTC, how long ago, and on the local clock."""
    try:
        utc = moment.astimezone(UTC)
    except (OverflowError, ValueError, OSError):  # the ends of the calendar: as the org wrote it
        return moment.isoformat()
    since = seconds_between(now, moment)
    return f"{utc:%Y-%m-%d %H:%M:%S} UTC · {ago(since)}, {local(moment):%H:%M} local"


def value_text(name: str, value: object) -> str:
    if value is None:
        return "-"
    if name in TIMES and isinstance(value, int):
        return f"{duration(value)} ({compact(value, 30)} ms)"
    if isinstance(value, int) and not isinstance(value, bool):
        return compact(value, 30)
    return inert(value)


class JobFields(Static):
    DEFAULT_CSS = """
    JobFields { height: auto; padding: 0 1; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__("", id=id)
        self._shown: tuple[object, ...] = ()
        self.pairs: tuple[tuple[str, str], ...] = ()  # (field name, value) as shown

    def show(self, job: Job, error_style: str, now: datetime, width: int = 120) -> None:
        """The fields as name/value pairs, as many pairs a line as ``width`` holds whole (one at 80
        columns, so no id or timestamp is wrapped; two at 200 beside a long contentUrl)."""
        names = [n for n in FIRST if n in job.fields] + sorted(n for n in job.fields if n not in FIRST)
        moments = {"createdDate": job.created_date, "systemModstamp": job.system_modstamp}
        pairs = []
        for name in names:
            moment = moments.get(name)
            pairs.append((name, moment_text(moment, now) if moment else value_text(name, job.fields.get(name))))
        pairs.insert(1, ("apiKind", job.kind.label))
        name_width = max((len(name) for name, _ in pairs), default=0)
        values = min(LONG_VALUE, max((len(value) for _, value in pairs), default=0))
        per_line = max(1, (width - 2) // max(PAIR_WIDTH, name_width + values + 4))
        shown = (per_line, *pairs)
        if shown == self._shown:
            return
        self._shown = shown
        self.pairs = tuple(pairs)
        grid = Table.grid(padding=(0, 2), expand=False)
        for _ in range(per_line):
            grid.add_column(style="bold", no_wrap=True)
            grid.add_column(overflow="fold")
        pairs += [("", "")] * (-len(pairs) % per_line)
        for start in range(0, len(pairs), per_line):
            cells = []
            for name, value in pairs[start : start + per_line]:
                style = (
                    error_style
                    if name == "errorMessage" or (name == "numberRecordsFailed" and value not in ("0", "-"))
                    else ""
                )
                cells += [Text(inert(name)), Text(value, style=style)]  # field names are server text too
            grid.add_row(*cells)
        self.update(grid)
