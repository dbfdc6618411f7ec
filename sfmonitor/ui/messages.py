"""What happened, as data, posted to the app, which routes it. Two kinds:

- a worker's report about one org (:class:`OrgMessage`: connected, polled, the first poll's rows so far, a failed
  poll, the limits, a close/abort answered or refused, more of a job's failures read, all of them
  read, the failures exported, the past runs of an object and operation read);
- a screen's request (open a job or its failures, the filter, the sort, the next org).

The app pushes the result to the screens through its signals (ui/screens/base.py), not messages."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from textual.message import Message

from ..bulk.errors import BulkError
from ..bulk.models import Action, Job, Limit
from ..bulk.service import BulkService
from ..monitor.org import PollFailure
from ..monitor.poller import Snapshot
from ..monitor.usual import Key, PastRun


class OrgMessage(Message):
    """A worker's report about one org: its poster (org_workers.poster) stamps the org's key on it."""

    org: str = ""


@dataclass
class Connected(OrgMessage):
    service: BulkService
    name: str | None  # the org as the header names it: its user name, else its host
    sandbox: bool | None = None  # Organization.IsSandbox (None: not read)


@dataclass
class PollDone(OrgMessage):
    snapshot: Snapshot
    cycle: int  # OrgState.poll_started's number for the cycle


@dataclass
class FirstRows(OrgMessage):
    """The first poll's rows so far (listed, with the reads made so far over them): shown while the
    rest of the org is read. One still queued when a newer one comes is dropped (the newer has it all)."""

    jobs: dict[str, Job]

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, type(self)) and message.org == self.org


@dataclass
class PollFailed(OrgMessage):
    error: str
    limit_reached: bool = False
    sign_in: bool = False  # the org refused the token, or none could be had: retry slowly

    @classmethod
    def of(cls, error: BulkError) -> PollFailed:
        """The failure in words, and what it means for the next try (monitor.org.PollFailure's rule)."""
        failure = PollFailure.of(error)
        return cls(failure.error, limit_reached=failure.limit_reached, sign_in=failure.sign_in)


@dataclass
class LimitsRead(OrgMessage):
    limits: dict[str, Limit]


@dataclass
class ActionDone(OrgMessage):
    job: Job
    action: Action
    before: str


@dataclass
class ActionFailed(OrgMessage):
    job: Job
    action: Action
    error: str
    unknown: bool = False


@dataclass
class Recalled(OrgMessage):
    """What the history file remembers of the org (its newest jobs), read off the event loop at start."""

    jobs: dict[str, Job]
    polled_at: float | None  # when a recording process last polled it (seconds since the epoch)
    seen: dict[str, float]  # job id -> when it was last seen in the org


@dataclass
class HistoryFault(Message):
    """The history file cannot be used (said once; the dashboard goes on without history)."""

    why: str


class ShowLeft(Message):
    """H: show or hide the remembered jobs that left their org."""


@dataclass
class OpenJob(Message):
    job_id: str
    org: str = ""  # the org that holds the job


@dataclass
class FilterChanged(Message):
    text: str


class CycleSort(Message):
    pass


class NextOrg(Message):
    """o: all orgs, then each org in turn."""


@dataclass
class OpenFailures(Message):
    job_id: str
    org: str = ""  # the org that holds the job


@dataclass
class FailuresProgress(OrgMessage):
    """More of a job's failures were read (the report itself is the org model's). The worker sends
    these at most every PROGRESS_EVERY_S; any still queued when a newer one comes are dropped."""

    job_id: str

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, type(self)) and (message.org, message.job_id) == (self.org, self.job_id)


@dataclass
class FailuresRead(OrgMessage):
    job_id: str
    error: str = ""  # the read failed: why


@dataclass
class FailuresExported(OrgMessage):
    job_id: str
    note: str  # "1,203 failed rows written to …"
    error: str = ""


@dataclass
class UsualsRead(OrgMessage):
    """The past runs of some objects and operations, read from the history off the loop: each key's
    runs, or why its read failed."""

    runs: dict[Key, list[PastRun] | str]


@dataclass
class RecorderHello(Message):
    """A recorder's feed is (again) connected: ``orgs``, the history names of the orgs it records."""

    url: str
    orgs: frozenset[str]


@dataclass
class RecorderEvent(Message):
    """One org event of a recorder's feed (monitor/feed.py), in the order it came."""

    url: str
    event: Mapping[str, Any]


@dataclass
class RecorderLost(Message):
    """A recorder's feed is lost (or could not be had), in words; it is tried again on its own."""

    url: str
    words: str


@dataclass
class SignInFailed(OrgMessage):
    """An attached org's own sign-in (for a close, an abort or a failures read) failed, in words."""

    error: str
