"""A scrape of ``record --listen``'s /metrics with 10 orgs of 2,000 jobs each (issue 25's budget: 100 ms).

Run: ``nice -n 10 .venv/bin/python benchmarks/scrape.py [--orgs 10] [--jobs 2000] [--scrapes 50]``

Each org is a simulator (seed ``i``) whose world is filled with ``--jobs`` jobs of the simulator's own
mix (``spawn_job``: Bulk 2.0 ingest and query, Bulk 1.0), its time stopped. Two shapes:

- ``day``: one job started a minute over the last ``--jobs`` minutes: most ended, the last hour's
  still running or ended within the hour (what a busy org looks like);
- ``all running``: every job started in the last minute: each has its own series (the worst case).

The figures the recorder would publish are built from the jobs as the org gives them (its job info
JSON through ``Job.from_fields``), by the recorder's own Tally, into the recorder's ``Published``;
then the real server (serve/server.py, a loopback port) is scraped ``--scrapes`` times with httpx,
plain text and OpenMetrics; the time of each scrape (request to last byte) is printed as p50/p99 with
the size of the answer and the number of series, and each simulator's request count before and
after: a scrape reaches no org. The first scrape (it opens the connection and makes each job's label
set, kept while the job is shown) is printed apart; gzip as Prometheus asks for it, then without.
"""

from __future__ import annotations

import argparse
import os
import time
from datetime import UTC, datetime
from statistics import quantiles

import httpx

from sfmonitor.bulk.models import Job, JobKind
from sfmonitor.monitor.board import Connection
from sfmonitor.monitor.figures import Published, Tally
from sfmonitor.monitor.index import JobIndex
from sfmonitor.serve.access import Listen
from sfmonitor.serve.metrics import Exposition
from sfmonitor.serve.server import RecorderServer
from sfmonitor.simulator.seed import spawn_job
from sfmonitor.simulator.server import Simulator
from sfmonitor.simulator.world import Clock

KINDS = {"classic": JobKind.CLASSIC, "ingest": JobKind.INGEST, "query": JobKind.QUERY}


def org_jobs(sim: Simulator, jobs: int, spread_s: float) -> dict[str, Job]:
    """``jobs`` jobs of the simulator's mix, started ``spread_s`` apart up to now, as the org gives them."""
    world = sim.world
    with world.lock:
        now = world.clock.now()
        for i in range(jobs):
            spawn_job(world, now - (jobs - i) * spread_s)
        world.advance()  # each job's state as of now (the org's own rule: its end, its counts)
        out = {}
        for job in world.jobs.values():
            fields = job.v1_info(now, "json") if job.api == "classic" else job.v2_info(now)
            out[job.id] = Job.from_fields(fields, listed_as=KINDS[job.api])
    return out


def figures_of(name: str, jobs: dict[str, Job], now: float) -> tuple[Tally, JobIndex]:
    tally, index = Tally(), JobIndex(clock=lambda: now)
    index.update(jobs)
    tally.polled(jobs, list(jobs.values()), now)
    return tally, index


def run(orgs: int, jobs: int, scrapes: int, spread_s: float, shape: str) -> None:
    sims = [Simulator(seed=i + 1, spawn_every=0, seeded=False, clock=Clock(frozen=True)).start() for i in range(orgs)]
    try:
        published = Published()
        now = datetime.now(UTC)
        built = time.perf_counter()
        publishing: list[float] = []
        for i, sim in enumerate(sims):
            by_id = org_jobs(sim, jobs, spread_s)
            tally, index = figures_of(f"org{i}", by_id, now.timestamp())
            began = time.perf_counter()  # what a poll's publishing costs the recorder's loop
            figures = tally.figures(f"org{i}", by_id, index.running, now.timestamp(), Connection(last_good=now), 5.0,
                                    None, {"listings": 1})  # fmt: skip
            publishing.append(time.perf_counter() - began)
            published.publish(figures)
        built = time.perf_counter() - built
        before = [sim.requests for sim in sims]
        server = RecorderServer(Listen("127.0.0.1", 0), Exposition(published), None).start()
        url = f"http://127.0.0.1:{server.port}/metrics"
        try:
            with httpx.Client() as client:
                for accept, encoding, label in (
                    ("", "identity", "text"),
                    ("", "gzip", "text, gzip"),  # what Prometheus asks for
                    ("application/openmetrics-text; version=1.0.0", "identity", "OpenMetrics"),
                ):
                    headers = {"Accept": accept, "Accept-Encoding": encoding}
                    began = time.perf_counter()
                    client.get(url, headers=headers)  # the connection opened, each job's label set made: not timed
                    first = time.perf_counter() - began
                    times, size = [], 0
                    for _ in range(scrapes):
                        began = time.perf_counter()
                        answer = client.get(url, headers=headers)
                        times.append(time.perf_counter() - began)
                        size = answer.num_bytes_downloaded
                    series = sum(1 for line in answer.text.splitlines() if line and not line.startswith("#"))
                    cuts = quantiles(times, n=100, method="inclusive")
                    print(f"{shape:12} {label:11}: first {first * 1000:6.1f} ms  p50 {cuts[49] * 1000:6.1f} ms  "
                          f"p99 {cuts[98] * 1000:6.1f} ms  "
                          f"max {max(times) * 1000:6.1f} ms  "
                          f"({series:,} series, {size / 1024:,.0f} KiB as sent)")  # fmt: skip
        finally:
            server.stop()
        after = [sim.requests for sim in sims]
        running = sum(len(f.jobs) for f in published.latest().values())
        print(f"{shape:12} {orgs} orgs x {jobs:,} jobs: {running:,} jobs with their own series; figures built in "
              f"{built:.2f} s; an org's figures made in {max(publishing) * 1000:.1f} ms at most (the recorder's loop, "
              f"each poll); org requests during the scrapes: {sum(after) - sum(before)}")  # fmt: skip
        assert after == before
    finally:
        for sim in sims:
            sim.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orgs", type=int, default=10)
    parser.add_argument("--jobs", type=int, default=2000)
    parser.add_argument("--scrapes", type=int, default=50)
    args = parser.parse_args()
    print(f"cpus: {os.cpu_count()}")
    run(args.orgs, args.jobs, args.scrapes, 60.0, "day")
    run(args.orgs, args.jobs, args.scrapes, 0.01, "all running")


if __name__ == "__main__":
    main()
