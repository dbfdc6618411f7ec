"""``sfmonitor record --listen``: /metrics for Prometheus, over real sockets. A real recorder process
polls the simulator (time stopped, so what it read is what the org still says); /metrics is scraped
with httpx and parsed with prometheus_client's own parser; a scrape never reaches the org. The token
rules: loopback needs none, any other address a chmod 600 token file; without it, 401."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from prometheus_client.samples import Sample

from sfmonitor.bulk.models import Job
from sfmonitor.config import paths
from sfmonitor.monitor.figures import API
from sfmonitor.monitor.phase import Phase, phase
from sfmonitor.monitor.poller import Poller
from sfmonitor.simulator.server import Simulator
from sfmonitor.text import inert
from tests.cli.runner import run_cli
from tests.conftest import add_running_ingest_job, connected

HOSTILE = 'Evil"Obj\n# TYPE x counter\n[bold red]boom[/] \x1b]52;c;ZXZpbA==\x07\x1b[2J\\'
TOKEN = "s3cret-bearer-Token-for-tests"


@pytest.fixture
def frozen(sim: Simulator) -> Simulator:
    """The seeded org with its time stopped now: its jobs say the same to the recorder and to the test."""
    clock = sim.world.clock
    clock.start, clock.frozen = clock.now(), True
    return sim


def org_env(sim: Simulator) -> dict[str, str]:
    return {**os.environ, "SF_INSTANCE_URL": sim.base_url, "SF_ACCESS_TOKEN": sim.token}


@pytest.fixture
def token_file(tmp_path: Path) -> Path:
    path = tmp_path / "metrics.token"
    path.write_text(TOKEN + "\n")
    path.chmod(0o600)
    return path


class Recorder:
    """A ``sfmonitor record --listen 127.0.0.1:0`` process; ``url``: its /metrics (from its one line)."""

    def __init__(self, sim: Simulator, *extra: str) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "sfmonitor", "record", "--interval", "600", "--listen", "127.0.0.1:0", *extra],
            env=org_env(sim), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        assert self.proc.stderr is not None
        line = self.proc.stderr.readline()
        assert "; metrics: http://127.0.0.1:" in line, line + self.proc.communicate(timeout=30)[1]
        self.url = line.split("; metrics: ", 1)[1].split(";", 1)[0]

    def stop(self) -> tuple[str, str]:
        self.proc.terminate()
        out, err = self.proc.communicate(timeout=30)
        assert self.proc.returncode == 0, err
        return out, err


@pytest.fixture
def launch() -> Iterator[list[Recorder]]:
    started: list[Recorder] = []
    yield started
    for recorder in started:
        if recorder.proc.poll() is None:
            recorder.proc.kill()
            recorder.proc.communicate(timeout=30)


def samples(text: str) -> dict[str, list[Sample]]:
    """Every sample by its name, as Prometheus' own parser reads the exposition."""
    out: dict[str, list[Sample]] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            out.setdefault(sample.name, []).append(sample)
    return out


def first_poll(url: str, headers: dict[str, str] | None = None) -> dict[str, list[Sample]]:
    """/metrics once the recorder's first poll is published (scraped until then, 30 s at most)."""
    deadline = time.monotonic() + 30
    while True:
        got = samples(httpx.get(url, headers=headers).text)
        if any(s.value >= 1 for s in got.get("sfmonitor_poll_duration_seconds_count", [])):
            return got
        assert time.monotonic() < deadline, "no poll published in 30 s"
        time.sleep(0.05)


async def read(sim: Simulator) -> dict[str, Job]:
    async with connected(sim) as service:
        return dict((await Poller(service).cycle()).jobs)


def test_metrics_are_the_jobs_the_org_has_and_a_scrape_asks_the_org_nothing(
    frozen: Simulator, launch: list[Recorder]
) -> None:
    hostile = add_running_ingest_job(frozen, total=50_000, rate=10, running_for=60, fail_permille=0)
    with frozen.world.lock:
        frozen.world.jobs[hostile].object = HOSTILE
    launch.append(recorder := Recorder(frozen))
    got = first_poll(recorder.url)
    before = (frozen.requests, len(frozen.log))
    assert sum(s.value for s in got["sfmonitor_api_calls_total"]) == frozen.requests > 0  # every call is ours
    texts = [httpx.get(recorder.url).text for _ in range(5)]
    assert (frozen.requests, len(frozen.log)) == before  # five scrapes: not one request to the org
    assert texts[0] == texts[-1]  # nothing changed: nothing was read

    assert [s.value for s in got["sfmonitor_org_up"]] == [1.0] and got["sfmonitor_org_up"][0].labels[
        "org"
    ] == "127.0.0.1"
    assert got["sfmonitor_info"][0].labels["version"] and got["sfmonitor_info"][0].value == 1
    [used], [most] = got["sfmonitor_org_api_requests_used"], got["sfmonitor_org_api_requests_max"]
    assert most.value == frozen.world.api_max and 0 < used.value <= frozen.world.api_used

    jobs = asyncio.run(read(frozen))  # what the org says (its time stopped: what the recorder read)
    now = datetime.now(UTC).timestamp()
    phases = Counter((API[job.kind], phase(job, now).value) for job in jobs.values())
    assert {(s.labels["api"], s.labels["phase"]): s.value for s in got["sfmonitor_jobs"]} == phases
    live = {job_id: job for job_id, job in jobs.items() if phase(job, now) in (Phase.RUNNING, Phase.WAITING)}
    shown = {s.labels["job_id"]: s for s in got["sfmonitor_job_records_processed"]}
    counted = {job_id for job_id, job in live.items() if job.number_records_processed is not None}
    assert counted <= shown.keys() and len(counted) >= 2
    for job_id, job in live.items():
        if job_id not in counted:  # an Open upload the org gives no count for: absent, not a 0
            assert job_id not in shown
            continue
        sample = shown[job_id]
        assert sample.value == job.number_records_processed
        assert sample.labels["object"] == inert(job.object) and sample.labels["api"] == API[job.kind]
    with frozen.world.lock:
        assert (
            shown[hostile].value
            == frozen.world.jobs[hostile].counts(frozen.world.clock.now())["numberRecordsProcessed"]
        )

    # the hostile object name is one inert label value: nothing injected, no escape sequence, no line cut
    assert shown[hostile].labels["object"] == inert(HOSTILE)
    assert "\x1b" not in texts[0] and "\x07" not in texts[0]
    assert not any(line.startswith("# TYPE x") for line in texts[0].splitlines())
    [line] = [line for line in texts[0].splitlines() if hostile in line and "processed{" in line]
    assert line.endswith(" 600.0")
    recorder.stop()


def test_openmetrics_when_the_scraper_asks_for_it(sim: Simulator, launch: list[Recorder]) -> None:
    launch.append(recorder := Recorder(sim))
    first_poll(recorder.url)
    answer = httpx.get(recorder.url, headers={"Accept": "application/openmetrics-text; version=1.0.0"})
    assert answer.headers["content-type"].startswith("application/openmetrics-text")
    assert answer.text.endswith("# EOF\n") and "sfmonitor_jobs_ended_total" not in answer.text.split("# EOF")[1]
    plain = httpx.get(recorder.url)
    assert plain.headers["content-type"].startswith("text/plain") and "# EOF" not in plain.text
    assert httpx.get(recorder.url.replace("/metrics", "/other")).status_code == 404
    recorder.stop()


def test_with_a_token_every_request_must_show_it_and_refusals_are_logged_without_it(
    sim: Simulator, launch: list[Recorder], token_file: Path
) -> None:
    launch.append(recorder := Recorder(sim, "--token-file", str(token_file)))
    queried = httpx.get(f"{recorder.url}?token={TOKEN}")  # the first refusal logged: the token put in the query
    assert queried.status_code == 401
    bare = httpx.get(recorder.url)
    assert bare.status_code == 401 and bare.headers["www-authenticate"].startswith("Bearer")
    wrong = httpx.get(recorder.url, headers={"Authorization": "Bearer not-the-token"})
    assert wrong.status_code == 401 and "sfmonitor_" not in wrong.text
    basic = httpx.get(recorder.url, auth=("user", TOKEN))
    assert basic.status_code == 401
    got = first_poll(recorder.url, headers={"Authorization": f"Bearer {TOKEN}"})
    assert [s.value for s in got["sfmonitor_org_up"]] == [1.0]
    out, err = recorder.stop()
    log = paths.log_file().read_text()
    assert "recorder: refused 127.0.0.1 for /metrics: no bearer token (401)" in log
    assert TOKEN not in log + out + err and "not-the-token" not in log


def test_a_non_loopback_address_without_a_token_file_is_refused_in_one_line(sim: Simulator) -> None:
    env = {"SF_INSTANCE_URL": sim.base_url, "SF_ACCESS_TOKEN": sim.token}
    for address in ("0.0.0.0:9464", "[::]:9464", "192.0.2.1:9464", "example.org:9464"):
        result = run_cli(["record", "--listen", address], env)
        assert result.returncode == 2, result.stderr
        assert result.stderr.count("\n") == 1 and "give --token-file" in result.stderr
    assert sim.requests == 0  # refused before any org was asked


def test_a_token_file_others_can_read_is_refused_without_showing_it(sim: Simulator, token_file: Path) -> None:
    token_file.chmod(0o644)
    env = {"SF_INSTANCE_URL": sim.base_url, "SF_ACCESS_TOKEN": sim.token}
    result = run_cli(["record", "--listen", "127.0.0.1:0", "--token-file", str(token_file)], env)
    assert result.returncode == 2 and result.stderr.count("\n") == 1
    assert "readable by others (mode 0644): run chmod 600" in result.stderr and TOKEN not in result.stderr
    for bad in ("nowhere:port", "127.0.0.1", "::1:9464", ":9464"):
        refused = run_cli(["record", "--listen", bad], env)
        assert refused.returncode == 2 and "--listen wants HOST:PORT" in refused.stderr
    assert sim.requests == 0


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0, reason="giving a file away needs root")
def test_a_token_file_of_another_user_is_refused(sim: Simulator, token_file: Path) -> None:
    os.chown(token_file, 1, 1)
    env = {"SF_INSTANCE_URL": sim.base_url, "SF_ACCESS_TOKEN": sim.token}
    result = run_cli(["record", "--listen", "127.0.0.1:0", "--token-file", str(token_file)], env)
    assert result.returncode == 2 and result.stderr.count("\n") == 1
    assert "belongs to another user (uid 1)" in result.stderr and TOKEN not in result.stderr


def test_an_address_in_use_is_refused_in_one_line(sim: Simulator) -> None:
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        env = {"SF_INSTANCE_URL": sim.base_url, "SF_ACCESS_TOKEN": sim.token}
        result = run_cli(["record", "--listen", f"127.0.0.1:{port}"], env)
    assert result.returncode == 2 and result.stderr.count("\n") == 1
    assert f"record: cannot listen on 127.0.0.1:{port}: Address already in use" in result.stderr
    assert sim.requests == 0  # nothing polled
