"""contrib/ against the real thing: a real Prometheus (Debian's ``prometheus``), configured from
contrib/prometheus/prometheus.yml with its rules, scrapes a real ``sfmonitor record --listen`` polling the
simulator with the bearer token; then every query of the Grafana dashboard is asked of it and answers with
the org's figures, the running jobs among them, and every rule evaluates without error. Skipped, saying so,
where the prometheus binary is not installed."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from sfmonitor.simulator.server import Simulator
from tests.contrib.test_contrib import ALERTS, CONFIG, RULES, dashboard_exprs

TOKEN = "contrib-live-Bearer-token"
DEADLINE_S = 60.0


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def until(what: str, check: Callable[[], Any]) -> Any:
    """``check()``'s first true answer, asked every 0.2 s (Prometheus scrapes every second); 60 s at most."""
    deadline = time.monotonic() + DEADLINE_S
    while not (answer := check()):
        assert time.monotonic() < deadline, f"not within {DEADLINE_S:.0f} s: {what}"
        time.sleep(0.2)
    return answer


def stop(proc: subprocess.Popen[str]) -> str:
    if proc.poll() is None:
        proc.terminate()
        try:
            return proc.communicate(timeout=30)[1] or ""
        except subprocess.TimeoutExpired:
            proc.kill()
    return proc.communicate(timeout=30)[1] or ""


@pytest.fixture
def frozen(sim: Simulator) -> Simulator:
    """The seeded org with its time stopped now: its jobs say the same to the recorder and to the test."""
    clock = sim.world.clock
    clock.start, clock.frozen = clock.now(), True
    return sim


@pytest.fixture
def recorder(frozen: Simulator, tmp_path: Path) -> Iterator[str]:
    """``sfmonitor record --listen`` on a free loopback port with a token file; its host:port."""
    help_text = subprocess.run(
        [sys.executable, "-m", "sfmonitor", "record", "--help"], capture_output=True, text=True, timeout=60
    ).stdout
    if "--listen" not in help_text:
        pytest.skip("this sfmonitor's recorder does not serve /metrics (record --listen)")
    token = tmp_path / "recorder.token"
    token.write_text(TOKEN + "\n", encoding="utf-8")
    token.chmod(0o600)
    env = {**os.environ, "SF_INSTANCE_URL": frozen.base_url, "SF_ACCESS_TOKEN": frozen.token}
    proc = subprocess.Popen(
        [sys.executable, "-m", "sfmonitor", "record", "--interval", "2", "--listen", "127.0.0.1:0",
         "--token-file", str(token)],
        env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert proc.stderr is not None
        line = proc.stderr.readline()
        assert "; metrics: http://127.0.0.1:" in line, line
        yield line.split("; metrics: http://", 1)[1].split("/", 1)[0]
    finally:
        stop(proc)


@pytest.fixture
def prometheus_binary() -> str:
    binary = shutil.which("prometheus")
    if binary is None:
        pytest.skip("prometheus is not installed (Debian: apt-get install prometheus): contrib is not tried live")
    return binary


@pytest.fixture
def prometheus(prometheus_binary: str, recorder: str, tmp_path: Path) -> Iterator[str]:
    """A Prometheus from contrib's configuration and rules (the recorder as its target, the token file
    beside it, a scrape and an evaluation a second); its base URL."""
    binary = prometheus_binary
    home = tmp_path / "prometheus"
    home.mkdir()
    token = home / "sfmonitor.token"
    token.write_text(TOKEN + "\n", encoding="utf-8")
    token.chmod(0o600)
    config = CONFIG.read_text(encoding="utf-8")
    for old, new in {
        "/etc/prometheus/sfmonitor.token": str(token),
        "jump.example.com:9464": recorder,
        "scrape_interval: 30s": "scrape_interval: 1s",
        "evaluation_interval: 30s": "evaluation_interval: 1s",
        "scrape_timeout: 10s": "scrape_timeout: 1s",
    }.items():
        assert old in config, old
        config = config.replace(old, new)
    (home / "prometheus.yml").write_text(config, encoding="utf-8")
    shutil.copy(RULES, home / RULES.name)
    address = f"127.0.0.1:{free_port()}"
    proc = subprocess.Popen(
        [binary, f"--config.file={home / 'prometheus.yml'}", f"--storage.tsdb.path={home / 'data'}",
         f"--web.listen-address={address}"],
        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        yield f"http://{address}"
    finally:
        stop(proc)


def ask(base: str, path: str, **params: str) -> Any:
    try:
        answer = httpx.get(f"{base}{path}", params=params, timeout=10)
    except httpx.TransportError:
        return None  # not listening yet
    body = answer.json()
    assert body["status"] == "success", body
    return body["data"]


def instant(base: str, expr: str) -> list[dict[str, Any]]:
    data = ask(base, "/api/v1/query", query=expr)
    return data["result"] if data else []


def test_prometheus_scrapes_the_recorder_and_the_dashboard_queries_answer(frozen: Simulator, prometheus: str) -> None:
    # the target is up with the token from credentials_file (the recorder answers 401 without it)
    targets = until("the target scraped", lambda: (ask(prometheus, "/api/v1/targets") or {}).get("activeTargets"))
    assert [target["labels"]["job"] for target in targets] == ["sfmonitor"]
    until("the recorder's org scraped as up", lambda: instant(prometheus, "sfmonitor_org_up == 1"))
    # enough scrapes for rate() and increase() (two samples in the window), one of them after a second poll
    until("three scrapes of a polled org", lambda: instant(prometheus, "count_over_time(sfmonitor_org_up[1m]) >= 3"))
    until("the scrape up", lambda: instant(prometheus, 'up{job="sfmonitor"} == 1'))

    # the running jobs the org has are the jobs' table's rows (but a Bulk 2.0 upload still Open: the org gives it
    # no record count yet, and the recorder never passes one off as 0)
    now = frozen.world.clock.now()
    jobs = frozen.world.jobs.values()
    running = {job.id for job in jobs if not job.done_at(now) and not (job.api == "ingest" and job.state == "Open")}
    assert running
    table = instant(prometheus, 'sfmonitor_job_records_processed{org=~".*"}')
    assert running <= {row["metric"]["job_id"] for row in table}

    empty: list[str] = []
    for title, expr in dashboard_exprs():
        answer = instant(prometheus, expr.replace("$org", ".*").replace("$__range", "1m"))
        if not answer and "sfmonitor_jobs_ended_total" not in expr:  # no job may have ended since the start
            empty.append(f"{title}: {expr}")
    assert not empty, "\n".join(empty)

    # every rule of contrib evaluates against the real series without error
    def evaluated() -> list[dict[str, Any]] | None:
        data = ask(prometheus, "/api/v1/rules")
        found = [rule for group in data["groups"] for rule in group["rules"]] if data else []
        return found if found and all(rule.get("lastEvaluation", "").startswith("2") for rule in found) else None

    found = until("every rule evaluated", evaluated)
    assert {rule["name"] for rule in found} == ALERTS
    assert all(rule["health"] == "ok" for rule in found), json.dumps(found, indent=1)[:3000]
    firing = {alert["labels"]["alertname"] for alert in ask(prometheus, "/api/v1/alerts")["alerts"]}
    assert not firing & {"SfmonitorOrgDown", "SfmonitorRecorderDown", "SfmonitorRecorderAbsent"}
