"""Which reads a poll cycle needs: a job is read only when it may have changed.

Every rule of API economy lives here, as pure functions over what the last cycles saw:

- The Bulk 2.0 listing carries every job's state and ``systemModstamp`` each cycle. A Bulk 2.0 job
  that is ``Open`` or ``UploadComplete`` and whose listing row did not change has nothing new to read.
- A job whose counters moved at a steady pace over its last reads is read every ``STRETCH`` cycles,
  not every cycle (its counts are then never older than two intervals); any change of its listing
  row other than the modstamp (a new state, an error) snaps it back to every cycle.
- A Bulk 1.0 batch list is read when the job info's batch counters changed since the last batch
  list, while the job's detail is open, and once when the job has ended.
- The org's first cycle reads a job a listing page shows as live (not ended) as soon as that page
  arrives, while the listing goes on: it would be read in that cycle anyway, and the first screen
  shows the org's work with its counts without waiting for a long history to be listed.
- Each listing (ingest, query) is read in a cycle only when it saves more job reads than its pages
  cost, and otherwise every few cycles to find new jobs (a large org's, whose listing takes many
  pages, less often). A job with no fresh listing row this cycle is read: nothing says it is quiet.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ..bulk.models import Job, JobKind

STRETCH = 2  # a steadily moving job is read every this many cycles
STEADY_TOLERANCE = 0.67  # consecutive rates within a factor of three of each other: steady
QUIET_STATES = frozenset({"Open", "UploadComplete"})  # Bulk 2.0: nothing moves until the row changes
MODSTAMP = "systemModstamp"
LISTINGS = (JobKind.INGEST, JobKind.QUERY)
DISCOVERY_CYCLES = 3  # a listing not worth its calls is still read this often, to find new jobs
LIGHT_LISTING_PAGES = 4  # a listing of more pages than this is re-read less often ...
MAX_CYCLES_BETWEEN_LISTINGS = 12  # ... down to once a minute at the 5 s interval (a 20,000-job org)


@dataclass(slots=True)
class Track:
    """What the poller remembers of one job between cycles."""

    listed: Job | None = None  # the listing row last seen
    read_cycle: int | None = None  # the cycle of the last job read
    reads: list[tuple[float, int]] = field(default_factory=list)  # the last three (at, records processed)
    batch_counters: tuple[Any, ...] | None = None  # the job info's counters at the last batch list read
    seen_in: set[JobKind] = field(default_factory=set)  # the listings that have shown it

    def read_at(self, cycle: int, at: float, processed: int | None) -> None:
        self.read_cycle = cycle
        if processed is not None:
            self.reads.append((at, processed))
            del self.reads[:-3]

    @property
    def steady(self) -> bool:
        return moving_steadily(self.reads)


def row_moved(before: Job | None, after: Job) -> bool:
    """The listing row says more than "still working": a new state, error or other field."""
    if before is None:
        return True
    return _without_modstamp(before.fields) != _without_modstamp(after.fields)


def _without_modstamp(fields: Mapping[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in fields.items() if key != MODSTAMP}


def read_due(track: Track | None, listed: Job, cycle: int, *, listing_fresh: bool, watched: bool) -> bool:
    """Whether this cycle reads the job's info (a job never read, or with no fresh row, is read)."""
    if track is None or track.read_cycle is None or watched or not listing_fresh:
        return True
    if row_moved(track.listed, listed):
        return True  # snap back
    quiet = listed.kind is not JobKind.CLASSIC and listed.state in QUIET_STATES
    if quiet and track.listed is not None and track.listed.fields.get(MODSTAMP) == listed.fields.get(MODSTAMP):
        return False
    return not (track.steady and cycle - track.read_cycle < STRETCH)


def read_on_arrival(listed: Job, *, first_cycle: bool) -> bool:
    """Whether a listing page's row is read as soon as its page arrives (see the module's first cycle)."""
    return first_cycle and not listed.finished


def skippable(track: Track | None, job: Job, cycle: int) -> bool:
    """Whether a fresh, unchanged listing row would let this cycle leave out this live job's read."""
    if track is None or track.read_cycle is None:
        return False
    quiet = job.kind is not JobKind.CLASSIC and job.state in QUIET_STATES
    return quiet or (track.steady and cycle - track.read_cycle < STRETCH)


def discovery_every(pages: int) -> int:
    """Cycles between reads of a listing that saves nothing, kept for finding new jobs."""
    if pages <= LIGHT_LISTING_PAGES:
        return DISCOVERY_CYCLES
    return max(DISCOVERY_CYCLES, min(MAX_CYCLES_BETWEEN_LISTINGS, pages // 2))


def listings_due(
    cycle: int,
    listed_at: Mapping[JobKind, int],
    pages: Mapping[JobKind, int],
    live: Iterable[tuple[Track | None, Job]],
) -> tuple[JobKind, ...]:
    """The listings this cycle reads: each one that saves more job reads than it costs in pages,
    and each one due for finding new jobs. A Bulk 1.0 job, shown by both, counts for the first."""
    live = list(live)
    due: list[JobKind] = []
    for kind in LISTINGS:
        cost = max(1, pages.get(kind, 1))
        last = listed_at.get(kind)
        if last is None or cycle - last >= discovery_every(cost):
            due.append(kind)
            continue
        saves = sum(
            1
            for track, job in live
            if skippable(track, job, cycle)
            and (job.kind is kind or (job.kind is JobKind.CLASSIC and track is not None and kind in track.seen_in
                                      and not any(k in due for k in track.seen_in)))
        )  # fmt: skip
        if saves > cost:
            due.append(kind)
    return tuple(due)


def moving_steadily(reads: list[tuple[float, int]]) -> bool:
    """The last three reads show records moving at like rates (within a factor of three), or not
    moving at all (a Bulk 1.0 job whose batches are done, waiting for more or to be closed)."""
    if len(reads) < 3:
        return False
    (t0, n0), (t1, n1), (t2, n2) = list(reads)[-3:]
    if t1 <= t0 or t2 <= t1:
        return False
    if n0 == n1 == n2:
        return True
    if n1 <= n0 or n2 <= n1:
        return False
    try:
        first, second = (n1 - n0) / (t1 - t0), (n2 - n1) / (t2 - t1)
    except OverflowError:
        return False
    return min(first, second) >= (1 - STEADY_TOLERANCE) * max(first, second)


def batch_counters(job: Job) -> tuple[Any, ...]:
    return (
        job.state,
        job.number_batches_queued,
        job.number_batches_in_progress,
        job.number_batches_completed,
        job.number_batches_failed,
        job.number_batches_total,
    )


def batches_due(track: Track | None, info: Job, *, watched: bool) -> bool:
    """Whether a Bulk 1.0 job's batch list is read after this job info."""
    if info.kind is not JobKind.CLASSIC:
        return False
    if watched or track is None or track.batch_counters is None:
        return True
    return batch_counters(info) != track.batch_counters
