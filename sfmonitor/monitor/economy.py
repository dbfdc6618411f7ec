"""Which reads a poll cycle needs: a job is read when its next change is due, not every cycle.

Every rule of API economy lives here, as pure functions over what the last cycles saw (times are
the poller's clock, handed in):

- A running job is read at least every ``STRETCH`` cycles, so its counts are never older than two
  intervals. That is all a Bulk 2.0 job needs while a listing read this cycle shows its row: the
  listing carries its state, so its end (or any change but the modstamp) is seen this cycle and
  snaps it to a read. A Bulk 2.0 job that is ``Open`` or ``UploadComplete`` and whose row did not
  change is not read at all. A job with no fresh row this cycle is read: nothing says it is quiet.
- A Bulk 1.0 job's news is a batch ending, and its batches run at their own pace: from its last
  batch list (each running batch's records and rate) and the sizes its finished batches had, the
  earliest time a running batch can end is known, and the job is read at the first cycle at or
  after it (``MARGIN_S`` early). A read that shows no batch ended rules that moment out; the next
  plausible one is then due. A new state in its listing row (closed, aborted) is read at once. An
  Open job with no batch queued or under way is not running: it is read as often as listings are
  for new jobs, to find new batches.
- A Bulk 1.0 batch list is read when the job info's batch counters changed since the last batch
  list, while the job's detail is open, and once when the job has ended.
- Each listing (ingest, query) is read in a cycle when its fresh rows spare at least as many job
  reads as its pages cost (its quiet jobs, its running jobs read last cycle), and otherwise every
  few cycles to find new jobs (a large org's, whose listing takes many pages, less often).
- The org's first cycle reads a job a listing page shows as live (not ended) as soon as that page
  arrives, while the listing goes on: it would be read in that cycle anyway, and the first screen
  shows the org's work with its counts without waiting for a long history to be listed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..bulk.models import Batch, Job, JobKind

STRETCH = 2  # a running job is read at least every this many cycles (its counts: at most two intervals old)
QUIET_STATES = frozenset({"Open", "UploadComplete"})  # Bulk 2.0: nothing moves until the row changes
MODSTAMP = "systemModstamp"
LISTINGS = (JobKind.INGEST, JobKind.QUERY)
DISCOVERY_CYCLES = 3  # a listing not worth its calls is still read this often, to find new jobs
LIGHT_LISTING_PAGES = 4  # a listing of more pages than this is re-read less often ...
MAX_CYCLES_BETWEEN_LISTINGS = 12  # ... down to once a minute at the 5 s interval (a 20,000-job org)
BATCH_RECORDS_MAX = 10_000  # Bulk 1.0: a data batch holds at most this many records
MARGIN_S = 0.5  # a batch end predicted this soon after a cycle is read in that cycle


@dataclass(frozen=True, slots=True)
class BatchView:
    """A Bulk 1.0 job's batches as its last batch list showed them: enough to say when one can end."""

    at: float  # when the batch list was read
    running: tuple[tuple[str, int, float], ...]  # each InProgress batch: id, records processed, records/s
    sizes: tuple[int, ...]  # ascending: the records the job's ended batches held, and the most a batch holds


@dataclass(slots=True)
class Track:
    """What the poller remembers of one job between cycles."""

    listed: Job | None = None  # the listing row last seen
    read_cycle: int | None = None  # the cycle of the last job read
    read_time: float | None = None  # ... and when it was
    batch_counters: tuple[Any, ...] | None = None  # the job info's counters at the last batch list read
    batch_view: BatchView | None = None  # Bulk 1.0: the last batch list, for when a batch can next end
    idle: bool = False  # Bulk 1.0: its last read showed no batch queued or under way
    seen_in: set[JobKind] = field(default_factory=set)  # the listings that have shown it

    def read_at(self, cycle: int, at: float, info: Job) -> None:
        self.read_cycle = cycle
        self.read_time = at
        pending = (info.number_batches_queued or 0) + (info.number_batches_in_progress or 0)
        self.idle = info.kind is JobKind.CLASSIC and info.number_batches_total is not None and not pending


def row_moved(before: Job | None, after: Job) -> bool:
    """The listing row says more than "still working": a new state, error or other field."""
    if before is None:
        return True
    return _without_modstamp(before.fields) != _without_modstamp(after.fields)


def _without_modstamp(fields: Mapping[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in fields.items() if key != MODSTAMP}


def read_due(
    track: Track | None, listed: Job, cycle: int, *, listing_fresh: bool, watched: bool, now: float | None = None
) -> bool:
    """Whether this cycle reads the job's info (a job never read, or open in detail, is read).
    ``now``: the poller's clock this cycle (None: no batch end is predicted)."""
    if track is None or track.read_cycle is None or watched:
        return True
    if listing_fresh and row_moved(track.listed, listed):
        return True  # a new state, an error: news now
    stale = cycle - track.read_cycle >= STRETCH
    if listed.kind is JobKind.CLASSIC:  # its listing row carries no counters: the batches' pace decides
        if track.idle:  # nothing to move until its client sends more batches: looked at as for new jobs
            return cycle - track.read_cycle >= DISCOVERY_CYCLES
        due = next_batch_end(track.batch_view, track.read_time)
        return stale or (due is not None and now is not None and due - MARGIN_S <= now)
    if not listing_fresh:
        return True  # nothing this cycle would show its end
    if listed.state in QUIET_STATES and track.listed is not None:
        return track.listed.fields.get(MODSTAMP) != listed.fields.get(MODSTAMP)
    return stale


def next_batch_end(view: BatchView | None, after: float | None) -> float | None:
    """The earliest time after ``after`` that one of the running batches can end: each is taken to
    hold the fewest records, more than it has processed, that an ended batch of the job held (or the
    most a batch holds). None: no running batch with a known pace."""
    if view is None:
        return None
    earliest: float | None = None
    for _, processed, rate in view.running:
        if rate <= 0:
            continue
        for size in view.sizes:
            if size <= processed:
                continue
            try:
                end = view.at + (size - processed) / rate
            except OverflowError:  # counts beyond a float: no claim
                break
            if after is None or end > after:
                earliest = end if earliest is None else min(earliest, end)
                break
    return earliest


def batch_view(batches: Sequence[Batch], at: float, before: BatchView | None = None) -> BatchView:
    """What a batch list read at ``at`` says of when the job's running batches can end. A batch's
    pace is its records over the time between two lists, or over its own processing time."""
    earlier = {batch_id: (before.at, processed) for batch_id, processed, _ in before.running} if before else {}
    running: list[tuple[str, int, float]] = []
    sizes = {BATCH_RECORDS_MAX}
    for batch in batches:
        processed = _count(batch.number_records_processed)
        if batch.state == "Completed" and processed > 0:
            sizes.add(processed)
        if batch.state != "InProgress":
            continue
        then = earlier.get(batch.id)
        elapsed_ms = _count(batch.total_processing_time)
        try:
            if then is not None and at > then[0] and processed > then[1]:
                rate = (processed - then[1]) / (at - then[0])
            elif processed > 0 and elapsed_ms > 0:
                rate = processed / (elapsed_ms / 1000)
            else:
                rate = 0.0  # just begun: no pace yet
        except OverflowError:  # counts beyond a float: no pace to claim
            rate = 0.0
        running.append((batch.id, processed, rate))
    return BatchView(at, tuple(running), tuple(sorted(sizes)))


def _count(value: object) -> int:
    """A count as the org sent it, if it is one (anything else says nothing of a pace)."""
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else 0


def read_on_arrival(listed: Job, *, first_cycle: bool) -> bool:
    """Whether a listing page's row is read as soon as its page arrives (see the module's first cycle)."""
    return first_cycle and not listed.finished


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
    """The listings this cycle reads: each one due for finding new jobs, and each one whose fresh
    rows spare at least as many job reads this cycle as its pages cost (see :func:`skippable`)."""
    live = list(live)
    due: list[JobKind] = []
    for kind in LISTINGS:
        cost = max(1, pages.get(kind, 1))
        last = listed_at.get(kind)
        if (
            last is None
            or cycle - last >= discovery_every(cost)
            or sum(1 for track, job in live if job.kind is kind and skippable(track, job, cycle)) >= cost
        ):
            due.append(kind)
    return tuple(due)


def skippable(track: Track | None, job: Job, cycle: int) -> bool:
    """Whether a fresh, unchanged listing row would spare this live Bulk 2.0 job's read this cycle
    (without one it is read: nothing would show its end). So a lone running job is read one cycle
    and shown by its listing the next, one call a cycle either way, its end seen at the next cycle."""
    if job.kind is JobKind.CLASSIC or track is None or track.read_cycle is None:
        return False
    return job.state in QUIET_STATES or cycle - track.read_cycle < STRETCH


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
