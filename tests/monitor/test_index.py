"""The incremental order and filter agree with sorting everything from scratch."""

from __future__ import annotations

import random

from sfmonitor.bulk.models import Job
from sfmonitor.monitor.board import SortMode, matches, order
from sfmonitor.monitor.index import JobIndex


def make(i: int, rng: random.Random) -> Job:
    return Job.from_fields({
        "id": f"750{i:012d}", "jobType": rng.choice(("V2Ingest", "V2Query", "Classic")),
        "state": rng.choice(("InProgress", "JobComplete", "Aborted", "UploadComplete")),
        "object": rng.choice(("Account", "contact", "Lead")), "operation": "insert",
        "createdDate": f"2026-11-{rng.randint(1, 28):02d}T10:00:00.000+0000",
        "numberRecordsFailed": rng.choice((0, 5, 10**30)),
    })  # fmt: skip


def expected(jobs: dict[str, Job], mode: SortMode, text: str, limit: int) -> tuple[list[str], int]:
    matching = [j for j in order(jobs.values(), mode) if matches(j, text)]
    if len(matching) <= limit:
        return [j.id for j in matching], len(matching)
    running = [j for j in matching if not j.finished]
    keep = {j.id for j in running + [j for j in matching if j.finished][: max(0, limit - len(running))]}
    return [j.id for j in matching if j.id in keep], len(matching)


def test_incremental_updates_match_a_full_sort() -> None:
    rng = random.Random(3)
    jobs = {job.id: job for job in (make(i, rng) for i in range(400))}
    index = JobIndex()
    index.update(dict(jobs))
    for step in range(60):
        for _ in range(rng.randint(0, 6)):  # a poll: a few jobs change, one may arrive or leave
            victim = rng.choice(list(jobs))
            jobs[victim] = make(int(victim[3:]), rng)
        if step % 7 == 0:
            jobs.pop(rng.choice(list(jobs)))
            new = make(1000 + step, rng)
            jobs[new.id] = new
        if step % 11 == 0:
            index.set_sort(index.sort.next())
        if step % 13 == 0:
            index.set_filter(rng.choice(("", "query", "ACCOUNT", "bulk 1.0", "a", "ac")))
        index.update(dict(jobs))
        for limit in (50, 1000):
            assert index.shown(limit) == expected(jobs, index.sort, index.text, limit), (step, limit)
        assert index.running == {j.id for j in jobs.values() if not j.finished}


def test_an_unchanged_poll_moves_nothing() -> None:
    rng = random.Random(5)
    jobs = {job.id: job for job in (make(i, rng) for i in range(100))}
    index = JobIndex()
    index.update(jobs)
    ordered = index._ordered
    index.update(dict(jobs))  # the same objects: nothing changed
    assert index._ordered is ordered


def test_typing_a_filter_letter_by_letter_and_back_matches_filtering_from_scratch() -> None:
    rng = random.Random(9)
    jobs = {job.id: job for job in (make(i, rng) for i in range(300))}
    index = JobIndex()
    index.update(jobs)
    typed = "account "
    for text in [typed[:n] for n in range(1, len(typed) + 1)] + [typed[:n] for n in range(len(typed), -1, -1)]:
        index.set_filter(text)
        assert index.shown(1000) == expected(jobs, index.sort, text, 1000), repr(text)
