"""The history file: what a poll writes, what comes back, and that nothing is written twice."""

from __future__ import annotations

import itertools
import multiprocessing
import os
import sqlite3
import stat
from pathlib import Path
from typing import Any

import pytest

from sfmonitor.bulk.models import Job, JobKind
from sfmonitor.monitor.snapshot import read_snapshot
from sfmonitor.simulator.server import Simulator
from sfmonitor.store import reader
from sfmonitor.store.recording import Recording
from sfmonitor.store.rows import state_of_point
from sfmonitor.store.schema import StoreError, connect
from sfmonitor.store.writer import MAX_POINTS, Writer, prune
from tests.conftest import connected

T0 = 1_780_000_000.0  # 2026-05-28


def job(job_id: str = "7503000000000A1AAA", state: str = "InProgress", processed: int = 0, **extra: Any) -> Job:
    fields = {
        "id": job_id,
        "jobType": "V2Ingest",
        "object": "Account",
        "operation": "upsert",
        "state": state,
        "createdDate": "2026-05-28T20:26:40.000+0000",
        "systemModstamp": "2026-05-28T20:30:00.000+0000",
        "numberRecordsProcessed": processed,
        "numberRecordsFailed": 0,
        **extra,
    }
    return Job.from_fields(fields)


def points(path: Path) -> list[tuple[Any, ...]]:
    with sqlite3.connect(path) as conn:
        rows = conn.execute("SELECT at, state, processed FROM points ORDER BY at").fetchall()
    return [(at, state_of_point(state), processed) for at, state, processed in rows]


def writer(path: Path) -> Writer:
    return Writer(connect(path, write=True))


def test_file_is_the_users_alone(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "history.sqlite3"
    recording = Recording(path)
    recording.poll("prod", [job()], T0)
    assert recording.flush(10)
    recording.close()
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    for companion in path.parent.glob("history.sqlite3-*"):
        assert stat.S_IMODE(companion.stat().st_mode) & 0o077 == 0


async def test_jobs_read_from_the_org_come_back_as_the_org_said(sim: Simulator, tmp_path: Path) -> None:
    """Every job the simulator has, read over HTTP, recorded, and read back from the file alone: the
    same Salesforce fields as ``status`` gives, plus what sfmonitor noted."""
    async with connected(sim) as service:
        snapshot = await read_snapshot(service)
    path = tmp_path / "h.sqlite3"
    w = writer(path)
    assert w.poll("sim", snapshot.jobs.values(), T0) == len(snapshot.jobs)
    conn = connect(path, write=False)
    back = {r.job.id: r for r in reader.jobs(conn, reader.Filter(limit=None))}
    assert back.keys() == snapshot.jobs.keys()
    kinds = set()
    for job_id, original in snapshot.jobs.items():
        got = back[job_id]
        kinds.add(got.job.kind)
        assert got.org == "sim"
        mine, theirs = got.job.to_json(), original.to_json()
        for name in ("id", "jobType", "object", "operation", "state", "numberRecordsProcessed",
                     "numberRecordsFailed", "apiVersion", "totalProcessingTime", "numberBatchesTotal"):  # fmt: skip
            assert mine.get(name) == theirs.get(name), (job_id, name)
        assert got.job.created_date == original.created_date
        assert got.job.finished == original.finished
        as_json = got.to_json()
        assert as_json["org"] == "sim" and as_json["phase"] in ("running", "ended", "waiting", "unknown")
        if original.finished:
            assert as_json["endedDate"] and as_json["durationSeconds"] is not None
    assert kinds == {JobKind.CLASSIC, JobKind.INGEST, JobKind.QUERY}


def test_a_poll_writes_only_what_changed(tmp_path: Path) -> None:
    path = tmp_path / "h.sqlite3"
    w = writer(path)
    assert w.poll("prod", [job(processed=10)], T0) == 1
    assert w.poll("prod", [job(processed=10)], T0 + 5) == 0  # the same values: nothing written
    assert w.poll("prod", [job(processed=500)], T0 + 10) == 1
    assert w.poll("prod", [job(state="JobComplete", processed=900)], T0 + 15) == 1
    assert [(s, p) for _, s, p in points(path)] == [("InProgress", 10), ("InProgress", 500), ("JobComplete", 900)]
    (found,) = reader.find(connect(path, write=False), "7503000000000A1AAA")
    assert found.outcome == "ok" and found.phase == "ended"
    modstamp = job().system_modstamp
    assert modstamp is not None and found.ended == modstamp.timestamp()  # the org's own end
    assert found.job.number_records_processed == 900


def _record_from_process(path: str, start: float) -> None:
    w = Writer(connect(Path(path), write=True))
    for step in range(40):  # both processes see the same changes, at slightly different moments
        w.poll("prod", [job(processed=step // 2 * 100)], start + step * 5 + 0.001 * os.getpid() % 1)


def test_two_processes_recording_one_org_write_each_change_once(tmp_path: Path) -> None:
    path = tmp_path / "h.sqlite3"
    connect(path, write=True).close()
    context = multiprocessing.get_context("spawn")
    workers = [context.Process(target=_record_from_process, args=(str(path), T0)) for _ in range(2)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(60)
        assert worker.exitcode == 0
    with sqlite3.connect(path) as conn:
        assert conn.execute("SELECT count(*) FROM jobs").fetchone()[0] == 1
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    counts = [p for _, _, p in points(path)]
    assert sorted(set(counts)) == [n * 100 for n in range(20)]
    assert len(counts) <= 2 * 20  # never more than each process's own changes; in practice each once
    assert all(a != b for a, b in itertools.pairwise(counts)), "a point repeats its predecessor"


def test_a_long_job_stays_small_and_keeps_its_states(tmp_path: Path) -> None:
    path = tmp_path / "h.sqlite3"
    w = writer(path)
    w.poll("prod", [job(state="UploadComplete", processed=0)], T0)
    for step in range(1, 2000):  # a day-long job read every 5 s with its counts moving each time
        w.poll("prod", [job(processed=step)], T0 + step * 5)
    w.poll("prod", [job(state="JobComplete", processed=2000)], T0 + 10_000)
    kept = points(path)
    assert len(kept) <= MAX_POINTS + 1
    assert [s for _, s, _ in kept].count("UploadComplete") == 1 and kept[-1][1] == "JobComplete"
    assert [s for _, s, _ in kept][1] == "InProgress"  # the first InProgress point: when it started
    gaps = [b[0] - a[0] for a, b in itertools.pairwise(kept)]
    assert gaps[-2] < gaps[1]  # recent history is finer than old


def test_a_file_from_a_newer_sfmonitor_is_refused_and_left_alone(tmp_path: Path) -> None:
    path = tmp_path / "h.sqlite3"
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA user_version = 99")
    before = path.read_bytes()
    with pytest.raises(StoreError, match="newer sfmonitor"):
        connect(path, write=True)
    faults: list[str] = []
    recording = Recording(path, on_fault=faults.append)
    recording.poll("prod", [job()], T0)
    recording.close()
    assert path.read_bytes() == before
    assert len(faults) == 1 and "newer sfmonitor" in faults[0] and recording.fault == faults[0]


def test_a_damaged_file_stops_history_not_the_caller(tmp_path: Path) -> None:
    path = tmp_path / "h.sqlite3"
    path.write_bytes(b"this is not sqlite " * 500)
    path.chmod(0o600)
    faults: list[str] = []
    recording = Recording(path, on_fault=faults.append)
    recording.poll("prod", [job()], T0)
    assert recording.flush(10)
    recording.close()
    assert faults == [recording.fault] and "damaged" in faults[0]
    recording.poll("prod", [job()], T0)  # after a fault: quietly nothing
    assert path.read_bytes().startswith(b"this is not sqlite")


def test_a_file_another_program_keeps_locked(tmp_path: Path) -> None:
    path = tmp_path / "h.sqlite3"
    connect(path, write=True).close()
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        faults: list[str] = []
        recording = Recording(path, on_fault=faults.append, busy_ms=200)
        recording.poll("prod", [job()], T0)
        assert recording.flush(10)
        recording.close()
        assert faults and "locked" in faults[0]
    finally:
        holder.execute("ROLLBACK")
        holder.close()


def test_a_full_disk_stops_history_with_words(tmp_path: Path) -> None:
    """SQLite's own "database or disk is full" (its page limit reached mid-write) is said once."""
    path = tmp_path / "h.sqlite3"
    w = writer(path)
    w.conn.execute(f"PRAGMA max_page_count = {w.conn.execute('PRAGMA page_count').fetchone()[0]}")
    with pytest.raises(sqlite3.Error) as caught:
        w.poll("prod", [job(f"75030000000{n:04d}AAA", processed=n) for n in range(3000)], T0)
    from sfmonitor.store.schema import words

    assert "disk is full" in words(caught.value, path)
    assert reader.jobs(connect(path, write=False), reader.Filter()) == []  # the poll rolled back whole


def test_retention_forgets_the_oldest_first(tmp_path: Path) -> None:
    path = tmp_path / "h.sqlite3"
    w = writer(path)
    day = 86_400.0
    for n in range(10):
        created = T0 - (500 - n * 50) * day  # 500 .. 50 days ago
        stamp = f"{created:.0f}"
        fields = {"createdDate": _sf(created), "systemModstamp": _sf(created + 60)}
        w.poll("prod", [job(f"75030000000{n:04d}AAA", state="JobComplete", **fields)], float(stamp))
    assert prune(w.conn, T0, days=400, max_bytes=1 << 30) == 2  # ended 500 and 450 days ago
    left = reader.jobs(w.conn, reader.Filter(limit=None))
    assert len(left) == 8 and min(r.job.created_date for r in left if r.job.created_date) == _dt(T0 - 400 * day)
    assert prune(w.conn, T0, days=400, max_bytes=1) == 8  # a size cap below anything: all go, oldest first
    assert reader.jobs(w.conn, reader.Filter(limit=None)) == []


def _sf(seconds: float) -> str:
    from sfmonitor.store.rows import sf_date

    text = sf_date(seconds)
    assert text is not None
    return text


def _dt(seconds: float) -> Any:
    from datetime import UTC, datetime

    return datetime.fromtimestamp(seconds, UTC)


def test_a_timeline_gives_back_every_moment_and_state_as_recorded(tmp_path: Path) -> None:
    """A point is kept small (a million jobs' points are most of the file): its moment relative to the
    job's first sight, a known state as a small number. What comes back is what was seen: the moments
    to the millisecond, and any other state, even one that looks like such a number, as its text."""
    path = tmp_path / "h.sqlite3"
    w = writer(path)
    said = ["Open", "UploadComplete", "InProgress", "Queued For Review", "3", "InProgress", "JobComplete"]
    for step, state in enumerate(said):
        w.poll("prod", [job(state=state, processed=step)], T0 + 0.123 + step * 10)
    conn = connect(path, write=False)
    (found,) = reader.find(conn, "7503000000000A1AAA")
    timeline = reader.timeline(conn, found).points
    assert [p.state for p in timeline] == said
    assert [p.at for p in timeline] == [T0 + 0.123 + step * 10 for step in range(len(said))]
    assert [s for _, s, _ in points(path)] == said


def test_an_orgs_newest_jobs_and_a_job_by_id_are_read_from_an_index(tmp_path: Path) -> None:
    """Over a million jobs, sorting an org's jobs (history -o, the dashboard's instant start) took ~0.9 s
    and finding an id without its org a whole scan: each read here is an index search, never a sort
    of every match nor a scan of the file (checked on the statements the reader runs)."""
    path = tmp_path / "h.sqlite3"
    w = writer(path)
    w.poll("prod", [job(f"75030000000{n:04d}AAA", processed=n) for n in range(50)], T0)
    conn = connect(path, write=False)
    ran: list[str] = []
    conn.set_trace_callback(ran.append)
    assert len(reader.jobs(conn, reader.Filter(orgs=("prod",)))) == 50
    assert len(reader.last_jobs(conn, "prod")) == 50
    assert len(reader.find(conn, "750300000000007AAA")) == 1
    conn.set_trace_callback(None)
    assert len(ran) == 3
    for statement in ran:
        plan = " ".join(row[-1] for row in conn.execute("EXPLAIN QUERY PLAN " + statement))
        assert "SEARCH jobs USING INDEX" in plan and "TEMP B-TREE FOR ORDER BY" not in plan, (statement, plan)


def test_a_poll_of_many_unchanged_jobs_lets_the_event_loops_thread_in(tmp_path: Path) -> None:
    """Checking unchanged jobs is Python alone, no SQL call letting go of the interpreter lock: the
    writer lets it go every few dozen jobs, so the loop's thread is not held for a whole poll (with the
    switch interval made huge here, it could only get in where the writer lets it)."""
    import sys
    import threading
    import time

    path = tmp_path / "h.sqlite3"
    w = writer(path)
    jobs = [job(f"75030000000{n:04d}AAA", state="JobComplete", processed=n) for n in range(3000)]
    w.poll("prod", jobs, T0)
    polling = threading.Thread(target=lambda: [w.poll("prod", jobs, T0 + n) for n in range(5)])
    ran_meanwhile = 0
    interval = sys.getswitchinterval()
    sys.setswitchinterval(30.0)
    try:
        polling.start()
        while polling.is_alive():
            ran_meanwhile += 1
            time.sleep(0.0002)
    finally:
        sys.setswitchinterval(interval)
        polling.join()
    assert ran_meanwhile >= 20  # held for the whole poll: a handful at most


def test_the_same_id_created_again_is_another_job(tmp_path: Path) -> None:
    """A simulator started again (or an org reset) reuses ids: the old record goes, never merged into
    the new one (which had shown a running job "ended" before it was created, in 0 s)."""
    path = tmp_path / "h.sqlite3"
    w = writer(path)
    w.poll("demo", [job(state="InProgress", processed=5)], T0)
    w.poll("demo", [job(state="JobComplete", processed=9)], T0 + 60)
    again = {"createdDate": "2026-05-29T08:00:00.000+0000", "systemModstamp": "2026-05-29T08:00:05.000+0000"}
    w2 = writer(path)  # a new process: nothing cached
    w2.poll("demo", [job(state="InProgress", processed=1, **again)], T0 + 86_400)
    (found,) = reader.find(connect(path, write=False), "7503000000000A1AAA")
    assert found.phase == "running" and found.ended is None and found.duration_s is None
    assert found.job.created_date is not None and found.job.created_date.day == 29
    assert [(s, p) for _, s, p in points(path)] == [("InProgress", 1)]  # the old run's points went with it


def test_an_end_is_never_kept_for_a_job_running_again(tmp_path: Path) -> None:
    path = tmp_path / "h.sqlite3"
    w = writer(path)
    w.poll("prod", [job(state="JobComplete", processed=9)], T0)
    w.poll("prod", [job(state="InProgress", processed=9)], T0 + 5)  # the org says so: believed, not the end
    (found,) = reader.find(connect(path, write=False), "7503000000000A1AAA")
    assert found.ended is None and found.phase == "running"


def test_another_processs_sight_within_a_second_adds_no_point(tmp_path: Path) -> None:
    path = tmp_path / "h.sqlite3"
    Writer(connect(path, write=True)).poll("prod", [job(processed=100)], T0)
    Writer(connect(path, write=True)).poll("prod", [job(processed=130)], T0 + 0.4)  # two dashboards' polls
    Writer(connect(path, write=True)).poll("prod", [job(processed=900)], T0 + 5)
    Writer(connect(path, write=True)).poll("prod", [job(state="JobComplete", processed=950)], T0 + 5.3)
    assert [p for _, _, p in points(path)] == [100, 900, 950]  # a state change is always kept


def test_recording_prunes_after_its_start_and_leaves_one_whole_file(tmp_path: Path) -> None:
    from sfmonitor.store.recording import PRUNE_FIRST_S, Retention

    path = tmp_path / "h.sqlite3"
    old = {"createdDate": _sf(T0 - 500 * 86_400), "systemModstamp": _sf(T0 - 500 * 86_400 + 60)}
    Writer(connect(path, write=True)).poll("prod", [job("750300000000OLDAAA", state="JobComplete", **old)], T0 - 9)
    now = [T0]
    recording = Recording(path, Retention(days=400), clock=lambda: now[0])
    recording.poll("prod", [job()], T0)
    assert recording.flush(10)
    conn = connect(path, write=False)
    assert len(reader.jobs(conn, reader.Filter())) == 2  # not pruned at the start: the instant start reads first
    now[0] = T0 + PRUNE_FIRST_S + 1
    recording.poll("prod", [job(processed=7)], now[0])
    assert recording.flush(10)
    assert [r.job.id for r in reader.jobs(conn, reader.Filter())] == ["7503000000000A1AAA"]
    conn.close()
    recording.close()
    wal = path.with_name(path.name + "-wal")
    assert not wal.exists() or wal.stat().st_size == 0  # checkpointed: a copy of the file alone is whole
    copy = tmp_path / "copy.sqlite3"
    copy.write_bytes(path.read_bytes())
    assert [r.job.id for r in reader.jobs(connect(copy, write=False), reader.Filter())] == ["7503000000000A1AAA"]


def test_a_job_pruned_while_its_screen_is_open_is_said_in_words(tmp_path: Path) -> None:
    from sfmonitor.store.memory import Memory

    path = tmp_path / "h.sqlite3"
    w = writer(path)
    w.poll("prod", [job()], T0)
    memory = Memory(path)
    (shown,) = memory.last_jobs("prod")[0]
    prune(w.conn, T0 + 1, days=400, max_bytes=1)
    with pytest.raises(StoreError, match="no longer in the history file"):
        memory.timeline(shown)


def test_the_writer_forgets_jobs_no_longer_handed_over(tmp_path: Path) -> None:
    """Its memory of what it wrote is that of the jobs its orgs hold: a job that left the org (not
    handed over for an hour) is dropped, so a recorder running for weeks does not grow with every job
    it ever saw. One handed over again is still skipped while unchanged."""
    w = writer(tmp_path / "h.sqlite3")
    old = [job(f"75030000000{n:04d}AAA", state="JobComplete", processed=n) for n in range(100)]
    kept = old[:10]
    assert w.poll("prod", old, T0) == 100
    assert w.poll("prod", kept, T0 + 1800) == 0
    assert w.remembered == 100  # within the hour: all still held
    assert w.poll("prod", kept, T0 + 3700) == 0
    assert w.remembered == 10  # the 90 not handed over since T0 are forgotten
    assert w.poll("prod", old, T0 + 3800) == 90  # seen again: written again (a miss, never a wrong skip)
    assert len(points(tmp_path / "h.sqlite3")) == 100  # and no point repeats what the file had


def test_index_statistics_are_renewed_as_the_jobs_grow(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Without SQLite's statistics, ``history -o ORG --object X`` walked the org's rows by date (2.5 s on a
    cold disk over a million jobs); they are taken once the file is big, again after a quarter more."""
    from sfmonitor.store import recording

    monkeypatch.setattr(recording, "ANALYSE_FROM", 40)
    path = tmp_path / "h.sqlite3"
    w = writer(path)
    stats = "SELECT count(*) FROM sqlite_master WHERE name = 'sqlite_stat1'"
    w.poll("prod", [job(f"75030000000{n:04d}AAA") for n in range(30)], T0)
    recording.analyse(w.conn)
    assert w.conn.execute(stats).fetchone()[0] == 0  # small: not worth it
    w.poll("prod", [job(f"75030000000{n:04d}AAA") for n in range(30, 50)], T0)
    recording.analyse(w.conn)
    assert w.conn.execute("SELECT value FROM meta WHERE key = 'analysed_jobs'").fetchone() == ("50",)
    w.poll("prod", [job(f"75030000000{n:04d}AAA") for n in range(50, 60)], T0)
    recording.analyse(w.conn)  # 60 < 50 x 1.25: not yet
    assert w.conn.execute("SELECT value FROM meta WHERE key = 'analysed_jobs'").fetchone() == ("50",)
    w.poll("prod", [job(f"75030000000{n:04d}AAA") for n in range(60, 70)], T0)
    recording.analyse(w.conn)
    assert w.conn.execute("SELECT value FROM meta WHERE key = 'analysed_jobs'").fetchone() == ("70",)
    assert w.conn.execute("SELECT count(*) FROM sqlite_stat1 WHERE idx = 'jobs_usual'").fetchone() == (1,)


def test_a_file_another_process_is_creating_is_waited_for_not_called_locked(tmp_path: Path) -> None:
    """Two recorders (or a recorder and a dashboard) started together on a new history file: while one
    creates it, SQLite answers the other's switch to WAL "locked" at once, without waiting, and history
    was off for it (found with two real ``record`` processes). It waits now, as for any write."""
    import threading

    path = tmp_path / "h.sqlite3"
    other = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    other.execute("BEGIN IMMEDIATE")  # the other process, mid-creation, before its switch to WAL
    other.execute("CREATE TABLE being_made (x)")
    threading.Timer(0.3, lambda: other.execute("COMMIT")).start()
    conn = connect(path, write=True, busy_ms=5000)
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    conn.close()
    other.close()
