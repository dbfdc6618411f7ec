"""The poller's bound on reads in flight: the most wanted let in first, a cancelled waiter never
holds a place; and the first cycle's rows told at most so often, none lost."""

from __future__ import annotations

import asyncio

from sfmonitor.bulk.models import Job, JobKind
from sfmonitor.monitor.gate import Gate
from sfmonitor.monitor.poller import FirstRows


async def test_waiters_are_let_in_by_priority_then_arrival() -> None:
    gate = Gate(1)
    order: list[str] = []
    release = asyncio.Event()

    async def hold(name: str, priority: float) -> None:
        async with gate.held(priority):
            order.append(name)
            await release.wait()

    first = asyncio.create_task(hold("first", 5))
    await asyncio.sleep(0)
    waiters = [asyncio.create_task(hold(name, p)) for name, p in (("old", 3), ("new", 1), ("new too", 1))]
    await asyncio.sleep(0)
    release.set()
    await asyncio.gather(first, *waiters)
    assert order == ["first", "new", "new too", "old"]


async def test_a_cancelled_waiter_gives_its_place_on() -> None:
    gate = Gate(1)
    release = asyncio.Event()
    done: list[str] = []

    async def hold(name: str) -> None:
        async with gate.held():
            done.append(name)
            await release.wait()

    holder = asyncio.create_task(hold("holder"))
    await asyncio.sleep(0)
    cancelled, later = asyncio.create_task(hold("cancelled")), asyncio.create_task(hold("later"))
    await asyncio.sleep(0)
    cancelled.cancel()
    release.set()
    await asyncio.gather(holder, later)
    assert cancelled.cancelled() and done == ["holder", "later"]
    async with gate.held():  # every place came back
        pass


def _job(n: int, state: str = "JobComplete") -> Job:
    return Job.from_fields({"id": f"750{n:015d}", "state": state}, listed_as=JobKind.INGEST)


async def test_the_first_cycles_rows_are_told_at_most_so_often_and_the_last_is_never_lost() -> None:
    now = [100.0]
    told: list[dict[str, Job]] = []
    arrived = asyncio.Event()

    def report(jobs: dict[str, Job]) -> None:
        told.append(jobs)
        arrived.set()

    rows = FirstRows(report, every=0.05, clock=lambda: now[0])
    rows.listed([_job(1), _job(2, "InProgress")], live=True)
    assert len(told) == 1  # the first page: at once
    rows.listed([_job(3)], live=False)  # finished history alone: nothing to tell
    rows.read(_job(2, "InProgress").id, _job(2, "InProgress"))
    rows.listed([_job(4, "InProgress")], live=True)
    assert len(told) == 1  # too soon: both wait, together
    arrived.clear()
    await asyncio.wait_for(arrived.wait(), timeout=5)
    assert len(told) == 2 and set(told[-1]) == {_job(n).id for n in (1, 2, 3, 4)}
    rows.read(_job(4).id, _job(4, "InProgress"))
    rows.close()  # the cycle ended: its snapshot has it all
    await asyncio.sleep(0.1)
    assert len(told) == 2
