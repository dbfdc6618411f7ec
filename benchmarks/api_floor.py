"""The fewest calls per poll any poller could make under issue 9's rules, from one run's timeline.

Used by ``api_economy.py --stepped --floor``. The rules: (a) a running job's record counts are never
older than two poll intervals, so it is read at each poll or the one before; (b) a Bulk 1.0 batch
completion or a Bulk 2.0 job end is seen at the next poll (strict), or only the median delay stays
within ``BUDGET_S`` of the per-job poller's (median-only). What the org allows (reference bulk-api.md
section 3): a listing carries no record counts and a Bulk 1.0 job's row no batch counters, so counts
and batch completions come from a read of that job; a listing row does carry a Bulk 2.0 job's state,
so one listing (its pages) can show every 2.0 end of its kind; nothing bundles job reads.
"""

from __future__ import annotations

import math
import textwrap
from bisect import bisect_left
from collections import Counter
from dataclasses import dataclass, field
from itertools import combinations

BUDGET_S = 1.0  # (b): the median delay may exceed the per-job poller's by this much
KINDS = ("classic", "ingest", "query")  # one group of jobs each; the 2.0 ones each have a listing


@dataclass(frozen=True)
class Poll:
    """What one group of jobs asks of one poll."""

    running: frozenset[str] = frozenset()  # (a): read at this poll or the one before
    must: frozenset[str] = frozenset()  # (b), Bulk 1.0: a batch ended since the last poll: read now
    watch: frozenset[str] = frozenset()  # (b), Bulk 2.0: may have ended since the last poll: read now, or list


@dataclass(frozen=True)
class Cost:
    reads: int = 0
    listings: int = 0  # calls (pages)

    @property
    def calls(self) -> int:
        return self.reads + self.listings

    def __add__(self, other: Cost) -> Cost:
        return Cost(self.reads + other.reads, self.listings + other.listings)


def cheapest(polls: list[Poll], pages: int, before: frozenset[str] = frozenset()) -> Cost:
    """The fewest calls over ``polls`` for one group of jobs whose listing takes ``pages`` calls.

    Rules, at each poll: each ``running`` job is read at this poll or the one before (``before``: the
    jobs read, free, at the poll before the first); each ``must`` job is read at this poll; each
    ``watch`` job is read at this poll or the listing is. Exact: a search over which of the group's
    jobs each poll reads (a handful at a time), keeping the cheapest way to each choice."""
    best: dict[frozenset[str], Cost] = {before: Cost()}
    for poll in polls:
        jobs = sorted(poll.running | poll.must | poll.watch)
        choices = [frozenset(read) for n in range(len(jobs) + 1) for read in combinations(jobs, n)]
        after: dict[frozenset[str], Cost] = {}
        for prev, cost in best.items():
            for read in choices:
                if poll.must <= read and poll.running <= read | prev:
                    new = cost + Cost(len(read), pages if poll.watch - read else 0)
                    if read not in after or new.calls < after[read].calls:
                        after[read] = new
        best = after
    return min(best.values(), key=lambda cost: (cost.calls, cost.listings))


@dataclass
class Timeline:
    """The org as the polls found it: each poll's time, the jobs running then (job id -> its kind,
    one of ``KINDS``), the jobs it held at the second poll, and each change (b) is about: (job id,
    kind, when) for each Bulk 1.0 batch completion and each Bulk 2.0 job end."""

    times: list[float] = field(default_factory=list)
    running: list[dict[str, str]] = field(default_factory=list)
    known: frozenset[str] = frozenset()
    changes: list[tuple[str, str, float]] = field(default_factory=list)


@dataclass(frozen=True)
class Floor:
    polls: int  # polls counted: all but the first two (as the call counts beside it)
    strict: Cost
    by_kind: dict[str, tuple[Cost, Cost, int]]  # kind -> strict cost, (a) alone, median-only calls
    late_share: float  # median-only: the share of each kind's changes that may be seen a poll late
    relief: dict[str, tuple[int, int]]  # kind -> calls the median-only rule can spare, out of how many
    new_jobs: int  # jobs that began running in the counted polls, not in the org at the second

    @property
    def median_only(self) -> int:
        return sum(calls for _, _, calls in self.by_kind.values())


def floor(timeline: Timeline, interval: float, pages: dict[str, int]) -> Floor:
    """The fewest calls over the polls after the first two (those read the whole org once, free) that
    any poller obeying the rules could make, per group of jobs (see :func:`cheapest`).

    Applied: (a) every job running at a poll is read at that poll or the one before. (b) strict: a
    Bulk 1.0 job is read at the poll after each of its batch completions (the poller is credited with
    knowing when a batch ends: generous); a Bulk 2.0 job running at the poll before (it may have ended
    since; nothing says when it will) is read, or its listing is (``pages[kind]`` calls), so each end
    is seen at the next poll. (b) median-only: with delays spread evenly over an interval T, a share
    f seen a poll later moves the median from T/2 to T/2/(1-f), so f <= 1 - T/2/(T/2 + BUDGET_S) of
    each kind's changes may be late: the Bulk 1.0 reads at batch completions covering the fewest
    completions are dropped while their completions fit that share, and a share f of the polls that
    must see 2.0 ends are let off their listing; each spares at most one read or one listing, and no
    group goes below what (a) alone costs. Not counted (generous): finding new jobs (``new_jobs``
    say how many listing calls that leaves out at most), batch lists and /limits (no rule needs them)."""
    first, last = timeline.times[1], timeline.times[-1]
    counted = range(2, len(timeline.times))
    must: dict[int, set[str]] = {k: set() for k in counted}
    ended: dict[int, set[tuple[str, str]]] = {k: set() for k in counted}  # 2.0: (job id, kind)
    completions: Counter[tuple[str, int]] = Counter()
    for job_id, kind, at in timeline.changes:
        if first < at <= last:
            k = bisect_left(timeline.times, at)  # the first poll at or after the change
            if kind == "classic":
                must[k].add(job_id)
                completions[(job_id, k)] += 1
            else:
                ended[k].add((job_id, kind))
    late_share = 1 - (interval / 2) / (interval / 2 + BUDGET_S)
    by_kind: dict[str, tuple[Cost, Cost, int]] = {}
    relief: dict[str, tuple[int, int]] = {}
    strict = Cost()
    for kind in KINDS:
        of_kind = [frozenset(j for j, k in running.items() if k == kind) for running in timeline.running]
        before = of_kind[1]
        alone = cheapest([Poll(running=of_kind[k]) for k in counted], 1, before)
        if kind == "classic":
            polls = [Poll(of_kind[k], must=frozenset(must[k])) for k in counted]
            budget, spared = math.floor(late_share * sum(completions.values())), 0
            for n in sorted(completions.values()):  # the reads covering the fewest completions first
                if n > budget:
                    break
                budget, spared = budget - n, spared + 1
            relief[kind] = (spared, len(completions))
            cost = cheapest(polls, 1, before)
        else:
            polls = [Poll(of_kind[k], watch=of_kind[k - 1] | {j for j, of in ended[k] if of == kind}) for k in counted]
            cost = cheapest(polls, pages.get(kind, 1), before)
            watched = sum(1 for poll in polls if poll.watch)
            relief[kind] = (math.floor(late_share * watched), watched)
            spared = relief[kind][0] * pages.get(kind, 1)
        strict += cost
        by_kind[kind] = (cost, alone, max(alone.calls, cost.calls - spared))
    new = {j for k in counted for j in timeline.running[k]} - timeline.known
    return Floor(len(counted), strict, by_kind, late_share, relief, len(new))


def describe(result: Floor, interval: float, pages: dict[str, int], per_job: float, ours: float) -> list[str]:
    """The floor's derivation and figures, beside the two pollers' calls per poll (``per_job``, ``ours``)."""
    n = result.polls
    if not n:
        return ["floor: too few polls (it counts those after the first two)"]
    share = f"{result.late_share:.1%}"
    rules = (
        "(a) a running job is read at each poll or the one before (its counts never two intervals old). (b) strict:"
        " every 1.0 batch completion and 2.0 job end is seen at the next poll; median-only: up to"
        f" f = {share} of each are seen later (delays even over T = {interval:g} s: median T/2/(1-f) <= T/2 +"
        f" {BUDGET_S:g} s)."
    )
    assumed = (
        "Assumed, generous to the poller: only job info reads and listing pages count (no batch lists, no /limits:"
        " no rule needs them); a job's counts and a 1.0 job's batch counters come only from its own read; it knows"
        " when each 1.0 batch ends and reads that job at the next poll; it cannot know when a 2.0 job ends, so"
        " each 2.0 job running at the poll before is read, or its listing is (ingest"
        f" {pages.get('ingest', 1)} page(s), query {pages.get('query', 1)}); the first 2 polls and finding new"
        f" jobs are free ({result.new_jobs} began running: at most {result.new_jobs} listing calls,"
        f" {result.new_jobs / n:.2f}/poll, left out)."
    )
    lines = [f"floor: the fewest calls per poll under the issue's rules, over the {n} polls counted above"]
    lines += textwrap.wrap(rules, 110, initial_indent="  ", subsequent_indent="  ")
    lines += textwrap.wrap(assumed, 110, initial_indent="  ", subsequent_indent="  ")
    lines += [
        f"  {'calls/poll':14}{'(a) alone':>10}{'strict':>9}{'ends next poll add':>20}{'median-only':>13}",
    ]
    for kind, (strict, alone, median) in result.by_kind.items():
        lines.append(
            f"  {kind:14}{alone.calls / n:10.2f}{strict.calls / n:9.2f}{(strict.calls - alone.calls) / n:+20.2f}"
            f"{median / n:13.2f}"
        )
    spared, of = result.relief["classic"]
    lines.append(
        f"  median-only spares at most {spared} of the {of} 1.0 reads at batch completions and "
        + ", ".join(f"{result.relief[k][0]} of {result.relief[k][1]} {k} listing polls" for k in ("ingest", "query"))
    )
    strict = result.strict
    split = f"  (job reads {strict.reads / n:.2f} + listings {strict.listings / n:.2f})"
    for label, calls, extra in (
        ("per-job poller", per_job, ""),
        ("sfmonitor", ours, ""),
        ("floor, strict", strict.calls / n, split),
        ("floor, median-only", result.median_only / n, ""),
    ):
        lines.append(f"  {label:20}{calls:6.2f} calls/poll  {calls / max(1e-9, per_job):.2f}x per-job{extra}")
    return lines
