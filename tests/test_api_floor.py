"""The API-economy floor (benchmarks/api_floor.py): the fewest calls the issue's rules allow, on timelines
small enough to count by hand."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))

from api_floor import Cost, Poll, Timeline, cheapest, floor

A, B, C = "A", "B", "C"


def test_a_running_job_is_read_every_other_poll() -> None:
    polls = [Poll(running=frozenset({A}))] * 5
    assert cheapest(polls, 1) == Cost(reads=3)  # polls 1, 3, 5
    assert cheapest(polls, 1, before=frozenset({A})) == Cost(reads=2)  # read just before: polls 2, 4


def test_a_batch_completion_is_read_at_the_next_poll_and_the_reads_shift_to_meet_it() -> None:
    running = frozenset({A})
    polls = [Poll(running), Poll(running, must=running), Poll(running), Poll(running)]
    assert cheapest(polls, 1, before=running) == Cost(reads=2)  # polls 2 and 4: the completion's read counts for (a)
    every = [Poll(running, must=running)] * 4
    assert cheapest(every, 1) == Cost(reads=4)


def test_bulk_2_jobs_are_read_together_and_listed_between() -> None:
    """Three running 2.0 jobs, each may end any time: all read at one poll, the listing at the next
    ((n + 1) / 2 calls a poll), cheaper than the listing every poll and each read every other."""
    jobs = frozenset({A, B, C})
    polls = [Poll(jobs, watch=jobs)] * 4
    assert cheapest(polls, 1, before=jobs) == Cost(reads=6, listings=2)
    assert cheapest(polls, 5, before=jobs).calls == 12  # a listing dearer than the reads: read every poll


def test_floor_counts_after_the_first_two_polls_and_spares_late_completions_for_the_median() -> None:
    times = [0.0, 5.0, 10.0, 15.0, 20.0, 25.0]
    timeline = Timeline(
        times=times,
        running=[{A: "classic", B: "ingest"}] * len(times),
        known=frozenset({A, B}),
        changes=[(A, "classic", 12.0), (A, "classic", 13.0), (A, "classic", 22.0), (A, "classic", 1.0)],
    )
    result = floor(timeline, 5.0, {"ingest": 1, "query": 1})
    assert result.polls == 4
    strict, alone, median = result.by_kind["classic"]
    assert alone.calls == 2 and strict.calls == 2  # polls 15 and 25: each also sees its completions
    assert result.by_kind["ingest"][0] == Cost(reads=2, listings=2)
    assert result.relief["classic"] == (0, 2)  # 28.6% of 3 completions: none may be late
    assert median == 2
    assert result.new_jobs == 0
