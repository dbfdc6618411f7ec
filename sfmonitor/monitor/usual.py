"""Against the usual: what the past runs of the same object and operation in the same org say a run
takes, and whether a running job is well below that pace. Textual-free; the clock is the caller's
(``now``: seconds since the epoch).

- **The usual** (:func:`usual_of`) is made of the newest :data:`RECENT_RUNS` past runs that ended
  ``ok`` or ``records-failed``, each with a duration and a record count, and needs at least
  :data:`MIN_RUNS` of them. An aborted or failed run stopped early, for reasons of its own (someone
  aborted it, a batch or the whole job failed): its duration and rate say how it broke, not how long
  the load takes, so it never defines "usual". It gives the usual duration as a range (the 25th to
  75th percentile: one odd night moves neither end) and the median throughput (records processed
  over created-to-ended, queueing included, as the operator lives it).
- **Slow** (:func:`slow`), the one rule for "well below its usual pace": a job in the running phase
  whose records/s, measured over at least :data:`MIN_MEASURED_S` of polls (the recent window,
  :data:`~.history.THROUGHPUT_WINDOW_S`), is

  - under :data:`SLOW_SHARE` (half) of the usual median, once it has run :data:`JUDGE_AFTER_S` (a
    load still being queued or ramping up is not judged); or
  - under the usual median at all, once it has run :data:`OVERDUE_FACTOR` times the usual's longer
    end (the 75th percentile): late, and not catching up.

  A job with no measured rate yet is not judged. One making no progress at all is slow too; once it
  is also stalled (6 polls and a minute), the table shows the stalled mark, which says more.

Words, written once here: the detail's line (:func:`line`: ``usual 12m-16m, 40k rec/s (8 runs); this
run 31m so far, 9,500 rec/s``), the table's flag :data:`FLAG` and an alert's figures (:meth:`Slow.words`).
"""

from __future__ import annotations

import statistics
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from ..bulk.models import Job
from ..numbers import plural, rate, rough
from .history import THROUGHPUT_WINDOW_S, History, per_second
from .phase import Outcome, Phase, phase

MIN_RUNS = 3  # past runs needed before anything is called usual
RECENT_RUNS = 30  # the newest this many define it: a load that changed last month is judged by now
SLOW_SHARE = 0.5  # "well below": under half the usual median records/s ...
JUDGE_AFTER_S = THROUGHPUT_WINDOW_S  # ... once the job has run a full throughput window
MIN_MEASURED_S = 60.0  # its rate measured over at least a minute of polls (one poll's jump is noise)
OVERDUE_FACTOR = 1.5  # or past 1.5x the usual's longer end, still under the usual median
RANGE = "\u2013"  # an en dash, between a range's ends (written 12m-16m in these docstrings)
WINDOW_WORDS = f"{THROUGHPUT_WINDOW_S / 60:g} minutes"  # the window a job's rate is measured over
FLAG = "slow"  # the jobs table's mark, and the alert event's name
DEFINING = frozenset({Outcome.OK.value, Outcome.RECORDS_FAILED.value})  # outcomes that define "usual"


@dataclass(frozen=True, slots=True)
class PastRun:
    """One ended job as the history store remembers it."""

    org: str
    job_id: str
    created: float  # epoch seconds
    ended: float  # epoch seconds
    records: int | None  # numberRecordsProcessed at its end
    failed: int | None
    outcome: str  # sfmonitor.monitor.phase.Outcome value

    @property
    def duration_s(self) -> float:
        return max(0.0, self.ended - self.created)

    @property
    def rate(self) -> float | None:
        """Records a second over its whole duration (None without records or a duration)."""
        if self.records is None or self.duration_s <= 0:
            return None
        try:
            return self.records / self.duration_s
        except OverflowError:  # a count beyond a float: no honest rate
            return None


@dataclass(frozen=True, slots=True)
class Usual:
    """What the past runs say: a run takes ``short_s`` to ``long_s`` (25th to 75th percentile) at
    ``rate`` records/s (median), from ``runs`` runs."""

    runs: int
    short_s: float
    long_s: float
    rate: float

    def span(self) -> str:
        """The usual duration: ``12m-16m`` (``12m`` when both ends round alike)."""
        low, high = rough(self.short_s), rough(self.long_s)
        return low if low == high else f"{low}{RANGE}{high}"

    def words(self) -> str:
        """``usual 12m-16m, 40k rec/s (8 runs)``."""
        return f"usual {self.span()}, {rate(self.rate)} rec/s ({plural(self.runs, 'run')})"


def defining(runs: Iterable[PastRun]) -> list[PastRun]:
    """The runs that may define the usual, newest first (see the module)."""
    good = [r for r in runs if r.outcome in DEFINING and r.duration_s > 0 and r.rate is not None]
    return sorted(good, key=lambda r: r.ended, reverse=True)[:RECENT_RUNS]


def usual_of(runs: Iterable[PastRun]) -> Usual | None:
    """The usual of these past runs (one org, object and operation), or None with fewer than
    :data:`MIN_RUNS` that may define it."""
    chosen = defining(runs)
    if len(chosen) < MIN_RUNS:
        return None
    durations = sorted(r.duration_s for r in chosen)
    quartiles = statistics.quantiles(durations, n=4, method="inclusive")
    rates = [r.rate for r in chosen if r.rate is not None]
    return Usual(len(chosen), quartiles[0], quartiles[2], statistics.median(rates))


def not_enough(runs: int) -> str:
    """The detail's line when the past runs do not make a usual."""
    return f"usual: not enough past runs ({runs} of the {MIN_RUNS} needed; aborted and failed ones do not count)"


@dataclass(frozen=True, slots=True)
class Slow:
    """A running job well below its usual pace, with the figures that say so."""

    usual: Usual
    elapsed_s: float  # since it was created
    rate: float  # its records/s over the recent window
    overdue: bool  # judged by the second clause: past OVERDUE_FACTOR x the usual's longer end

    def to_json(self) -> dict[str, object]:
        """The figures, for the --on-event command's JSON."""
        usual = self.usual
        return {"recordsPerSecond": self.rate, "elapsedSeconds": self.elapsed_s, "overdue": self.overdue,
                "usualRecordsPerSecond": usual.rate, "usualSeconds": [usual.short_s, usual.long_s],
                "usualRuns": usual.runs}  # fmt: skip

    def words(self) -> str:
        """The figures, for an alert: ``9 rec/s over the last 3 minutes, under half the usual 40k rec/s;
        running 31m (usual 12m-16m, 8 runs)``."""
        against = "slower than" if self.overdue else "under half"
        usual = self.usual
        return (f"{rate(self.rate)} rec/s over the last {WINDOW_WORDS}, {against} the usual {rate(usual.rate)} rec/s; "
                f"running {rough(self.elapsed_s)} (usual {usual.span()}, {plural(usual.runs, 'run')})")  # fmt: skip


def elapsed_s(job: Job, now: float) -> float | None:
    """Since the job was created: to ``now``, or to its last change once it has ended."""
    if job.created_date is None:
        return None
    end = job.system_modstamp.timestamp() if job.finished and job.system_modstamp else now
    return max(0.0, end - job.created_date.timestamp())


def slow(job: Job, usual: Usual | None, now: float, throughput: float | None, *, measured_s: float) -> Slow | None:
    """Whether a running job is well below its usual pace (the rule: see the module). ``throughput``:
    its records/s over the recent window; ``measured_s``: the seconds of polls that figure spans."""
    if usual is None or throughput is None or measured_s < MIN_MEASURED_S or phase(job, now) is not Phase.RUNNING:
        return None
    elapsed = elapsed_s(job, now)
    if elapsed is None:
        return None
    if elapsed >= JUDGE_AFTER_S and throughput < SLOW_SHARE * usual.rate:
        return Slow(usual, elapsed, throughput, overdue=False)
    if elapsed > OVERDUE_FACTOR * usual.long_s and throughput < usual.rate:
        return Slow(usual, elapsed, throughput, overdue=True)
    return None


def line(usual: Usual, job: Job, now: float, throughput: float | None, verdict: Slow | None = None) -> str:
    """The detail's line: ``usual 12m-16m, 40k rec/s (8 runs); this run 31m so far, 9,500 rec/s``
    (``took`` once it has ended; `` — slow`` when it is)."""
    elapsed = elapsed_s(job, now)
    if elapsed is None:
        run = "this run: not timed (no created date)"
    else:
        run = f"this run took {rough(elapsed)}" if job.finished else f"this run {rough(elapsed)} so far"
    if not job.finished and throughput is not None:
        run += f", {rate(throughput)} rec/s"
    elif job.finished and elapsed and job.number_records_processed is not None:
        run += f", {rate(per_second(job.number_records_processed, elapsed))} rec/s"
    flag = f" — {FLAG}: well below the usual pace" if verdict is not None else ""
    return f"{usual.words()}; {run}{flag}"


# --- the org's cache of past runs --------------------------------------------------------------------

FRESH_S = 300.0  # the past runs of one object and operation are asked for at most this often
MAX_KEYS = 500  # objects and operations remembered per org (the least recently read go first)
Key = tuple[str, str]  # (object, operation)
PastRuns = Callable[[str, str, str, float], list[PastRun]]  # (org key, object, operation, before) -> runs


def key_of(job: Job) -> Key:
    return (job.object, job.operation)


@dataclass
class Known:
    """One object and operation's past runs as last read."""

    read_at: float | None = None  # None: being read for the first time
    runs: tuple[PastRun, ...] = ()
    usual: Usual | None = None
    error: str | None = None  # the last read failed: why
    reading: bool = False
    without: dict[str, Usual | None] = field(default_factory=dict)  # per job among the runs: the usual without it


@dataclass
class Usuals:
    """One org's usuals, read from its past runs now and then (the app reads them off the loop)."""

    fresh_s: float = FRESH_S
    known: dict[Key, Known] = field(default_factory=dict)

    def due(self, jobs: Iterable[Job], now: float) -> list[Key]:
        """The keys of these jobs to read now (never read, or not for :attr:`fresh_s`, and not being
        read); they are marked as being read."""
        out = []
        for job in jobs:
            key = key_of(job)
            known = self.known.get(key)
            if known is None:
                known = self.known[key] = Known()
            elif known.reading or (known.read_at is not None and now - known.read_at < self.fresh_s):
                continue
            known.reading = True
            out.append(key)
        return out

    def arrived(self, key: Key, runs: Sequence[PastRun] | None, now: float, error: str | None = None) -> None:
        """A read came back: its runs, or (``runs`` None) why it failed (the runs before stay)."""
        known = self.known.setdefault(key, Known())
        known.reading, known.read_at = False, now
        if runs is None:
            known.error = error or "not read"
        else:
            chosen = tuple(defining(runs))
            known.runs, known.usual, known.error, known.without = chosen, usual_of(chosen), None, {}
        if len(self.known) > MAX_KEYS:
            oldest = min(self.known, key=lambda k: self.known[k].read_at or now)
            del self.known[oldest]

    def of(self, job: Job) -> Usual | None:
        """The job's usual; never counting the job itself among its past runs (an ended job the store
        has already)."""
        known = self.known.get(key_of(job))
        if known is None or known.usual is None:
            return None
        if job.finished and any(r.job_id == job.id for r in known.runs):
            if job.id not in known.without:
                if len(known.without) > 50:
                    known.without.clear()
                known.without[job.id] = usual_of(r for r in known.runs if r.job_id != job.id)
            return known.without[job.id]
        return known.usual

    def slow(self, job: Job, now: float, history: History, *, unread: bool = False) -> Slow | None:
        """Whether the job is well below its usual pace now: the one question the jobs table, the detail
        and the alerts ask. ``unread``: its last read failed (its figures are older: not judged)."""
        if unread or job.finished:  # an ended job is never slow: no usual worked out for it here
            return None
        return slow(job, self.of(job), now, history.throughput(job), measured_s=history.measured_s(job))

    def words(self, job: Job, now: float, history: History, *, unread: bool = False) -> str:
        """The detail's line for the job, whatever is known (reading, not read, not enough runs)."""
        known = self.known.get(key_of(job))
        if known is None or (known.read_at is None and known.reading):
            return "usual: reading the past runs…"
        usual = self.of(job)
        if usual is not None:
            throughput = None if unread else history.throughput(job)
            return line(usual, job, now, throughput, self.slow(job, now, history, unread=unread))
        if known.error is not None and not known.runs:
            return f"usual: past runs not read ({known.error})"
        return not_enough(sum(1 for r in known.runs if r.job_id != job.id))
