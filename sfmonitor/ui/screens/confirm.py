"""A yes/no question before anything destructive: starts on No; y confirms, n or esc cancels. In a
production org (or one not known to be a sandbox) the operator types the job id's last 4 characters
instead: a y typed by habit sends nothing."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Static

from ...bulk.models import Action, Job
from ...monitor.confirm import TYPED, question


class ConfirmScreen(ModalScreen[bool]):
    DEFAULT_CSS = """
    ConfirmScreen { align: center middle; }
    ConfirmScreen > Vertical {
        width: 64; max-width: 95%; height: auto; padding: 1 2;
        border: thick $error; background: $surface;
    }
    ConfirmScreen #question { text-style: bold; margin-bottom: 1; }
    ConfirmScreen Horizontal { height: auto; margin-top: 1; align-horizontal: right; }
    ConfirmScreen Button { margin-left: 2; }
    """
    BINDINGS = [
        Binding("y", "answer(True)", "Yes", id="confirm.yes"),
        Binding("n", "answer(False)", "No", id="confirm.no"),
        Binding("escape", "answer(False)", "Cancel", id="confirm.cancel"),
    ]

    def __init__(
        self,
        question: str,
        details: list[tuple[str, str]],
        typed: str = "",
        colours: dict[str, str] | None = None,
        hint: str = "",
    ) -> None:
        super().__init__()
        self.question = question
        self.details = details
        self.colours = colours or {}  # detail name -> the style of its value (the org in its colour)
        self.typed = typed  # what must be typed to confirm ("" : y is enough)
        self.typed_hint = hint  # the line over the box the characters are typed in

    @classmethod
    def for_action(
        cls, job: Job, action: Action, production: bool | None = False, org: tuple[str, str | None] | None = None
    ) -> ConfirmScreen:
        """The question before a close or abort (monitor.confirm's words, the command line's too): in
        which org (its name in its colour, PRODUCTION marked), which job, of which API, in which state,
        how far. Production, or not known to be a sandbox: confirmed by typing the job id's last 4
        characters."""
        asked = question(job, action, org[0] if org else None, production)
        colours = {"Org": f"bold {org[1]}"} if org and org[1] else {}
        return cls(asked.title, asked.details, asked.typed, colours, asked.typed_hint() if asked.typed else "")

    def compose(self) -> ComposeResult:
        lines = Text()
        for name, value in self.details:
            lines.append(f"{name:<10}", style="bold")
            lines.append(value + "\n", style=self.colours.get(name, ""))
        with Vertical():
            yield Static(Text(self.question), id="question")
            yield Static(lines, id="details")
            if self.typed:
                yield Static(Text(self.typed_hint), id="production")
                yield Input(
                    placeholder=f"last {TYPED} characters of the job id", id="typed", max_length=len(self.typed)
                )
            with Horizontal():
                yield Button("No (n, esc)", id="no", variant="primary")
                yield Button("Yes (type, enter)" if self.typed else "Yes (y)", id="yes", variant="error")

    def on_mount(self) -> None:
        if self.typed:
            self.query_one("#typed", Input).focus()
        else:
            self.query_one("#no", Button).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if event.value == self.typed:
            self.dismiss(True)
        else:
            self.query_one("#production", Static).update(
                Text(f"That is not {self.typed}: type the job id's last {TYPED} characters, or esc to cancel.")
            )
            event.input.value = ""

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "yes" and self.typed:
            self.query_one("#typed", Input).focus()  # production: typed, not clicked
            return
        self.dismiss(event.button.id == "yes")

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        return not (action == "answer" and parameters == (True,) and self.typed)  # production: y alone is not enough

    def action_answer(self, answer: bool) -> None:
        self.dismiss(answer)
