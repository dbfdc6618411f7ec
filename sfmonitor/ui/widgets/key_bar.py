"""The bottom line: the keys that work here, now. Drawn as one line of text, never rebuilt from widgets.

Textual's own Footer makes a widget per key and rebuilds them whenever the keys may have changed;
each rebuilt key stays referenced from the Footer forever (Textual issue #6666); in the soak benchmark
that grew the process from 52 to 92 MB. This bar keeps no children, so there is nothing to leak.
It also fits narrow terminals: keys that do not fit are left out (help lists them all), and the help
key and the command palette always show, at the right.
"""

from __future__ import annotations

from dataclasses import replace
from typing import NamedTuple

from rich.style import Style
from rich.text import Text
from textual import events
from textual.app import RenderResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widget import Widget

PINNED = ("help",)  # actions always shown at the right, with the command palette


class Key(NamedTuple):
    binding: Binding
    label: str  # the key, as the terminal user types it
    enabled: bool


class KeyBar(Widget, can_focus=False):
    ALLOW_SELECT = False
    COMPONENT_CLASSES = {"key-bar--key", "key-bar--description"}
    DEFAULT_CSS = """
    KeyBar {
        dock: bottom;
        height: 1;
        color: $footer-foreground;
        background: $footer-background;
        & > .key-bar--key {
            color: $footer-key-foreground;
            background: $footer-key-background;
            text-style: bold;
        }
        & > .key-bar--description {
            color: $footer-description-foreground;
            background: $footer-description-background;
        }
    }
    """

    def __init__(self) -> None:
        super().__init__()
        self._spans: list[tuple[int, int, Key]] = []  # where each drawn key is, for the mouse

    def on_mount(self) -> None:
        self.screen.bindings_updated_signal.subscribe(self, self._bindings_changed)

    def on_unmount(self) -> None:
        self.screen.bindings_updated_signal.unsubscribe(self)

    def _bindings_changed(self, screen: Screen[object]) -> None:
        self.refresh()

    def keys(self) -> tuple[list[Key], list[Key]]:
        """The keys to show, in binding order, and the ones pinned to the right."""
        shown: list[Key] = []
        pinned: list[Key] = []
        actions: set[str] = set()
        for node, binding, enabled, _tooltip in self.screen.active_bindings.values():
            if binding.action in actions:  # one entry per action, as its first key
                continue
            palette = self.app.ENABLE_COMMAND_PALETTE and binding.key == self.app.COMMAND_PALETTE_BINDING
            if not (binding.show or palette):
                continue
            actions.add(binding.action)
            words = getattr(node, "binding_description", None)
            now = words(binding) if callable(words) else None  # a key whose words follow the state
            shown_as = replace(binding, description=now) if now else binding
            key = Key(shown_as, self.app.get_key_display(binding), enabled)
            (pinned if palette or binding.action in PINNED else shown).append(key)
        return shown, pinned

    def render(self) -> RenderResult:
        shown, pinned = self.keys()
        key_style = self.get_component_rich_style("key-bar--key", partial=True)
        text_style = self.get_component_rich_style("key-bar--description", partial=True)

        def piece(key: Key) -> Text:
            dim = Style.null() if key.enabled else Style(dim=True)
            return Text.assemble((f" {key.label} ", key_style + dim), (f"{key.binding.description} ", text_style + dim))

        right: list[tuple[Key | None, Text]] = [(key, piece(key)) for key in pinned]
        room = self.size.width - sum(text.cell_len for _, text in right)
        left: list[tuple[Key | None, Text]] = []
        for key in shown:
            text = piece(key)
            if text.cell_len > room:
                break
            left.append((key, text))
            room -= text.cell_len
        line = Text(no_wrap=True, overflow="crop", end="")
        self._spans = []
        for owner, text in [*left, (None, Text(" " * max(0, room))), *right]:
            if owner is not None:
                self._spans.append((line.cell_len, line.cell_len + text.cell_len, owner))
            line.append_text(text)
        return line

    def on_mouse_down(self, event: events.MouseDown) -> None:
        for start, end, key in self._spans:
            if start <= event.x < end:
                if key.enabled:
                    self.app.simulate_key(key.binding.key)
                else:
                    self.app.bell()
                return
