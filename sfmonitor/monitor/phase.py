"""A job's phase: the one rule the dashboard, ``status``, ``wait``, alerts and the totals line all use.

- ``waiting``: only its client can move it. A Bulk 2.0 ingest job still ``Open`` (no upload marked
  complete) for longer than :data:`CLIENT_WAIT_S`; a Bulk 1.0 job ``Open`` whose batches have all
  finished (nobody has closed it) with nothing new for that long — a client that adds its batches one
  at a time is not waited on between two of them — or ``Open`` with no batch at all for that long.
- ``running``: the org is working on it, or will without anyone acting (2.0 ``UploadComplete`` or
  ``InProgress``; a 1.0 job with a batch ``Queued`` or ``InProgress``), and a job just created whose
  client is still within the threshold (its upload is likely under way).
- ``ended``: nothing more will happen (:attr:`Job.finished`, from the ended-state sets of
  :mod:`sfmonitor.bulk.models`: 2.0 ``JobComplete``/``Failed``/``Aborted``; 1.0 ``Aborted``/``Failed``,
  or ``Closed`` with every batch ``Completed``, ``Failed`` or ``NotProcessed`` — a PK-chunked query's
  original batch is ``NotProcessed`` by design). An ended job has an :class:`Outcome`.
- ``unknown``: the job was listed, not read, and the listing lacks what its phase hangs on. A Bulk 2.0
  listing row carries the state and creation time, so a 2.0 job's phase is always known; a Bulk 1.0
  row carries no batch counts, so an ``Open`` or ``Closed`` 1.0 job is unknown until its job info (or
  batch list) is read. It is never guessed.

Textual-free and clock-injected: ``now`` is seconds since the epoch (the local clock).
"""

from __future__ import annotations

import enum
from collections import Counter
from collections.abc import Iterable, Mapping

from ..bulk.models import ENDED_BADLY, Job, JobKind

CLIENT_WAIT_S = 180.0  # an Open job this old with nothing sent (a 2.0 upload, a 1.0 batch) waits on its client


class Phase(enum.Enum):
    WAITING = "waiting"
    RUNNING = "running"
    ENDED = "ended"
    UNKNOWN = "unknown"


class Outcome(enum.Enum):
    OK = "ok"
    RECORDS_FAILED = "records-failed"
    FAILED = "failed"  # the job ended Failed, or a Bulk 1.0 batch failed as a whole (its records not loaded)
    ABORTED = "aborted"


NO_UPLOAD = "no upload"
NO_BATCHES = "no batches"
CLOSE_IT = "close it?"
# why a job waits on its client (the words a row and an alert show) -> the sentence that explains them
REASONS = {
    NO_UPLOAD: "Open with no upload closed: the client has not set it UploadComplete",
    NO_BATCHES: "Open with no batch added: the client has sent nothing, nor closed it",
    CLOSE_IT: "Open with every batch done for minutes: nobody has closed it (set its state to Closed)",
}


def known(job: Job) -> bool:
    """Whether the job's values decide its phase (see the module's ``unknown``)."""
    if job.kind is not JobKind.CLASSIC or job.finished:
        return True
    return job.batch_summary is not None or job.number_batches_total is not None


def pending_batches(job: Job) -> int:
    """A Bulk 1.0 job's batches not finished yet (Queued, InProgress): from its batch list, else its counters."""
    if job.batch_summary is not None:
        return job.batch_summary.pending
    return (job.number_batches_queued or 0) + (job.number_batches_in_progress or 0)


def _batch_total(job: Job) -> int:
    return job.batch_summary.total if job.batch_summary is not None else job.number_batches_total or 0


def waiting_on_client(job: Job, now: float) -> str | None:
    """Why the job waits on its client (a key of :data:`REASONS`), or None if it does not (or its
    phase is not known yet)."""
    if job.finished or job.state != "Open" or not known(job):
        return None
    created = job.created_date.timestamp() if job.created_date else None
    old = created is not None and now - created >= CLIENT_WAIT_S
    if job.kind is JobKind.CLASSIC:
        if _batch_total(job) == 0:
            return NO_BATCHES if old else None
        if pending_batches(job) > 0:
            return None
        quiet = _last_change(job)
        return CLOSE_IT if quiet is not None and now - quiet >= CLIENT_WAIT_S else None
    if job.kind is JobKind.INGEST:
        return NO_UPLOAD if old else None
    return None  # a 2.0 query job has no upload (and is never Open)


def _last_change(job: Job) -> float | None:
    """When a Bulk 1.0 job last moved: its newest batch's or its own ``systemModstamp``, else its creation."""
    moments = [b.system_modstamp for b in job.batches or () if b.system_modstamp is not None]
    moments += [m for m in (job.system_modstamp, job.created_date) if m is not None]
    return max(moment.timestamp() for moment in moments) if moments else None


def phase(job: Job, now: float) -> Phase:
    if job.finished:
        return Phase.ENDED
    if not known(job):
        return Phase.UNKNOWN
    return Phase.WAITING if waiting_on_client(job, now) else Phase.RUNNING


def ended(job: Job) -> bool:
    """Nothing more will happen to the job (its phase is ``ended``; no clock needed to know it)."""
    return job.finished


def failed_batches(job: Job) -> int:
    if job.kind is not JobKind.CLASSIC:
        return 0
    if job.batch_summary is not None:
        return job.batch_summary.failed
    return job.number_batches_failed or 0


def outcome(job: Job) -> Outcome | None:
    """How an ended job ended; None while it has not."""
    if not job.finished:
        return None
    if job.state == "Aborted":
        return Outcome.ABORTED
    if job.state in ENDED_BADLY or failed_batches(job) > 0:
        return Outcome.FAILED
    if (job.number_records_failed or 0) > 0:
        return Outcome.RECORDS_FAILED
    return Outcome.OK


def failures_unknown(job: Job) -> bool:
    """An ended load (a Bulk 2.0 ingest job, or any Bulk 1.0 job) whose ``numberRecordsFailed`` the org
    gave as no number (null, absent, not a count): whether records failed is not known, and it is not
    "none". A 2.0 query job has no such count."""
    return job.finished and job.kind is not JobKind.QUERY and job.number_records_failed is None


def ended_badly(job: Job) -> bool:
    """The job ended ``failed`` or ``aborted`` (records were left unprocessed)."""
    return outcome(job) in (Outcome.FAILED, Outcome.ABORTED)


def tally(jobs: Mapping[str, Job], rows: Iterable[str], now: float) -> Counter[Phase]:
    """How many of the jobs ``rows`` (keys of ``jobs``) are in each phase."""
    return Counter(phase(jobs[row], now) for row in rows if row in jobs)


def working(jobs: Mapping[str, Job], rows: Iterable[str], now: float) -> tuple[int, int]:
    """Of the jobs ``rows``: how many are running and how many wait on their client (a job whose
    phase is unknown is neither)."""
    counts = tally(jobs, rows, now)
    return counts[Phase.RUNNING], counts[Phase.WAITING]


def as_json(job: Job, now: float) -> dict[str, str | None]:
    """``phase``, ``outcome`` and ``waitingOnClient`` for a job's JSON (status, wait)."""
    ending = outcome(job)
    return {
        "phase": phase(job, now).value,
        "outcome": ending.value if ending else None,
        "waitingOnClient": waiting_on_client(job, now),
    }
