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

from ...bulk.models import Action, Job, JobKind
from ...text import inert


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
        self, question: str, details: list[tuple[str, str]], typed: str = "", colours: dict[str, str] | None = None
    ) -> None:
        super().__init__()
        self.question = question
        self.details = details
        self.colours = colours or {}  # detail name -> the style of its value (the org in its colour)
        self.typed = typed  # what must be typed to confirm ("" : y is enough)

    @classmethod
    def for_action(
        cls, job: Job, action: Action, careful: bool = False, org: tuple[str, str | None] | None = None
    ) -> ConfirmScreen:
        """The question before a close or abort: in which org (its name in its colour), which job, of
        which API, in which state, how far. ``careful`` (production): confirmed by typing the job id's
        last 4 characters."""
        if action is Action.CLOSE:
            verb = "Close (state Closed: no more batches)" if job.kind is JobKind.CLASSIC else "Close (upload complete)"
        else:
            verb = "Abort"
        records = "-" if job.number_records_processed is None else f"{job.number_records_processed:,}"
        details = [("Org", inert(org[0]))] if org else []
        return cls(
            f"{verb} this job?",
            [
                *details,
                ("Job", inert(job.id)),
                ("Object", f"{inert(job.object)} ({inert(job.operation)})"),
                ("API", job.kind.label),
                ("State", inert(job.state)),
                ("Records", f"{records} processed so far"),
            ],
            typed=job.id[-4:] if careful else "",
            colours={"Org": f"bold {org[1]}"} if org and org[1] else {},
        )

    def compose(self) -> ComposeResult:
        lines = Text()
        for name, value in self.details:
            lines.append(f"{name:<10}", style="bold")
            lines.append(value + "\n", style=self.colours.get(name, ""))
        with Vertical():
            yield Static(Text(self.question), id="question")
            yield Static(lines, id="details")
            if self.typed:
                yield Static(Text(f"A production org: type the job id's last 4 characters ({self.typed}) and enter."),
                             id="production")  # fmt: skip
                yield Input(placeholder="last 4 characters of the job id", id="typed", max_length=len(self.typed))
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
                Text(f"That is not {self.typed}: type the job id's last 4 characters, or esc to cancel.")
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
