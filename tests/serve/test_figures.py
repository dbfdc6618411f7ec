"""What the recorder publishes for /metrics (monitor/figures.py): counters of what *this* recorder saw
(a job that ended before it looked is not counted, nor the records processed before), each job's own
figures while it runs and for an hour after it ended, and whether the org is up decided at scrape time
(a poll loop that stopped goes stale). A counter never goes down."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

from prometheus_client import generate_latest
from prometheus_client.openmetrics.exposition import generate_latest as openmetrics_latest
from prometheus_client.openmetrics.parser import text_string_to_metric_families as openmetrics_parse
from prometheus_client.parser import text_string_to_metric_families

from sfmonitor.bulk.models import ApiUsage, Job
from sfmonitor.monitor.board import Connection
from sfmonitor.monitor.figures import OrgFigures, Published, Tally
from sfmonitor.monitor.index import JobIndex
from sfmonitor.serve.metrics import Exposition, registry_of
from sfmonitor.text import inert

T0 = datetime(2026, 12, 3, 10, 0, tzinfo=UTC)


def job(job_id: str, state: str, processed: int | None, failed: int | None = 0, *, ended_min: int = 5) -> Job:
    fields = {"id": job_id, "state": state, "object": "Account", "operation": "insert", "jobType": "V2Ingest",
              "numberRecordsProcessed": processed, "numberRecordsFailed": failed,
              "createdDate": "2026-12-03T09:00:00.000+0000",
              "systemModstamp": f"2026-12-03T10:{ended_min:02d}:00.000+0000"}  # fmt: skip
    return Job.from_fields(fields)


def poll(tally: Tally, index: JobIndex, jobs: list[Job], changed: list[Job], at: datetime) -> OrgFigures:
    by_id = {j.id: j for j in jobs}
    index.update(by_id)
    tally.polled(by_id, changed, at.timestamp())
    connection = Connection(last_good=at)
    return tally.figures("prod", by_id, index.running, at.timestamp(), connection, 5.0, None, {"listings": 1})


def values(figures: OrgFigures) -> dict[str, dict[tuple[str, ...], float]]:
    """The counters that moved (every API and outcome is served from the first listing, at 0 until then)."""
    assert len(figures.ended) == 12 and len(figures.processed) == len(figures.failed) == 3
    return {
        "ended": {(a, o): n for a, o, n in figures.ended if n},
        "processed": {(a,): n for a, n in figures.processed if n},
        "failed": {(a,): n for a, n in figures.failed if n},
    }


def test_counters_count_what_this_recorder_saw_and_never_go_down() -> None:
    tally, index = Tally(), JobIndex(clock=lambda: T0.timestamp())
    old = job("750A", "JobComplete", 9000, 40)  # ended before the recorder looked
    running = job("750B", "InProgress", 1000, 10)
    first = poll(tally, index, [old, running], [old, running], T0)
    assert values(first) == {"ended": {}, "processed": {}, "failed": {}}
    assert {(j.id, j.processed) for j in first.jobs} == {("750A", 9000), ("750B", 1000)}  # A ended 5 min ago

    done = job("750B", "JobComplete", 2500, 12)
    new = job("750C", "Failed", 300, 300)  # started and ended between two polls
    second = poll(tally, index, [old, done, new], [done, new], T0 + timedelta(minutes=1))
    assert values(second) == {"ended": {("bulk2-ingest", "records-failed"): 1, ("bulk2-ingest", "failed"): 1},
                              "processed": {("bulk2-ingest",): 1500 + 300},
                              "failed": {("bulk2-ingest",): 2 + 300}}  # fmt: skip
    assert dict(((a, p), n) for a, p, n in second.phases) == {("bulk2-ingest", "ended"): 3}

    again = job("750B", "JobComplete", 2400, 12)  # a count that fell is not un-counted; an end counts once
    third = poll(tally, index, [old, again, new], [again], T0 + timedelta(minutes=2))
    assert values(third) == values(second)

    later = T0 + timedelta(hours=2)  # an hour after they ended, the jobs' own series are gone
    assert poll(tally, index, [old, again, new], [], later).jobs == ()


def test_a_count_the_first_listing_lacks_is_a_base_not_records_seen() -> None:
    tally, index = Tally(), JobIndex(clock=lambda: T0.timestamp())
    listed = job("750D", "InProgress", None, None)
    poll(tally, index, [listed], [listed], T0)
    read = job("750D", "InProgress", 70_000, 5)  # read later: what it had done before we looked
    figures = poll(tally, index, [read], [read], T0 + timedelta(seconds=5))
    assert values(figures)["processed"] == {}
    more = job("750D", "InProgress", 70_100, 6)
    figures = poll(tally, index, [more], [more], T0 + timedelta(seconds=10))
    assert values(figures)["processed"] == {("bulk2-ingest",): 100} and values(figures)["failed"] == {
        ("bulk2-ingest",): 1
    }


def test_org_up_is_decided_at_scrape_time_and_the_usage_is_absent_until_said() -> None:
    published, now = Published(), [T0.timestamp()]
    registry = registry_of(published, clock=lambda: now[0])
    published.publish(OrgFigures("prod", Connection(), 5.0, polled=False))

    def scrape() -> dict[str, float]:
        text = generate_latest(registry).decode()
        return {s.name: s.value for f in text_string_to_metric_families(text) for s in f.samples
                if s.name.startswith("sfmonitor_org_")}  # fmt: skip

    assert scrape() == {"sfmonitor_org_up": 0}  # not polled yet: down, and no usage passed off as 0
    published.publish(OrgFigures("prod", Connection(last_good=T0), 5.0, polled=True, usage=ApiUsage(120, 1000)))
    assert scrape() == {"sfmonitor_org_up": 1, "sfmonitor_org_api_requests_used": 120,
                        "sfmonitor_org_api_requests_max": 1000}  # fmt: skip
    now[0] += 31  # no good poll for longer than max(3 x the poll gap, 30 s): stale
    assert scrape()["sfmonitor_org_up"] == 0
    failing = Connection(last_good=T0, error="timed out", failing_since=T0)
    published.publish(OrgFigures("prod", failing, 5.0, polled=True))
    now[0] = T0.timestamp()
    assert scrape() == {"sfmonitor_org_up": 0}  # the usage of a figure that has none: absent


HOSTILE = 'Evil"Obj\n# TYPE x counter\n[bold]boom[/] \x1b]52;c;ZXZpbA==\x07\\'


def test_the_servers_own_job_lines_read_as_the_librarys_in_both_formats() -> None:
    """The jobs' own series are written by serve/metrics.Exposition, the rest by prometheus_client:
    both parsers read the whole answer as they read the library's own rendering, hostile names too."""
    tally, index = Tally(), JobIndex(clock=lambda: T0.timestamp())
    jobs = [job(f"750{i:03d}", "InProgress", 10 * i, i) for i in range(20)]
    jobs.append(Job.from_fields({**jobs[0].fields, "id": "750EVIL", "object": HOSTILE, "operation": HOSTILE}))
    figures = poll(tally, index, jobs, jobs, T0)
    published = Published()
    published.publish(figures)
    clock = lambda: T0.timestamp()  # noqa: E731
    registry = registry_of(published, clock)
    for accept, library, parse in (
        ("", generate_latest, text_string_to_metric_families),
        ("application/openmetrics-text; version=1.0.0", openmetrics_latest, openmetrics_parse),
    ):
        body, content_type = Exposition(published, clock).render(accept)
        assert content_type.startswith("application/openmetrics-text" if accept else "text/plain")
        ours = sorted((s.name, sorted(s.labels.items()), s.value) for f in parse(body.decode()) for s in f.samples)
        theirs = sorted((s.name, sorted(s.labels.items()), s.value) for f in parse(library(registry).decode())
                        for s in f.samples)  # fmt: skip
        assert ours == theirs and len(ours) > 40
        evil = [labels for name, labels, _ in ours if dict(labels).get("job_id") == "750EVIL"]
        assert evil and all(dict(labels)["object"] == inert(HOSTILE) for labels in evil)
        assert b"\x1b" not in body and b"\x07" not in body and b"\n# TYPE x" not in body


def test_a_stale_org_serves_no_job_phase_or_usage_figure_as_current() -> None:
    """The org went away: org_up 0, and its jobs' series, its jobs by phase and its API usage are not
    served (they would be read as current, and a stall rule would fire for every job)."""
    tally, index = Tally(), JobIndex()
    figures = poll(tally, index, [job("750A", "InProgress", 10)], [job("750A", "InProgress", 10)], T0)
    published, now = Published(), [T0.timestamp()]
    published.publish(figures)
    exposition = Exposition(published, clock=lambda: now[0])

    def names() -> set[str]:
        body, _ = exposition.render("text/plain")
        return {s.name for f in text_string_to_metric_families(body.decode()) for s in f.samples}

    assert {"sfmonitor_job_records_processed", "sfmonitor_jobs"} <= names()
    now[0] += 3600  # no good poll since: stale
    left = names()
    assert "sfmonitor_job_records_processed" not in left and "sfmonitor_jobs" not in left
    assert "sfmonitor_org_up" in left and "sfmonitor_api_calls_total" in left  # what is still true is served


def test_text_that_is_no_unicode_cannot_break_a_scrape() -> None:
    """A lone surrogate (valid in JSON, no Unicode) in an object name: escaped, the scrape whole."""
    tally, index = Tally(), JobIndex()
    fields = {
        "id": "750S",
        "state": "InProgress",
        "object": "Bad" + chr(0xD800) + "Obj",
        "operation": "insert",
        "jobType": "V2Ingest",
        "numberRecordsProcessed": 1,
        "createdDate": "2026-12-03T09:00:00.000+0000",
    }
    odd = Job.from_fields(fields)
    published = Published()
    published.publish(poll(tally, index, [odd], [odd], T0))
    body, _ = Exposition(published, clock=lambda: T0.timestamp()).render("text/plain")
    assert b"ud800Obj" in body and b"sfmonitor_org_up" in body


def test_clients_that_never_finish_their_request_hold_a_bounded_number_of_threads() -> None:
    """Each connection is a thread: a crowd of clients trickling nothing holds at most CONNECTIONS of them
    (the rest are closed at once), and once they go a scrape is answered again."""
    import socket
    import threading

    import httpx

    from sfmonitor.serve.access import Listen
    from sfmonitor.serve.server import CONNECTIONS, RecorderServer

    published = Published()
    published.publish(OrgFigures("prod", Connection(last_good=T0), 5.0, polled=True))
    server = RecorderServer(Listen("127.0.0.1", 0), Exposition(published), None).start()
    before = threading.active_count()
    crowd = [socket.create_connection(("127.0.0.1", server.port)) for _ in range(CONNECTIONS + 40)]
    try:
        for sock in crowd:
            sock.sendall(b"GET /metrics HTTP/1.1\r\n")  # and never the rest
        deadline = time.monotonic() + 5
        while threading.active_count() - before < CONNECTIONS and time.monotonic() < deadline:
            time.sleep(0.01)
        assert threading.active_count() - before <= CONNECTIONS
    finally:
        for sock in crowd:
            sock.close()
    deadline = time.monotonic() + 10
    while threading.active_count() > before and time.monotonic() < deadline:
        time.sleep(0.01)
    try:
        assert httpx.get(f"http://127.0.0.1:{server.port}/metrics").status_code == 200
    finally:
        server.stop()


def test_an_open_upload_at_the_first_listing_counts_every_record_it_processes_after() -> None:
    """A 2.0 job still Open when the recorder first lists the org has processed nothing: its records all
    come after, and are all counted (the first read's were dropped as a base)."""
    tally, index = Tally(), JobIndex()
    opened = job("750O", "Open", None, None)
    poll(tally, index, [opened], [opened], T0)
    poll(tally, index, [job("750O", "InProgress", 500)], [job("750O", "InProgress", 500)], T0 + timedelta(seconds=5))
    done = job("750O", "JobComplete", 1000)
    figures = poll(tally, index, [done], [done], T0 + timedelta(seconds=10))
    assert values(figures)["processed"] == {("bulk2-ingest",): 1000}


def test_a_bulk1_job_unknown_at_the_first_listing_has_its_end_counted_once_known_running() -> None:
    """A Bulk 1.0 job the first listing shows without its batch counters (its read failed): counted once
    a later read shows it running, so its end is counted; one that shows ended at once is not (it ended
    before this recorder knew it)."""

    def classic(job_id: str, state: str, done: int | None, total: int | None) -> Job:
        fields = {
            "id": job_id,
            "state": state,
            "object": "Account",
            "operation": "insert",
            "jobType": "Classic",
            "numberRecordsProcessed": 0 if done is None else done * 100,
            "numberRecordsFailed": 0,
            "createdDate": "2026-12-03T09:00:00.000+0000",
            "systemModstamp": "2026-12-03T10:05:00.000+0000",
        }
        if total is not None:
            fields.update(numberBatchesTotal=total, numberBatchesCompleted=done, numberBatchesQueued=0,
                          numberBatchesInProgress=total - (done or 0), numberBatchesFailed=0)  # fmt: skip
        return Job.from_fields(fields)

    tally, index = Tally(), JobIndex()
    listed = [classic("751A", "Closed", None, None), classic("751B", "Closed", None, None)]
    poll(tally, index, listed, listed, T0)  # both unknown: their reads failed
    later = [classic("751A", "Closed", 1, 3), classic("751B", "Closed", 3, 3)]  # A running, B already ended
    poll(tally, index, later, later, T0 + timedelta(seconds=5))
    done = [classic("751A", "Closed", 3, 3), later[1]]
    figures = poll(tally, index, done, done[:1], T0 + timedelta(seconds=10))
    assert values(figures)["ended"] == {("bulk1", "ok"): 1}
