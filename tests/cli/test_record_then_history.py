"""The whole memory, as an operator meets it: ``sfmonitor record`` (a real process) against the
simulator over HTTP, stopped with SIGTERM; the org then goes away; ``sfmonitor history`` answers from
the file alone with what the org had said."""

from __future__ import annotations

import itertools
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time

from sfmonitor.config import paths
from sfmonitor.simulator.server import Simulator
from tests.cli.runner import run_cli


def _file_shows(query: str, count: int) -> bool:
    """Whether the history file, read as it is now, answers ``query`` with at least ``count`` (False
    while it is not there or not made yet)."""
    path = paths.history_file()
    if not path.exists():
        return False
    try:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as conn:
            return bool(conn.execute(query).fetchone()[0] >= count)
    except sqlite3.Error:  # not created yet
        return False


def _recorded(count: int) -> bool:
    return _file_shows("SELECT count(*) FROM jobs", count)


def test_recorded_jobs_are_answered_after_the_org_is_gone() -> None:
    sim = Simulator(speed=60, spawn_every=0).start()
    try:
        env = {**os.environ, "SF_INSTANCE_URL": sim.base_url, "SF_ACCESS_TOKEN": sim.token}
        proc = subprocess.Popen(
            [sys.executable, "-m", "sfmonitor", "record", "--interval", "2"],
            env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        try:
            deadline = time.monotonic() + 60
            while not _recorded(len(sim.world.jobs)):  # the first poll: every job, in one transaction
                assert proc.poll() is None and time.monotonic() < deadline, proc.communicate(timeout=10)
                time.sleep(0.05)
            proc.send_signal(signal.SIGTERM)
            out, err = proc.communicate(timeout=30)
        finally:
            if proc.poll() is None:
                proc.kill()
        assert proc.returncode == 0, err
        assert out == "" and sim.token not in err
        with sim.world.lock:
            truth = {job.id: job.state for job in sim.world.jobs.values()}
    finally:
        sim.stop()  # the org is gone: what follows is the file alone

    result = run_cli(["history", "--format", "json", "--limit", "0"], {"SF_INSTANCE_URL": "", "SF_ACCESS_TOKEN": ""})
    assert result.returncode == 0, result.stderr
    jobs = json.loads(result.stdout)
    assert {job["id"] for job in jobs} == set(truth)
    assert all(job["org"] == "127.0.0.1" for job in jobs)  # the org of the environment: its host
    ended = [job for job in jobs if job["phase"] == "ended"]
    assert ended and all(job["endedDate"] and job["durationSeconds"] is not None for job in ended)
    for job in ended:  # an ended job cannot move on: the org's state when it went away, exactly
        assert job["state"] == truth[job["id"]], job["id"]
    created = [job["createdDate"] for job in jobs]
    assert created == sorted(created, reverse=True)  # newest first
    table = run_cli(["history", "-o", "127.0.0.1", "--state", "ended", "--limit", "0"], {})
    assert table.returncode == 0 and sum(job_id in table.stdout for job_id in truth) == len(ended)
    assert paths.history_file().stat().st_mode & 0o077 == 0


def test_two_recorders_on_one_history_file_record_each_change_once() -> None:
    """Two real ``record`` processes polling one org into one file (a jump host's recorder and a
    teammate's): the file stays whole, every job once, no timeline point beside an identical one."""
    sim = Simulator(speed=60, spawn_every=0).start()
    procs: list[subprocess.Popen[str]] = []
    try:
        env = {**os.environ, "SF_INSTANCE_URL": sim.base_url, "SF_ACCESS_TOKEN": sim.token}
        for _ in range(2):
            procs.append(subprocess.Popen(
                [sys.executable, "-m", "sfmonitor", "record", "--interval", "2"],
                env=env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            ))  # fmt: skip
        deadline = time.monotonic() + 60
        while not _polls_recorded(4):  # polls of both: each writing while the other does
            assert all(p.poll() is None for p in procs) and time.monotonic() < deadline, [
                p.communicate(timeout=10) for p in procs if p.poll() is not None
            ]
            time.sleep(0.05)
        for proc in procs:
            proc.send_signal(signal.SIGTERM)
        for proc in procs:
            _, err = proc.communicate(timeout=30)
            assert proc.returncode == 0, err
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
        sim.stop()
    with sqlite3.connect(paths.history_file()) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        ids = [row[0] for row in conn.execute("SELECT id FROM jobs")]
        assert len(ids) == len(set(ids)) == len(sim.world.jobs)
        points = conn.execute("SELECT jid, at, state, processed, failed FROM points ORDER BY jid, at").fetchall()
    repeats = [(a, b) for a, b in itertools.pairwise(points) if a[0] == b[0] and a[2:] == b[2:]]
    assert not repeats, repeats[:3]


def _polls_recorded(count: int) -> bool:
    """Whether the file holds points from at least ``count`` distinct moments (polls of either process)."""
    return _file_shows("SELECT count(DISTINCT at) FROM points", count)
