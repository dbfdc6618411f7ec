"""Every key of the screen below, generated from its live bindings (so it never drifts)."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import Static

from ...text import inert


def key_rows(screen: Screen[object]) -> list[tuple[str, str, str]]:
    """(keys, what it does, note) for every binding active on ``screen``; greyed keys say so."""
    rows: dict[str, tuple[str, str, str, bool]] = {}
    for key, active in screen.active_bindings.items():
        binding = active.binding
        if not binding.description or binding.system:
            continue
        name = binding.id or binding.action
        keys = screen.app.get_key_display(Binding(key, binding.action))
        note = "" if active.enabled else "not now for this job"
        if name in rows:
            keys = f"{rows[name][0]}, {keys}"
        rows[name] = (keys, binding.description, note, bool(binding.id))
    ours = sorted((r for r in rows.values() if r[3]), key=lambda row: row[1].lower())
    theirs = sorted((r for r in rows.values() if not r[3]), key=lambda row: row[1].lower())
    divider = [("", "Textual's own keys:", "")] if theirs else []
    return [(k, d, n) for k, d, n, _ in ours] + divider + [(k, d, n) for k, d, n, _ in theirs]


class HelpScreen(ModalScreen[None]):
    DEFAULT_CSS = """
    HelpScreen { align: center middle; }
    HelpScreen > VerticalScroll {
        width: 70; max-width: 95%; height: auto; max-height: 90%; padding: 1 2;
        border: thick $primary; background: $surface;
    }
    """
    BINDINGS = [
        Binding("escape,q,question_mark", "dismiss", "Close help", id="help.close"),
    ]

    def __init__(
        self,
        title: str,
        rows: list[tuple[str, str, str]],
        columns: tuple[tuple[str, str], ...] = (),
        notes: tuple[str, ...] = (),
        calls: tuple[tuple[str, str], ...] = (),
    ) -> None:
        super().__init__()
        self.calls = calls  # (org, what its API calls of the last hour went to)
        self.notes = notes  # lines under the keys: how desktop notifications travel here
        self.title_text = title
        self.rows = rows
        self.columns = columns  # what the screen's figures mean, where the column name alone does not say

    def compose(self) -> ComposeResult:
        table = Table(title=self.title_text, show_edge=False, expand=True)
        table.add_column("Key", style="bold", no_wrap=True)
        table.add_column("Does")
        table.add_column("", style="dim")
        for keys, description, note in self.rows:
            style = "dim italic" if not keys else ""
            table.add_row(Text(keys), Text(description, style=style), Text(note))
        with VerticalScroll():
            yield Static(table)
            if self.columns:
                figures = Table(title="Columns", show_edge=False, expand=True, show_header=False)
                figures.add_column("Column", style="bold", no_wrap=True)
                figures.add_column("Means")
                for name, means in self.columns:
                    figures.add_row(Text(name), Text(means))
                yield Static(figures)
            if self.calls:
                spent = Table(title="sfmonitor's API calls, last hour", show_edge=False, expand=True, show_header=False)
                spent.add_column("Org", style="bold", no_wrap=True)
                spent.add_column("Calls")
                for org, words in self.calls:
                    spent.add_row(Text(inert(org)), Text(words))
                yield Static(spent, id="calls")
            for note in self.notes:
                yield Static(Text(note))
            yield Static(Text("ctrl+p opens the command palette with the same actions · esc closes", style="dim"))
