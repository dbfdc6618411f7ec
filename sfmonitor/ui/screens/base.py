"""What the dashboard's screens share. The app publishes its board (ui/view.py) through a Textual
``Signal`` after each change; a screen subscribes on mount and draws what concerns it, and says which
job the keys act on. The app routes; it never asks a screen's type."""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar, Protocol, TypeVar, cast

from textual.css.query import NoMatches
from textual.dom import DOMNode
from textual.screen import Screen
from textual.signal import Signal

from ...monitor.org import Org
from ..view import Board, View

T = TypeVar("T")


class Stage(Protocol):
    """What a screen asks of the app (ui/app.py's SfMonitorApp, which a line there checks)."""

    board_changed: Signal[Board]  # every change: the whole board
    failures_changed: Signal[tuple[str, View]]  # more of a job's failures read: (job id, its org's view)

    def render_view(self) -> None: ...  # publish the board now (a screen's first drawing)
    def sign_in_then(self, org: Org, then: Callable[[], object], *, asked: bool = False) -> bool: ...


def stage(node: DOMNode) -> Stage:
    return cast(Stage, node.app)


def _raise(error: Exception) -> None:
    raise error


class BoardScreen(Screen[None]):
    """A screen the board is published to."""

    HELP_TITLE: ClassVar[str] = "jobs"  # "Keys: …" in its help
    HELP_COLUMNS: ClassVar[tuple[tuple[str, str], ...]] = ()  # what its figures mean, in its help
    OFFERS_ACTIONS: ClassVar[bool] = True  # close and abort may be used here

    def on_mount(self) -> None:
        stage(self).board_changed.subscribe(self, self._board_changed, immediate=True)

    def on_unmount(self) -> None:  # a closed screen is let go of now, not at the next publish
        stage(self).board_changed.unsubscribe(self)

    def _board_changed(self, board: Board) -> None:
        self.deliver(self.draw, board)

    def deliver(self, draw: Callable[[T], None], data: T) -> None:
        """Draw what a signal brought. A signal would log a drawing error and go on, leaving the screen
        silently stale: it crashes loudly instead, as a message handler does."""
        try:
            draw(data)
        except NoMatches:  # a late answer while the app closes: the widgets are gone already
            pass
        except Exception as error:
            self.app.call_next(_raise, error)

    def draw(self, board: Board) -> None:
        raise NotImplementedError

    def picked(self) -> tuple[str, str] | None:
        """The org key and job id the keys act on here, if any."""
        return None


class JobScreen(BoardScreen):
    """A screen of one job: it draws its org's view."""

    READ_IN_FULL: ClassVar[bool] = False  # its job is read in full (batch list included) every poll

    def __init__(self, job_id: str, org: str = "") -> None:
        super().__init__()
        self.job_id = job_id
        self.org_key = org  # the org that holds the job

    def draw(self, board: Board) -> None:
        if self.org_key in board.orgs:
            self.show(board.orgs[self.org_key])

    def show(self, view: View) -> None:
        raise NotImplementedError

    def picked(self) -> tuple[str, str] | None:
        return self.org_key, self.job_id
