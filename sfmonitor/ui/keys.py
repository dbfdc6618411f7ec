"""Every binding of the app in one list: the README's key table is generated from it (a test keeps the
README in step), and the config file's ``[keymap]`` may remap exactly its ids."""

from __future__ import annotations

from textual.binding import Binding

from ..bulk.errors import ConfigError
from .app import SfMonitorApp
from .screens.alerts import AlertsScreen
from .screens.confirm import ConfirmScreen
from .screens.dashboard import DashboardScreen
from .screens.detail import JobDetailScreen
from .screens.failures import FailuresScreen
from .screens.help import HelpScreen
from .widgets.jobs_table import JobsTable
from .widgets.keyed_table import KeyedTable

PLACES = (
    ("everywhere", SfMonitorApp),
    ("jobs table", DashboardScreen),
    ("jobs table", JobsTable),
    ("jobs and batch tables", KeyedTable),
    ("job detail", JobDetailScreen),
    ("failures", FailuresScreen),
    ("alerts", AlertsScreen),
    ("confirmation", ConfirmScreen),
    ("help", HelpScreen),
)
NAMES = {"slash": "/", "question_mark": "?", "exclamation_mark": "!", "escape": "esc", "enter": "enter"}


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


def binding_ids() -> set[str]:
    return {b.id for _, owner in PLACES for b in owner.BINDINGS if isinstance(b, Binding) and b.id}


def check_keymap(keymap: dict[str, str]) -> None:
    unknown = set(keymap) - binding_ids()
    if unknown:
        raise ConfigError(
            f"[keymap] has no binding {sorted(unknown)[0]!r}; binding ids: {', '.join(sorted(binding_ids()))}"
        )


if __name__ == "__main__":
    print(markdown_table())
