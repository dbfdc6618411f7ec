"""``sfmonitor failures`` against the simulator over real sockets, run in-process (tests/cli/runner.py)."""

from __future__ import annotations

import csv
import json
from pathlib import Path

from sfmonitor.simulator.server import Simulator
from tests.bulk.test_failure_reader import HOSTILE
from tests.cli.runner import run_cli as run
from tests.conftest import add_classic_job, add_failed_rows_job, find_job

MISSING = "REQUIRED_FIELD_MISSING:Required fields are missing: [LastName]:LastName --"


def _org(sim: Simulator) -> dict[str, str]:
    return {"SF_INSTANCE_URL": sim.base_url, "SF_ACCESS_TOKEN": sim.token}


def test_json_groups_with_exact_text_and_the_documented_shape(sim: Simulator) -> None:
    job_id = add_failed_rows_job(
        sim, [({"LastName": "", "Notes": "a,b"}, MISSING)] * 3 + [({"LastName": "x", "Notes": "\x1b]52;c;"}, HOSTILE)]
    )
    result = run(["failures", job_id, "--format", "json"], _org(sim))
    assert result.returncode == 0, result.stderr
    doc = json.loads(result.stdout)
    assert {k: doc[k] for k in ("jobId", "apiKind", "failed", "unprocessed", "batchesCovered")} == {
        "jobId": job_id, "apiKind": "ingest", "failed": 4, "unprocessed": 0, "batchesCovered": None}  # fmt: skip
    top, hostile = doc["groups"]
    assert (top["code"], top["message"], top["count"]) == (
        "REQUIRED_FIELD_MISSING",
        "Required fields are missing: [LastName]",
        3,
    )
    assert top["samples"][0] == {"LastName": "", "Notes": "a,b"}
    assert hostile["message"] == "[bold]Amount[/bold] \x1b[31mmust\x1b[0m be \u202epositive"  # exact
    assert hostile["samples"][0]["Notes"] == "\x1b]52;c;"
    assert sim.token not in result.stdout + result.stderr


def test_table_is_inert_and_csv_out_has_every_row(sim: Simulator, tmp_path: Path) -> None:
    rows = [({"LastName": "", "Notes": f'two\nlines, "q" {i}'}, MISSING) for i in range(250)] + [
        ({"LastName": "y", "Notes": ""}, HOSTILE)
    ]
    job_id = add_failed_rows_job(sim, rows)  # fmt: skip
    out = tmp_path / "failed.csv"
    result = run(["failures", job_id, "--out", str(out)], {**_org(sim), "COLUMNS": "160"})
    assert result.returncode == 0, result.stderr
    assert "\x1b" not in result.stdout and "\u202e" not in result.stdout
    assert "REQUIRED_FIELD_MISSING" in result.stdout and "\\x1b[31mmust" in result.stdout
    assert "251 failed · 0 unprocessed" in result.stdout
    assert f"251 failed rows written to {out}" in result.stderr
    with out.open(encoding="utf-8-sig", newline="") as handle:
        table = list(csv.DictReader(handle))
    assert len(table) == 251
    assert [r["Notes"] for r in table if r["error_code"] == "REQUIRED_FIELD_MISSING"] == [
        f'two\nlines, "q" {i}' for i in range(250)]  # fmt: skip
    assert table[-1]["error_message"] == "[bold]Amount[/bold] \x1b[31mmust\x1b[0m be \u202epositive"


def test_csv_to_stdout_and_a_running_job_exits_partial(sim: Simulator) -> None:
    running = add_classic_job(sim, [200] * 10, rate=10, state="Open", started_ago=60)
    result = run(["failures", running, "--format", "csv"], _org(sim))
    assert result.returncode == 9, result.stderr  # not every batch has finished: a partial answer
    assert "not every result read yet" in result.stderr and " of " in result.stderr
    rows = list(csv.DictReader(result.stdout.removeprefix("\ufeff").splitlines()))
    assert rows and all(r["batch_id"].startswith("751") and r["error_code"] for r in rows)
    v2 = find_job(sim, "ingest", "InProgress")
    result = run(["failures", v2], _org(sim))
    assert result.returncode == 9 and "results when the job ends" in result.stdout


def test_an_unknown_job_is_one_line_and_exit_1(sim: Simulator) -> None:
    result = run(["failures", "750000000000000AAA"], _org(sim))
    assert (
        result.returncode == 1 and "no job 750000000000000AAA" in result.stderr and len(result.stderr.splitlines()) == 1
    )
