"""The command palette's commands, made from the key bindings in force: whatever a key does on a
screen, the palette (ctrl+p) offers there too, under the binding's name with its key, and the two
cannot drift apart. A key not offered now (check_action says so: close and abort when read-only, o
with one org) is not in the palette either; a greyed one is, and says why when chosen."""

from __future__ import annotations

from collections.abc import Iterator
from functools import partial

from textual.app import App, SystemCommand
from textual.binding import Binding
from textual.dom import DOMNode
from textual.markup import escape
from textual.screen import Screen


def offered(screen: Screen[object]) -> Iterator[tuple[DOMNode, Binding, str]]:
    """The project's bindings a key reaches on ``screen`` now (those with an id: Textual's own
    cursor and editing keys have none), each once with its keys as the keymap has them: (the node
    that handles it, the binding, its keys for display)."""
    keys: dict[str, list[str]] = {}
    found: dict[str, tuple[DOMNode, Binding]] = {}
    for active in screen.active_bindings.values():
        binding = active.binding
        if not binding.id or not binding.description:
            continue
        found.setdefault(binding.id, (active.node, binding))
        keys.setdefault(binding.id, []).append(screen.app.get_key_display(binding))
    for binding_id, (node, binding) in found.items():
        yield node, binding, ", ".join(dict.fromkeys(keys[binding_id]))


def key_commands(app: App[None], screen: Screen[object]) -> Iterator[SystemCommand]:
    """One palette command per binding :func:`offered` on ``screen``: its name and key, its tooltip
    as the help, and the very action the key runs (the palette reads words as markup: escaped)."""
    for node, binding, shown in offered(screen):
        yield SystemCommand(
            escape(f"{binding.description} ({shown})"),
            escape(binding.tooltip or binding.description),
            partial(app.run_action, binding.action, node),
        )
