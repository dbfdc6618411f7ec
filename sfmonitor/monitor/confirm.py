"""The close/abort question, in one wording for the command line's prompt and the dashboard's
confirmation: what will happen (one set of words per API), in which org, whether it is production,
and when a y is not enough (the job id's last 4 characters are typed instead).

Also the words of a read-only org's refusal, which both refuse with.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..bulk.models import Action, Job, JobKind
from ..text import inert

TYPED = 4  # how many of the job id's last characters a careful confirmation wants typed


CLOSE_SUMMARY = "Bulk 1.0: state Closed, no more batches; Bulk 2.0 ingest: upload complete"  # where no job is known


def verb(action: Action, job: Job) -> str:
    """What the request does, in the protocol's words: a Bulk 1.0 close sets the job's state to
    Closed (no more batches will come); a Bulk 2.0 ingest close marks its upload complete."""
    if action is Action.ABORT:
        return "Abort"
    return "Close (state Closed: no more batches)" if job.kind is JobKind.CLASSIC else "Close (upload complete)"


def production_of(setting: bool | None, sandbox: bool | None) -> bool | None:
    """Whether the org is production: the config file's ``production`` wins over the org's own
    ``Organization.IsSandbox``; None when neither says."""
    if setting is not None:
        return setting
    return None if sandbox is None else not sandbox


def needs_typed(production: bool | None) -> bool:
    """Whether y is not enough: production, or not known to be a sandbox (the careful answer)."""
    return production is not False


def expected(job: Job) -> str:
    """What a careful confirmation wants typed: the job id's last 4 characters."""
    return job.id[-TYPED:]


def production_mark(production: bool | None) -> str:
    """The words that mark an org as production, shown wherever it is named before an action."""
    if production is True:
        return "PRODUCTION"
    return "" if production is False else "not known to be a sandbox"


def read_only_refusal(org: str, why: str | None) -> str:
    """Why a read-only org's job is not closed or aborted (``why``: None for --read-only)."""
    if why:
        return f"{org} is read-only ({why}): its jobs cannot be closed or aborted"
    return "sfmonitor runs read-only (--read-only): jobs cannot be closed or aborted"


@dataclass(frozen=True)
class Question:
    """The question before a close or abort. ``title``: one line; ``details``: (name, value) lines,
    the org first when named; ``typed``: what must be typed to confirm ("" when y is enough)."""

    title: str
    details: list[tuple[str, str]]
    typed: str
    production: bool | None

    @property
    def careful_words(self) -> str:
        """Why typing is asked, for the line that asks it."""
        return "A PRODUCTION org" if self.production is True else "An org not known to be a sandbox"

    def prompt(self) -> str:
        """The command line's prompt (the details are printed above it)."""
        if self.typed:
            return (f"{self.title} {self.careful_words}: type the job id's last {TYPED} characters "
                    f"({inert(self.typed)}) to confirm: ")  # fmt: skip
        return f"{self.title} [y/N] "

    def typed_hint(self) -> str:
        """The dashboard's line over the box the characters are typed in."""
        return f"{self.careful_words}: type the job id's last {TYPED} characters ({inert(self.typed)}) and enter."


def question(job: Job, action: Action, org: str | None, production: bool | None) -> Question:
    """The question for ``action`` on ``job`` in ``org`` (its name as shown; None: one unnamed org)."""
    where = " in a PRODUCTION org" if production is True else ""
    mark = production_mark(production)
    records = "-" if job.number_records_processed is None else f"{job.number_records_processed:,}"
    named = [("Org", inert(org) + (f"  {mark}" if mark else ""))] if org else []
    return Question(
        f"{verb(action, job)} this job{where}?",
        [
            *named,
            ("Job", inert(job.id)),
            ("Object", f"{inert(job.object)} ({inert(job.operation)})"),
            ("API", job.kind.label),
            ("State", inert(job.state)),
            ("Records", f"{records} processed so far"),
        ],
        expected(job) if needs_typed(production) else "",
        production,
    )
