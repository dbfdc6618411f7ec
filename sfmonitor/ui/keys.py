"""The README's key table, generated from the bindings themselves (a test keeps the README in step)."""

from __future__ import annotations

from textual.binding import Binding

from .app import SfMonitorApp
from .screens.confirm import ConfirmScreen
from .screens.dashboard import DashboardScreen
from .screens.detail import JobDetailScreen
from .screens.help import HelpScreen
from .widgets.jobs_table import JobsTable

PLACES = (
    ("everywhere", SfMonitorApp),
    ("jobs table", DashboardScreen),
    ("jobs table", JobsTable),
    ("job detail", JobDetailScreen),
    ("confirmation", ConfirmScreen),
    ("help", HelpScreen),
)
NAMES = {"slash": "/", "question_mark": "?", "escape": "esc", "enter": "enter"}


def markdown_table() -> str:
    lines = ["| key | binding id | does | where |", "|---|---|---|---|"]
    for place, owner in PLACES:
        for binding in owner.BINDINGS:
            if not isinstance(binding, Binding):
                continue
            keys = ", ".join(f"`{NAMES.get(k, k)}`" for k in binding.key.split(","))
            does = binding.tooltip or binding.description.lower()
            lines.append(f"| {keys} | `{binding.id or '-'}` | {does} | {place} |")
    lines.append("| `ctrl+p` | - | command palette with the same actions | everywhere |")
    return "\n".join(lines)


if __name__ == "__main__":
    print(markdown_table())
