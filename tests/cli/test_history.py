"""``sfmonitor history``: what was recorded from a real org (the simulator, over HTTP) comes back from
the history file alone, after the org is gone: the same ids, states and counts, filtered, one job's
timeline, server text inert, and each fault of the file said in one line."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import os
import sqlite3
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest

from sfmonitor.bulk.failure_reader import read_failures
from sfmonitor.bulk.failures import FailureReport
from sfmonitor.bulk.models import Job, JobKind
from sfmonitor.cli.exits import ExitCode
from sfmonitor.cli.history import history_file
from sfmonitor.monitor import phase as phase_rule
from sfmonitor.monitor.snapshot import read_snapshot
from sfmonitor.numbers import compact
from sfmonitor.simulator.server import Simulator
from sfmonitor.simulator.world import Clock
from sfmonitor.store.recording import Recording
from sfmonitor.store.schema import connect
from tests.conftest import connected

from .runner import Result, run_cli

HOSTILE_OBJECT = "[bold]Acct[/bold]\x1b]0;pwned\x07\x1b[31m"
HOSTILE_MESSAGE = "[red]boom[/red] \x1b]52;c;ZXZpbA==\x07 \u202eRTL"
FORMULA_OBJECT = '=HYPERLINK("https://evil.test")'


@dataclass(frozen=True)
class Recorded:
    path: Path
    said: dict[str, dict[str, Job]]  # org -> job id -> the job as the org said it, over HTTP
    at: dict[str, float]  # org -> when it was recorded (the org's clock)


async def _record_org(sim: Simulator, recording: Recording, org: str) -> dict[str, Job]:
    async with connected(sim) as service:
        snapshot = await read_snapshot(service)
    assert not snapshot.errors
    recording.poll(org, snapshot.jobs.values(), sim.world.clock.now())
    return dict(snapshot.jobs)


@pytest.fixture(scope="module")
def recorded(tmp_path_factory: pytest.TempPathFactory) -> Recorded:
    """Two orgs (two seeds: the same job ids, other jobs) read over HTTP and recorded; both simulators
    stopped before any test reads the file."""
    path = tmp_path_factory.mktemp("history") / "history.sqlite3"
    recording = Recording(path)
    said, at = {}, {}
    for org, seed in (("prod", 7), ("stage", 8)):
        with Simulator(speed=60, spawn_every=0, seed=seed) as sim:
            said[org] = asyncio.run(_record_org(sim, recording, org))
            at[org] = sim.world.clock.now()
    assert recording.flush(10)
    recording.close()
    assert recording.fault is None
    return Recorded(path, said, at)


def history(path: Path, *args: str) -> Result:
    return run_cli(["history", "--history-file", str(path), *args])


def listed(result: Result) -> list[dict[str, object]]:
    assert result.returncode == ExitCode.OK, result
    jobs = json.loads(result.stdout)
    assert isinstance(jobs, list)
    return jobs


def keys(jobs: list[dict[str, object]]) -> set[tuple[object, object]]:
    return {(job["org"], job["id"]) for job in jobs}


def every(recorded: Recorded) -> dict[tuple[str, str], Job]:
    return {(org, job_id): job for org, jobs in recorded.said.items() for job_id, job in jobs.items()}


def created(job: Job) -> float:
    assert job.created_date is not None
    return job.created_date.timestamp()


# --- the list, from the file alone ---------------------------------------------------------------


def test_json_gives_every_job_as_the_org_said_it_newest_first(recorded: Recorded) -> None:
    jobs = listed(history(recorded.path, "--format", "json", "--limit", "0"))
    said = every(recorded)
    assert keys(jobs) == set(said) and len(jobs) == len(said)
    dates = [str(j["createdDate"]) for j in jobs]
    assert dates == sorted(dates, reverse=True)
    for got in jobs:
        job = said[(str(got["org"]), str(got["id"]))]
        mine = job.to_json()
        for name in ("state", "object", "operation", "numberRecordsProcessed", "numberRecordsFailed", "jobType",
                     "apiKind"):  # fmt: skip
            assert got[name] == mine[name], (got["id"], name)
        assert datetime.fromisoformat(str(got["createdDate"])) == job.created_date  # 1.0's Z written as +0000
        ending = phase_rule.outcome(job)
        assert got["outcome"] == (ending.value if ending else None)
        assert (got["endedDate"] is None) == (not job.finished)
        if job.finished:
            assert isinstance(got["durationSeconds"], float | int) and got["durationSeconds"] >= 0


def test_the_table_shows_each_job_with_its_counts(recorded: Recorded) -> None:
    result = history(recorded.path, "--limit", "0")
    assert result.returncode == ExitCode.OK and result.stderr == ""
    lines = result.stdout.splitlines()
    said = every(recorded)
    assert lines[0].startswith(f"{len(said):,} remembered jobs, newest first; times are local")
    assert lines[1].split() == ["ORG", "JOB", "ID", "API", "OBJECT", "OPERATION", "STATE", "CREATED", "TOOK",
                                "PROCESSED", "FAILED"]  # fmt: skip
    rows = [line for line in lines[2:] if not line.startswith(" ")]
    assert len(rows) == len(said) and all(len(line) <= 120 for line in lines)
    for line in rows:
        org, job_id = line.split()[:2]
        job = said[(org, job_id)]
        assert line.endswith(
            f"{compact(job.number_records_processed, 10):>10} {compact(job.number_records_failed, 7):>7}"
        )
        assert job.kind.label in line and job.object in line
    unended = sum(1 for job in said.values() if not job.finished)
    assert sum("as last recorded, " in line for line in lines) == unended


def test_csv_is_the_json_fields_with_a_formula_neutralised(recorded: Recorded) -> None:
    result = history(recorded.path, "--format", "csv", "--limit", "0")
    assert result.returncode == ExitCode.OK
    assert result.stdout.startswith("\ufeff") and "\r\n" in result.stdout
    rows = list(csv.DictReader(io.StringIO(result.stdout.removeprefix("\ufeff"), newline="")))
    said = every(recorded)
    assert {(r["org"], r["id"]) for r in rows} == set(said)
    for r in rows:
        job = said[(r["org"], r["id"])]
        assert r["state"] == job.state
        assert r["numberRecordsProcessed"] == ("" if job.number_records_processed is None
                                               else str(job.number_records_processed))  # fmt: skip
        assert r["numberRecordsFailed"] == ("" if job.number_records_failed is None else str(job.number_records_failed))


def test_a_limit_hit_says_so_and_is_no_error(recorded: Recorded) -> None:
    result = history(recorded.path, "--limit", "5", "--format", "json")
    newest = sorted(every(recorded).items(), key=lambda item: created(item[1]), reverse=True)[:5]
    assert keys(listed(result)) == {key for key, _ in newest}
    assert result.stderr == "sfmonitor: showing the newest 5; --limit to see more\n"


# --- filters -------------------------------------------------------------------------------------


def _matching(recorded: Recorded, *args: str) -> set[tuple[object, object]]:
    result = history(recorded.path, "--format", "json", "--limit", "0", *args)
    return keys(listed(result))


def test_filters_by_org_object_operation_and_state(recorded: Recorded) -> None:
    said = every(recorded)
    assert _matching(recorded, "-o", "stage") == {k for k in said if k[0] == "stage"}
    assert _matching(recorded, "-o", "stage", "-o", "prod") == set(said)
    global_o = run_cli(["-o", "stage", "history", "--history-file", str(recorded.path), "--format", "json"])
    assert keys(listed(global_o)) == {k for k in said if k[0] == "stage"}  # -o before the command, as elsewhere
    assert _matching(recorded, "--object", "account") == {k for k, j in said.items() if j.object == "Account"}
    assert _matching(recorded, "-o", "prod", "--operation", "UPSERT") == {
        k for k, j in said.items() if k[0] == "prod" and j.operation == "upsert"
    }
    assert _matching(recorded, "--state", "JobComplete") == {k for k, j in said.items() if j.state == "JobComplete"}
    at = recorded.at
    running = {k for k, j in said.items() if phase_rule.phase(j, at[k[0]]) is phase_rule.Phase.RUNNING}
    assert running and _matching(recorded, "--state", "running") == running
    failed = {k for k, j in said.items() if phase_rule.outcome(j) is phase_rule.Outcome.RECORDS_FAILED}
    assert failed and _matching(recorded, "--state", "records-failed") == failed


@pytest.fixture
def kolkata(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """A local clock 5h30 east of UTC: a date naming no zone must be read on it, not as UTC."""
    monkeypatch.setenv("TZ", "Asia/Kolkata")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def test_since_and_until_take_a_local_date_time_or_a_duration_ago(recorded: Recorded, kolkata: None) -> None:
    said = every(recorded)
    moments = sorted({created(j) for j in said.values()})
    low, high = moments[len(moments) // 4], moments[3 * len(moments) // 4]
    since = (low + moments[moments.index(low) + 1]) / 2  # between two jobs: none sits on the edge
    until = (high + moments[moments.index(high) + 1]) / 2
    local = {name: datetime.fromtimestamp(t).strftime("%Y-%m-%dT%H:%M:%S") for name, t in (("s", since), ("u", until))}
    expected = {k for k, j in said.items() if since <= created(j) < until}
    assert expected and _matching(recorded, "--since", local["s"], "--until", local["u"]) == expected
    as_utc = datetime.fromtimestamp(since, UTC).isoformat()
    assert _matching(recorded, "--since", as_utc) == {k for k, j in said.items() if created(j) >= since}
    before = time.time()
    got = _matching(recorded, "--since", "2d")
    after = time.time()
    assert {k for k, j in said.items() if created(j) >= after - 2 * 86_400} <= got
    assert got <= {k for k, j in said.items() if created(j) >= before - 2 * 86_400}
    assert 0 < len(got) < len(said)
    before = time.time()
    got = _matching(recorded, "--until", "36h")
    after = time.time()
    assert {k for k, j in said.items() if created(j) < before - 129_600} <= got
    assert got <= {k for k, j in said.items() if created(j) < after - 129_600}


def test_a_filter_nothing_matches_is_a_true_empty_answer(recorded: Recorded) -> None:
    result = history(recorded.path, "--object", "NoSuchObject__c", "--format", "json")
    assert listed(result) == [] and result.stderr == "sfmonitor: no remembered jobs match\n"
    table = history(recorded.path, "--state", "Nonesuch")
    assert table.returncode == ExitCode.OK and table.stdout == ""
    assert table.stderr.startswith("sfmonitor: no remembered jobs match; 'Nonesuch' is no state, phase or outcome")
    assert "JobComplete" in table.stderr and "records-failed" in table.stderr and table.stderr.count("\n") == 1
    known = history(recorded.path, "--state", "aborted", "--object", "NoSuchObject__c")  # known: no hint
    assert known.returncode == ExitCode.OK and known.stderr == "sfmonitor: no remembered jobs match\n"


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--since", "last tuesday"], "neither a duration ago"),
        (["--since", "1d", "--until", "2d"], "is not before --until"),
        (["--limit", "-1"], "give a number of jobs"),
        (["--job", "750\x1b[2J"], "is not a Salesforce id"),
        (["-o", "prod", "--job", "stage:7505g0000000NT0AAM"], "not among the orgs given"),
    ],
)
def test_options_that_ask_nothing_sensible_exit_2(recorded: Recorded, args: list[str], says: str) -> None:
    result = history(recorded.path, *args)
    assert result.returncode == ExitCode.USAGE and says in result.stderr and result.stdout == ""
    assert "\x1b" not in result.stderr


# --- one job -------------------------------------------------------------------------------------


def test_a_bulk_1_job_shows_its_batches_by_state_and_only_the_slowest_few(recorded: Recorded) -> None:
    job = max((j for j in recorded.said["prod"].values() if j.kind is JobKind.CLASSIC and j.finished and j.batches),
              key=lambda j: len(j.batches or ()))  # fmt: skip
    assert job.batches is not None and len(job.batches) > 10
    result = history(recorded.path, "--job", f"prod:{job.id}")
    assert result.returncode == ExitCode.OK, result
    text = result.stdout
    assert text.startswith(f"job {job.id} · org prod · Bulk 1.0 · {job.object} · {job.operation}")
    by_state = Counter(b.state for b in job.batches)
    summary = next(line for line in text.splitlines() if line.startswith("batches: "))
    assert summary.startswith(f"batches: {len(job.batches)} recorded at their final state")
    for state, n in by_state.items():
        assert f"{n} {state}" in summary
    shown = [b for b in job.batches if b.id in text]
    assert len(shown) <= 5 + by_state["Failed"] and "--all: every batch" in text
    every_batch = history(recorded.path, "--job", f"prod:{job.id}", "--all").stdout
    assert all(b.id in every_batch for b in job.batches)


def test_an_id_two_orgs_hold_needs_its_org(recorded: Recorded) -> None:
    both = sorted(recorded.said["prod"].keys() & recorded.said["stage"].keys())
    assert both
    result = history(recorded.path, "--job", both[0])
    assert result.returncode == ExitCode.USAGE and result.stdout == ""
    assert f"job {both[0]} is remembered in 2 orgs (prod, stage): say which, as prod:{both[0]} or stage:{both[0]}" in (
        result.stderr
    )
    one = history(recorded.path, "--job", f"stage:{both[0]}", "--format", "json")
    assert one.returncode == ExitCode.OK and json.loads(one.stdout)["job"]["org"] == "stage"
    assert history(recorded.path, "-o", "stage", "--job", both[0]).returncode == ExitCode.OK


def test_an_unknown_job_is_not_found(recorded: Recorded) -> None:
    result = history(recorded.path, "--job", "7505g0000000ZZZAAA")
    assert result.returncode == ExitCode.REFUSED and result.stdout == ""
    assert result.stderr == "sfmonitor: no job 7505g0000000ZZZAAA in the history\n"


def test_a_15_character_id_finds_its_job(recorded: Recorded) -> None:
    job_id = sorted(recorded.said["prod"])[0]
    result = history(recorded.path, "--job", f"prod:{job_id[:15]}", "--format", "json")
    assert result.returncode == ExitCode.OK and json.loads(result.stdout)["job"]["id"] == job_id


async def test_a_running_job_s_timeline_polled_as_it_ran(tmp_path: Path) -> None:
    """A job read every simulated minute as it runs (the org's clock stepped, not slept on), then once
    ended: each read a point, the rate between them the org's own, the end its last point; its failure
    groups as read."""
    clock = Clock(speed=60, frozen=True)
    path = tmp_path / "h.sqlite3"
    recording = Recording(path)
    with Simulator(spawn_every=0, clock=clock) as sim:
        with sim.world.lock:
            live = [j for j in sim.world.jobs.values() if j.api == "ingest" and j.state == "InProgress" and j.plan
                    and j.plan.fail_permille and (j.plan.end() or 0) > clock.start + 600]  # fmt: skip
            target = live[0]
            assert target.plan is not None
            end, speed = target.plan.end(), target.plan.rate
        assert end is not None
        async with connected(sim) as service:
            for _ in range(5):
                snapshot = await read_snapshot(service, [target.id])
                recording.poll("prod", snapshot.jobs.values(), clock.start)
                clock.start += 60
            clock.start = end + 30
            snapshot = await read_snapshot(service, [target.id])
            recording.poll("prod", snapshot.jobs.values(), clock.start)
            ended = snapshot.jobs[target.id]
            report = await read_failures(service, ended, FailureReport.for_job(ended))
            groups = [(g.code, g.message, g.count) for g in report.ordered()]
            recording.failures("prod", ended, groups, clock.start)
    assert recording.flush(10)
    recording.close()
    assert ended.state == "JobComplete" and groups
    result = history(path, "--job", target.id, "--format", "json")
    assert result.returncode == ExitCode.OK, result
    doc = json.loads(result.stdout)
    points = doc["timeline"]
    assert len(points) == 6 and [p["state"] for p in points] == ["InProgress"] * 5 + ["JobComplete"]
    counts = [p["numberRecordsProcessed"] for p in points]
    assert counts == sorted(counts) and counts[-1] == ended.number_records_processed
    for p in points[1:5]:
        assert p["recordsPerSecond"] == pytest.approx(speed, rel=0.02)
    assert doc["failureGroups"] == [{"code": c, "message": m, "rows": n} for c, m, n in groups]
    assert sum(n for _, _, n in groups) == ended.number_records_failed
    text = history(path, "--job", target.id).stdout
    timeline = text[text.index("timeline (6 points") :].splitlines()
    assert timeline[1].split() == ["TIME", "STATE", "PROCESSED", "FAILED", "REC/S"]
    assert [line.split()[2] for line in timeline[2:8]] == ["InProgress"] * 5 + ["JobComplete"]
    assert timeline[3].split()[-1] == f"{points[1]['recordsPerSecond']:,.0f}"
    assert "failures, as read" in text and f"{sum(n for _, _, n in groups):,} rows in" in text
    timeline_csv = list(csv.DictReader(io.StringIO(history(path, "--job", target.id, "--format", "csv").stdout
                                                   .removeprefix("\ufeff"), newline="")))  # fmt: skip
    assert [r["numberRecordsProcessed"] for r in timeline_csv] == [str(c) for c in counts]


# --- server text ---------------------------------------------------------------------------------


async def test_hostile_names_are_inert_in_the_table_and_exact_in_json(sim: Simulator, tmp_path: Path) -> None:
    with sim.world.lock:
        ingest = next(j for j in sim.world.jobs.values() if j.api == "ingest" and j.state == "Failed")
        ingest.object, ingest.error_message = HOSTILE_OBJECT, HOSTILE_MESSAGE
        classic = next(j for j in sim.world.jobs.values() if j.api == "classic" and j.state == "Open")
        classic.object = FORMULA_OBJECT
        classic.content_type = "JSON"  # raw control characters cannot travel in XML 1.0; JSON carries them
        classic.batches[0].override = "Failed"
        classic.batches[0].override_message = HOSTILE_MESSAGE
    path = tmp_path / "h.sqlite3"
    recording = Recording(path)
    await _record_org(sim, recording, "prod")
    assert recording.flush(10)
    recording.close()
    sim.stop()
    table = history(path, "--limit", "0").stdout
    batches = history(path, "--job", classic.id).stdout
    one = history(path, "--job", ingest.id).stdout + batches
    failed_batch = next(line for line in batches.splitlines() if classic.batches[0].id in line)
    assert " Failed " in failed_batch and "[red]boom[/red] \\x1b]52;c;" in failed_batch
    for text in (table, one):
        assert not any(c in text for c in "\x1b\x07\u202e"), text
    assert "[bold]Acct[/b…" in table and "error: [red]boom[/red] \\x1b]52;c;ZXZpbA==\\x07 \\u202eRTL" in table
    assert "· [bold]Acct[/bold]\\x1b]0;pwned\\x07\\x1b[31m ·" in one and "\\u202eRTL" in one
    jobs = {j["id"]: j for j in listed(history(path, "--format", "json", "--limit", "0"))}
    assert jobs[ingest.id]["object"] == HOSTILE_OBJECT and jobs[ingest.id]["errorMessage"] == HOSTILE_MESSAGE
    neutral, raw = (_csv_rows(history(path, "--format", "csv", "--limit", "0", *more)) for more in ([], ["--raw"]))
    assert neutral[classic.id]["object"] == "'" + FORMULA_OBJECT and raw[classic.id]["object"] == FORMULA_OBJECT
    assert raw[ingest.id]["errorMessage"] == HOSTILE_MESSAGE  # exact: not a terminal


def _csv_rows(result: Result) -> dict[str, dict[str, str]]:
    assert result.returncode == ExitCode.OK
    return {row["id"]: row for row in csv.DictReader(io.StringIO(result.stdout.removeprefix("\ufeff"), newline=""))}


# --- the file's faults ---------------------------------------------------------------------------


def test_nothing_recorded_yet_names_the_file_and_is_not_0() -> None:
    result = run_cli(["history"])
    assert result.returncode == ExitCode.REFUSED and result.stdout == ""
    assert result.stderr == f"sfmonitor: nothing recorded yet: no history file at {history_file()} (sfmonitor watch " \
                            "records one)\n"  # fmt: skip
    assert history_file().is_relative_to(os.environ["XDG_DATA_HOME"])  # the platform's data folder


def test_the_default_file_is_the_one_read(recorded: Recorded) -> None:
    target = history_file()
    target.parent.mkdir(parents=True)
    target.write_bytes(recorded.path.read_bytes())
    assert keys(listed(run_cli(["history", "--format", "json", "--limit", "0"]))) == set(every(recorded))


def test_a_file_from_a_newer_sfmonitor_is_refused_in_one_line(tmp_path: Path) -> None:
    path = tmp_path / "h.sqlite3"
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA user_version = 99")
    before = path.read_bytes()
    result = history(path)
    assert result.returncode == ExitCode.USAGE and result.stdout == ""
    assert result.stderr.count("\n") == 1 and "was written by a newer sfmonitor" in result.stderr
    assert path.read_bytes() == before


def test_a_damaged_file_is_said_in_one_line(tmp_path: Path) -> None:
    path = tmp_path / "h.sqlite3"
    path.write_bytes(b"this is not sqlite " * 500)
    result = history(path, "--job", "7505g0000000NT0AAM")
    assert result.returncode == ExitCode.USAGE and result.stdout == ""
    assert result.stderr == f"sfmonitor: history file {path} is damaged (not a readable SQLite database)\n"


def test_a_file_with_nothing_in_it_yet_is_an_empty_answer(tmp_path: Path) -> None:
    path = tmp_path / "h.sqlite3"
    connect(path, write=True).close()  # what a recorder leaves before its first poll
    result = history(path, "--format", "json")
    assert listed(result) == [] and result.stderr == "sfmonitor: no jobs remembered yet\n"


def test_a_count_the_org_lowered_is_no_negative_rate() -> None:
    """The rate between timeline points is the one rule (monitor.history.per_second): never below 0."""
    from sfmonitor.cli.history_view import rates
    from sfmonitor.store.reader import Point

    points = [Point(0.0, "InProgress", 100, 0), Point(10.0, "InProgress", 50, 0), Point(20.0, "InProgress", 250, 0)]
    assert rates(points) == [None, 0.0, 20.0]
    assert rates([Point(0.0, None, None, None), Point(5.0, None, 10, 0), Point(5.0, None, 20, 0)]) == [None] * 3
