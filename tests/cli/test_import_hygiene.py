"""A headless command (status, wait, close…) never loads Textual: checked at run time, in a fresh
interpreter, after the command ran for real against the simulator (a static contract cannot see a
lazy import)."""

from __future__ import annotations

import json
import subprocess
import sys

from sfmonitor.simulator.server import Simulator

PROBE = """
import io, json, sys
from sfmonitor.cli.main import Environment, main
reports = []
for args in json.loads(sys.argv[1]):
    out = io.StringIO()
    code = main(args, Environment(stdin=io.StringIO(), stdout=out, stderr=io.StringIO()))
    reports.append({"code": code, "loaded": sorted({m.split('.')[0] for m in sys.modules})})
print(json.dumps(reports))
"""


def _run(runs: list[list[str]], sim: Simulator) -> list[tuple[int, set[str]]]:
    """Each command in turn, in one fresh interpreter: the modules loaded after each."""
    env = {
        "SF_INSTANCE_URL": sim.base_url,
        "SF_ACCESS_TOKEN": sim.token,
        "PATH": "/usr/bin:/bin",
        "HOME": "/nonexistent",
    }
    done = subprocess.run([sys.executable, "-c", PROBE, json.dumps(runs)], env=env, capture_output=True, text=True,
                          timeout=60)  # fmt: skip
    assert done.returncode == 0, done.stderr
    return [(report["code"], set(report["loaded"])) for report in json.loads(done.stdout)]


def test_headless_commands_load_no_textual(sim: Simulator) -> None:
    runs = [["status", "--format", "json"], ["--version"], ["status"]]
    (json_code, after_json), (_, after_version), (table_code, after_table) = _run(runs, sim)
    for args, loaded in zip(runs, (after_json, after_version, after_table), strict=True):
        assert "textual" not in loaded, args
    assert json_code in (0, 9) and table_code in (0, 9)
