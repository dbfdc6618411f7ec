"""What the app's workers do for one org: connect, poll, read the limits, close or abort, read or
export failures, read past runs from the history (in a thread: that read blocks).
Each reports by posting a message; none touches a widget or the org's model (the
app applies the messages on its own loop turn, so a late answer cannot race a redraw). The failure
read's model changes are the exception: the report is changed on the loop, between chunks."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Collection
from pathlib import Path
from urllib.parse import urlsplit

from textual.message import Message

from ..bulk.errors import ActionOutcomeUnknown, BulkError
from ..bulk.failure_export import export_note, new_file, why_not_written
from ..bulk.failure_reader import read_failures
from ..bulk.failures import FailureReport
from ..bulk.models import Action, Job
from ..bulk.service import BulkService
from ..config.connection import ConnectionOptions, signed_in
from ..monitor.poller import Poller
from ..monitor.usual import Key, PastRun, PastRuns
from ..store.schema import StoreError
from ..text import inert
from .messages import (
    ActionDone,
    ActionFailed,
    Connected,
    FailuresExported,
    FailuresProgress,
    FailuresRead,
    FirstRows,
    LimitsRead,
    OrgMessage,
    PollDone,
    PollFailed,
    SignInFailed,
    UsualsRead,
)

log = logging.getLogger(__name__)

Post = Callable[[Message], object]


def poster(org_key: str, post: Post) -> Post:
    """How a worker for one org reports (``post``: the app's ``post_message``): its messages carry
    the org's key."""

    def stamped(message: Message) -> object:
        if isinstance(message, OrgMessage):
            message.org = org_key
        return post(message)

    return stamped


async def connect(options: ConnectionOptions, post: Post, *, ask_sandbox: bool = True) -> None:
    try:
        service = await signed_in(options)
    except BulkError as exc:
        post(PollFailed.of(exc))
        return
    sandbox = await service.is_sandbox() if ask_sandbox else None  # production or not decides the confirmation
    post(Connected(service, service.username or urlsplit(service.instance_url).hostname, sandbox))


async def sign_in(options: ConnectionOptions, post: Post) -> None:
    """An attached org's own sign-in (its close, abort and failures go to the org with it): nothing
    else is asked of the org (whether it is production comes from the config or the recorder)."""
    try:
        service = await signed_in(options)
    except BulkError as exc:
        post(SignInFailed(str(exc)))
        return
    except Exception as exc:  # a bug must not take the dashboard down; the log has the trace
        log.exception("sign-in failed")
        post(SignInFailed(f"unexpected {type(exc).__name__}; see the log"))
        return
    post(Connected(service, service.username or urlsplit(service.instance_url).hostname))


async def poll(
    poller: Poller,
    cycle: int,
    watch: set[str],
    post: Post,
    *,
    first: bool,
    full: bool = False,
    look: bool = False,
    backfill: int | None = None,
    first_reads: Collection[Job] = (),
) -> None:
    """One cycle. ``first``: the org's first, whose rows are shown as they come, before the cycle
    ends (the first page of the listing, then each live job as it is listed and read: the first
    screen shows the org's work with its counts, not a blank table or the listing's dashes);
    ``look``: an idle org's poll, which lists the org; ``backfill``: history reads the API budget
    allows (Schedule.backfill); ``first_reads``: the jobs remembered as running, read first."""

    def on_progress(jobs: dict[str, Job]) -> None:
        post(FirstRows(jobs))

    try:
        snapshot = await poller.cycle(
            watch=watch,
            full=full,
            on_progress=on_progress if first else None,
            look=look,
            backfill=backfill,
            first_reads=first_reads,
        )
    except BulkError as exc:
        post(PollFailed.of(exc))
    except Exception as exc:  # a bug must not take the dashboard down; the log has the trace
        log.exception("poll cycle failed")
        post(PollFailed(f"unexpected {type(exc).__name__}; see the log"))
    else:
        post(PollDone(snapshot, cycle))


async def read_limits(service: BulkService, post: Post) -> None:
    try:
        post(LimitsRead(await service.limits()))
    except BulkError as exc:
        log.info("limits not read: %s", exc)


async def act(service: BulkService, job: Job, action: Action, post: Post) -> None:
    """Send one close or abort; the answer, a refusal or an unknown outcome comes back as a message."""
    try:
        done = await service.act(job, action)
    except ActionOutcomeUnknown as exc:
        post(ActionFailed(job, action, str(exc), unknown=True))
    except BulkError as exc:
        post(ActionFailed(job, action, str(exc)))
    except Exception as exc:
        log.exception("%s of %s failed", action.value, job.id)
        post(ActionFailed(job, action, f"unexpected {type(exc).__name__}; see the log", unknown=True))
    else:
        post(ActionDone(done, action, job.state))


PROGRESS_EVERY_S = 0.25  # the Failures view redraws at most this often while a big file is read


async def failures(service: BulkService, job: Job, report: FailureReport, post: Post) -> None:
    """Bring the job's failure report up to date (it is changed on the loop, between chunks)."""
    last = [0.0]

    def progress(_: FailureReport) -> None:
        now = time.monotonic()
        if now - last[0] >= PROGRESS_EVERY_S:
            last[0] = now
            post(FailuresProgress(job.id))

    try:
        await read_failures(service, job, report, progress=progress)
    except BulkError as exc:
        post(FailuresRead(job.id, str(exc)))
    except Exception as exc:
        log.exception("reading the failures of %s failed", job.id)
        report.error = f"unexpected {type(exc).__name__}; see the log"
        post(FailuresRead(job.id, report.error))
    else:
        post(FailuresRead(job.id))


async def export_failures(service: BulkService, job: Job, path: Path, post: Post) -> None:
    """Every failed row to a new CSV file (``path``, or the next free name beside it), streamed as it
    is read (a fresh read: the report keeps only samples); the file appears only once whole."""
    fresh = FailureReport.for_job(job)
    try:
        with new_file(path) as (export, written):
            await read_failures(service, job, fresh, sink=export)
            export.finish(fresh)
    except OSError as exc:
        post(FailuresExported(job.id, "", why_not_written(path, exc)))
    except BulkError as exc:
        post(FailuresExported(job.id, "", str(exc)))
    except Exception as exc:
        log.exception("exporting the failures of %s failed", job.id)
        post(FailuresExported(job.id, "", f"unexpected {type(exc).__name__}; see the log"))
    else:
        post(FailuresExported(job.id, export_note(export, written)))


_SAID: set[str] = set()  # why the history could not be read, as logged (each cause once a session)
_SAID_LOCK = threading.Lock()


def past_runs(read: PastRuns, org_key: str, keys: list[Key], before: float, post: Post) -> None:
    """In a thread (the read blocks): each object and operation's past runs, or why they were not read,
    in one message (one redraw)."""
    found: dict[Key, list[PastRun] | str] = {}
    for key in keys:
        try:
            found[key] = list(read(org_key, key[0], key[1], before))
        except StoreError as exc:  # the history cannot be read: its words, one line per cause (no trace)
            found[key] = why = inert(str(exc))  # the store's words: they are whole
            with _SAID_LOCK:  # once a session: reads already under way when the fault is known say it too
                first = why not in _SAID and len(_SAID) < 100
                _SAID.add(why)
            if first:
                log.warning("past runs not read: %s", why)
        except Exception as exc:  # a bug must not take the dashboard down; the log has the trace
            log.warning("past runs of %s %s not read", *key, exc_info=True)
            found[key] = inert(str(exc) or type(exc).__name__)
    post(UsualsRead(found))
