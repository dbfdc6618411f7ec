"""contrib/: the Grafana dashboard, the Prometheus alerting rules and the scrape configuration for a recorder's
/metrics (``sfmonitor record --listen``). Each query names only metrics the recorder serves; with ``promtool``
on PATH, the rules and the configuration are checked by it and the rules' unit tests run (Debian: apt-get install
prometheus); without it those tests skip, saying so."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
DASHBOARD = ROOT / "contrib" / "grafana" / "sfmonitor.json"
PROMETHEUS = ROOT / "contrib" / "prometheus"
RULES = PROMETHEUS / "sfmonitor-rules.yml"
RULES_TEST = PROMETHEUS / "sfmonitor-rules.test.yml"
CONFIG = PROMETHEUS / "prometheus.yml"

# What the recorder's /metrics serves (issue 25): the names these files may use, and no other.
GAUGES = {
    "sfmonitor_job_records_processed",
    "sfmonitor_job_records_failed",
    "sfmonitor_jobs",
    "sfmonitor_org_up",
    "sfmonitor_org_api_requests_used",
    "sfmonitor_org_api_requests_max",
    "sfmonitor_info",
}
COUNTERS = {
    "sfmonitor_jobs_ended_total",
    "sfmonitor_records_processed_total",
    "sfmonitor_records_failed_total",
    "sfmonitor_api_calls_total",
}
HISTOGRAMS = {"sfmonitor_poll_duration_seconds"}
SERIES = GAUGES | COUNTERS | {f"{name}{part}" for name in HISTOGRAMS for part in ("_bucket", "_sum", "_count")}
WITHOUT_ORG = {"sfmonitor_info"}  # every other metric carries the org label
NAME = re.compile(r"\bsfmonitor_[a-z_]+")
SELECTOR = re.compile(r"\b(sfmonitor_[a-z_]+)\s*(\{[^}]*\})?")
DATASOURCE = {"type": "prometheus", "uid": "${DS_PROMETHEUS}"}
ALERTS = {
    "SfmonitorJobFailed",
    "SfmonitorJobRecordsFailed",
    "SfmonitorJobStalled",
    "SfmonitorApiUsageHigh",
    "SfmonitorOrgDown",
    "SfmonitorRecorderDown",
    "SfmonitorRecorderAbsent",
}


def dashboard() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(DASHBOARD.read_text(encoding="utf-8"))
    return loaded


def query_panels() -> list[dict[str, Any]]:
    """The panels that query (rows only group them)."""
    return [panel for panel in dashboard()["panels"] if panel["type"] != "row"]


def dashboard_exprs() -> Iterator[tuple[str, str]]:
    for panel in query_panels():
        for target in panel["targets"]:
            yield panel["title"], target["expr"]


def rules() -> list[dict[str, Any]]:
    yaml = pytest.importorskip("yaml", reason="PyYAML is not installed: the rules are not read here")
    groups = yaml.safe_load(RULES.read_text(encoding="utf-8"))["groups"]
    return [rule for group in groups for rule in group["rules"]]


def unknown_names(expr: str) -> set[str]:
    return set(NAME.findall(expr)) - SERIES


@pytest.fixture
def promtool() -> str:
    path = shutil.which("promtool")
    if path is None:
        pytest.skip("promtool is not on PATH (Debian: apt-get install prometheus): the rules are not checked by it")
    return path


def run(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, cwd=cwd, capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)


# --- the Grafana dashboard


def test_the_dashboard_imports_anywhere() -> None:
    board = dashboard()
    assert board["schemaVersion"] >= 36
    assert board["uid"] and board["title"] and board.get("id") is None  # Grafana gives it an id on import
    (source,) = board["__inputs"]
    assert source == source | {"name": "DS_PROMETHEUS", "type": "datasource", "pluginId": "prometheus"}
    (org,) = [variable for variable in board["templating"]["list"] if variable["name"] == "org"]
    assert org["datasource"] == DATASOURCE
    assert org["definition"] == "label_values(sfmonitor_org_up, org)"
    assert org["query"]["query"] == "label_values(sfmonitor_org_up, org)"
    assert org["multi"] and org["includeAll"]


def test_every_panel_queries_the_input_datasource() -> None:
    panels = query_panels()
    assert len(panels) >= 10
    for panel in panels:
        assert panel["datasource"] == DATASOURCE, panel["title"]
        assert panel["targets"], panel["title"]
        for target in panel["targets"]:
            assert target["datasource"] == DATASOURCE, panel["title"]
    ids = [panel["id"] for panel in dashboard()["panels"]]
    assert len(ids) == len(set(ids))


def test_the_panels_do_not_overlap() -> None:
    cells: dict[tuple[int, int], str] = {}
    for panel in dashboard()["panels"]:
        grid = panel["gridPos"]
        assert grid["x"] >= 0 and grid["x"] + grid["w"] <= 24, panel["title"]
        for x in range(grid["x"], grid["x"] + grid["w"]):
            for y in range(grid["y"], grid["y"] + grid["h"]):
                assert (x, y) not in cells, f"{panel['title']} overlaps {cells[(x, y)]}"
                cells[(x, y)] = panel["title"]


def test_the_dashboard_queries_only_what_the_recorder_serves() -> None:
    exprs = list(dashboard_exprs())
    for title, expr in exprs:
        assert NAME.search(expr), title
        assert not unknown_names(expr), (title, expr)
    # and it shows each of them (a histogram through its buckets)
    used = {name for _, expr in exprs for name in NAME.findall(expr)}
    assert GAUGES | COUNTERS | {f"{name}_bucket" for name in HISTOGRAMS} <= used


def test_every_query_follows_the_org_variable() -> None:
    for title, expr in dashboard_exprs():
        for name, matchers in SELECTOR.findall(expr):
            if name not in WITHOUT_ORG:
                assert 'org=~"$org"' in matchers, (title, expr)


def test_the_panels_the_issue_asks_for() -> None:
    exprs = [expr for _, expr in dashboard_exprs()]

    def some(pattern: str) -> bool:
        return any(re.search(pattern, expr) for expr in exprs)

    assert some(r"^sfmonitor_job_records_processed\{") and some(r"^sfmonitor_job_records_failed\{")  # per job
    assert some(r"rate\(sfmonitor_records_processed_total\{[^}]*\}\[5m\]\)")  # records/s
    assert some(r"sum by \(org\) \(rate\(sfmonitor_records_failed_total")  # failures by org
    assert some(r"sfmonitor_jobs_ended_total")
    assert some(r"sum by \(org, phase\) \(sfmonitor_jobs\{")  # jobs by phase
    assert some(r"100 \* sfmonitor_org_api_requests_used\{[^}]*\} / sfmonitor_org_api_requests_max")  # usage %
    assert some(r"increase\(sfmonitor_api_calls_total\{[^}]*\}\[24h\]\).*sfmonitor_org_api_requests_used")  # share
    assert some(r"^sfmonitor_org_up\{")
    assert some(r"histogram_quantile\(0\.95, sum by \(org, le\) \(rate\(sfmonitor_poll_duration_seconds_bucket")
    (table,) = [panel for panel in query_panels() if panel["type"] == "table"]
    assert {target["format"] for target in table["targets"]} == {"table"}


def test_the_dashboard_queries_are_promql(promtool: str, tmp_path: Path) -> None:
    """Each query, its Grafana variables given values, parses as PromQL (as a recording rule, checked by promtool;
    JSON is YAML)."""
    record = [
        {"record": f"sfmonitor_dashboard:query{n}", "expr": expr.replace("$org", ".*").replace("$__range", "1h")}
        for n, (_, expr) in enumerate(dashboard_exprs())
    ]
    checked = tmp_path / "dashboard-queries.yml"
    checked.write_text(json.dumps({"groups": [{"name": "dashboard", "rules": record}]}), encoding="utf-8")
    answer = run(promtool, "check", "rules", str(checked))
    assert answer.returncode == 0, answer.stdout + answer.stderr
    assert f"SUCCESS: {len(record)} rules found" in answer.stdout


# --- the Prometheus rules and configuration


def test_every_rule_is_an_alert_on_what_the_recorder_serves() -> None:
    found = rules()
    assert {rule["alert"] for rule in found} == ALERTS
    for rule in found:
        name = rule["alert"]
        assert not unknown_names(rule["expr"]), (name, rule["expr"])
        assert "for" in rule, name
        assert rule["labels"]["severity"] in {"critical", "warning"}, name
        assert rule["annotations"]["summary"] and rule["annotations"]["description"], name
        if name != "SfmonitorRecorderAbsent":  # absent() keeps no label to name
            assert "{{ $labels." in rule["annotations"]["summary"], name
        for text in rule["annotations"].values():  # the names they cite, and the query one template makes
            assert not unknown_names(text), name


def test_the_stalled_rule_measures_the_per_job_count() -> None:
    (stalled,) = [rule for rule in rules() if rule["alert"] == "SfmonitorJobStalled"]
    assert "changes(sfmonitor_job_records_processed[15m]) == 0" in stalled["expr"]
    assert 'sfmonitor_jobs{phase="running"}' in stalled["expr"]
    assert "stricter" in stalled["annotations"]["description"]


def test_the_rules_pass_promtool(promtool: str) -> None:
    answer = run(promtool, "check", "rules", str(RULES))
    assert answer.returncode == 0, answer.stdout + answer.stderr
    assert f"SUCCESS: {len(ALERTS)} rules found" in answer.stdout


def test_the_rules_fire_as_intended(promtool: str) -> None:
    """The unit tests beside the rules: a job ended Failed (also as a counter's first series, and across a
    recorder restart), one with failed records, a stalled job (and a job ended an hour ago not taken for one),
    an org down, API usage above 80%, the recorder gone; each alert is tested."""
    tested = set(re.findall(r"alertname: (\w+)", RULES_TEST.read_text(encoding="utf-8")))
    assert tested == ALERTS
    answer = run(promtool, "test", "rules", RULES_TEST.name, cwd=PROMETHEUS)
    assert answer.returncode == 0, answer.stdout + answer.stderr
    assert "SUCCESS" in answer.stdout


def test_the_scrape_configuration_passes_promtool(promtool: str, tmp_path: Path) -> None:
    """As written (its token file is on the Prometheus host, not here): the syntax; with the token file's path
    pointed at a real one: the whole configuration, its rule file loaded too."""
    answer = run(promtool, "check", "config", "--syntax-only", str(CONFIG))
    assert answer.returncode == 0, answer.stdout + answer.stderr
    text = CONFIG.read_text(encoding="utf-8")
    assert "credentials_file: /etc/prometheus/sfmonitor.token" in text
    assert "job_name: sfmonitor" in text  # the name the recorder-down alert matches
    token = tmp_path / "sfmonitor.token"
    token.write_text("a-token\n", encoding="utf-8")
    os.chmod(token, 0o600)
    (tmp_path / "prometheus.yml").write_text(text.replace("/etc/prometheus/sfmonitor.token", str(token)), "utf-8")
    shutil.copy(RULES, tmp_path / RULES.name)
    answer = run(promtool, "check", "config", "prometheus.yml", cwd=tmp_path)
    assert answer.returncode == 0, answer.stdout + answer.stderr
    assert f"SUCCESS: {len(ALERTS)} rules found" in answer.stdout
