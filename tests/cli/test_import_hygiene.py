"""A headless command (status, wait, close…) never loads Textual: checked at run time, in a fresh
interpreter, after the command ran for real against the simulator (a static contract cannot see a
lazy import)."""

from __future__ import annotations

import json
import subprocess
import sys

from sfmonitor.simulator.server import Simulator

PROBE = """
import json, sys
from sfmonitor.cli.main import main
try:
    code = main(sys.argv[1:])
except SystemExit as exc:  # --version, --help
    code = exc.code
sys.stdout.flush()
print(json.dumps({"code": code, "loaded": sorted({m.split('.')[0] for m in sys.modules})}), file=sys.stderr)
"""


def _run(args: list[str], sim: Simulator) -> tuple[int, set[str]]:
    env = {
        "SF_INSTANCE_URL": sim.base_url,
        "SF_ACCESS_TOKEN": sim.token,
        "PATH": "/usr/bin:/bin",
        "HOME": "/nonexistent",
    }
    done = subprocess.run([sys.executable, "-c", PROBE, *args], env=env, capture_output=True, text=True, timeout=60)
    last = done.stderr.strip().splitlines()[-1]
    report = json.loads(last)
    return report["code"], set(report["loaded"])


def test_headless_commands_load_no_textual(sim: Simulator) -> None:
    for args in (["status", "--format", "json"], ["--version"]):
        code, loaded = _run(args, sim)
        assert "textual" not in loaded, args
    code, loaded = _run(["status"], sim)
    assert code in (0, 9) and "textual" not in loaded
