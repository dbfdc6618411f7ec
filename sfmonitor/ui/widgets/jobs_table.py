"""The jobs table: a keyed table whose enter opens the job's detail."""

from __future__ import annotations

from typing import ClassVar

from textual.binding import Binding, BindingType

from .keyed_table import KeyedTable


class JobsTable(KeyedTable):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "enter",
            "select_cursor",
            "Detail",
            id="open",
            tooltip="open the selected job: every field, throughput, and a Bulk 1.0 job's batches",
        )
    ]
