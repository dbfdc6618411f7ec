"""Every field of one job, the important ones first, server text shown literally."""

from __future__ import annotations

from datetime import datetime

from rich.table import Table
from rich.text import Text
from textual.widgets import Static

from ...bulk.models import Job
from ...numbers import compact, duration
from ...text import inert

FIRST = (
    "id", "jobType", "object", "operation", "state", "errorMessage", "numberRecordsProcessed", "numberRecordsFailed",
    "totalProcessingTime", "apiActiveProcessingTime", "apexProcessingTime", "retries", "numberRetries",
    "numberBatchesTotal", "numberBatchesCompleted", "numberBatchesFailed", "numberBatchesInProgress",
    "numberBatchesQueued", "createdDate", "systemModstamp", "apiVersion", "contentType",
)  # fmt: skip
TIMES = ("totalProcessingTime", "apiActiveProcessingTime", "apexProcessingTime")


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
        self._shown: tuple[tuple[str, str], ...] = ()

    def show(self, job: Job, error_style: str, throughput: float | None, now: datetime) -> None:
        names = [n for n in FIRST if n in job.fields] + sorted(n for n in job.fields if n not in FIRST)
        pairs = [(name, value_text(name, job.fields.get(name))) for name in names]
        pairs.insert(1, ("apiKind", job.kind.label))
        if throughput is not None:
            pairs.append(("throughput", f"{throughput:,.0f} records/s (last minutes)"))
        shown = tuple(pairs)
        if shown == self._shown:
            return
        self._shown = shown
        grid = Table.grid(padding=(0, 2), expand=False)
        grid.add_column(style="bold", no_wrap=True)
        grid.add_column(overflow="fold")
        grid.add_column(style="bold", no_wrap=True)
        grid.add_column(overflow="fold")
        for left, right in zip(pairs[0::2], [*pairs[1::2], ("", "")], strict=False):
            cells = []
            for name, value in (left, right):
                style = (
                    error_style
                    if name == "errorMessage" or (name == "numberRecordsFailed" and value not in ("0", "-"))
                    else ""
                )
                cells += [Text(inert(name)), Text(value, style=style)]  # field names are server text too
            grid.add_row(*cells)
        self.update(grid)
