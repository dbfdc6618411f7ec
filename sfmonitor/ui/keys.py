"""Every binding of the app in one list: the README's key table is generated from it (a test keeps the
README in step), and the config file's ``[keymap]`` may remap exactly its ids."""

from __future__ import annotations

from textual.binding import Binding

from ..bulk.errors import ConfigError
from ..config.files import shown
from ..text import clip
from .app import SfMonitorApp
from .screens.alerts import AlertsScreen, AlertsTable
from .screens.confirm import ConfirmScreen
from .screens.dashboard import DashboardScreen
from .screens.detail import JobDetailScreen
from .screens.failures import FailuresScreen
from .screens.help import HelpScreen
from .screens.history import HistoryScreen
from .screens.past_job import PastJobScreen
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
    ("alerts", AlertsTable),
    ("past runs", HistoryScreen),
    ("remembered job", PastJobScreen),
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
    lines.append(
        "| `ctrl+p` | - | command palette: every key's action on the current screen, named with its key "
        "(*Copy id (y)*, *Detail (⏎)*, *Filter (/)*…), made from the same bindings, so the two never differ; "
        "with several orgs also *Show all orgs* and *Show org: …* | everywhere |"
    )
    return "\n".join(lines)


def binding_ids() -> set[str]:
    return {b.id for _, owner in PLACES for b in owner.BINDINGS if isinstance(b, Binding) and b.id}


# What is in force together, in the order Textual looks: the focused widget, its screen, the app. A
# modal (the confirmation, help) takes the keys it binds from the app beneath it, by design (q closes
# help): its own bindings are checked among themselves.
CHAINS = (
    ("jobs table", (JobsTable, DashboardScreen, SfMonitorApp)),
    ("job detail", (KeyedTable, JobDetailScreen, SfMonitorApp)),
    ("failures", (KeyedTable, FailuresScreen, SfMonitorApp)),
    ("confirmation", (ConfirmScreen,)),
    ("help", (HelpScreen,)),
)


def key_names(keys: str) -> list[str]:
    """``keys`` (comma-separated) as Textual names the keys it matches: ``?`` is ``question_mark``."""
    return [b.key for b in Binding.make_bindings([Binding(keys, "")])]


def _bindings(owner: type) -> list[Binding]:
    """The bindings ``owner`` has, one key each, merged as Textual merges them: a class's binding of a
    key replaces the one it inherits (DataTable's ``down`` moves the cursor, not the scroll)."""
    merged: dict[str, list[Binding]] = {}
    for cls in reversed(owner.__mro__):
        own: dict[str, list[Binding]] = {}
        for binding in Binding.make_bindings(cls.__dict__.get("BINDINGS", [])):
            own.setdefault(binding.key, []).append(binding)
        merged.update(own)
    return [binding for bindings in merged.values() for binding in bindings]


def _shared(keymap: dict[str, str]) -> dict[tuple[str, str, str], str]:
    """(binding, binding, key) -> the place, for every key two bindings share where both are in force."""
    shared: dict[tuple[str, str, str], str] = {}
    for place, owners in CHAINS:
        holders: dict[str, dict[str, str]] = {}  # key -> binding -> its action
        for binding in (b for owner in owners for b in _bindings(owner)):
            keys = key_names(keymap[binding.id]) if binding.id in keymap else [binding.key]
            for key in keys:
                holders.setdefault(key, {})[binding.id or binding.action] = binding.action
        for key, names in holders.items():
            ordered = sorted(names)
            for i, first in enumerate(ordered):
                for second in ordered[i + 1 :]:
                    if names[first] != names[second]:  # j and down both move the cursor down: no clash
                        shared.setdefault((first, second, key), place)
    return shared


def check_keymap(keymap: dict[str, str], where: str = "config file") -> None:
    """The config file's ``[keymap]``: an unknown binding id, or a key that would do two things where
    both are in force (``abort = "q"`` would lose quit), is a ConfigError naming the key and both
    bindings (keys compared as Textual matches them: ``?`` is ``question_mark``). Keys the shipped
    bindings already share (``q`` quits, and closes help) are theirs to share. ``where`` (the file)
    heads the error."""
    unknown = set(keymap) - binding_ids()
    if unknown:
        ids = ", ".join(sorted(binding_ids()))
        raise ConfigError(f"{where}: [keymap] has no binding {shown(sorted(unknown)[0])}; binding ids: {ids}")
    try:
        named = {binding: ",".join(key_names(keys)) for binding, keys in keymap.items()}
    except Exception as exc:  # Textual's word on a key it cannot bind
        raise ConfigError(f"{where}: [keymap]: {clip(str(exc), 200)}") from None
    shipped = _shared({})
    for (first, second, key), place in _shared(named).items():
        if (first, second, key) not in shipped:
            remapped, other = (first, second) if first in named else (second, first)
            raise ConfigError(
                f"{where}: [keymap] {remapped} = {shown(keymap[remapped])}: the key {NAMES.get(key, key)!r} would "
                f"both {remapped} and {other} (in the {place}); choose another key"
                + (f", or remap {other} too" if other in binding_ids() else "")
            )


if __name__ == "__main__":
    print(markdown_table())
