"""A standard output that cannot be written (``> /dev/full``) is one line on stderr and exit 2, for
every command and format, never a traceback; the CSV says it as every other output does."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from sfmonitor.simulator.server import Simulator
from tests.conftest import add_failed_rows_job

MISSING = "REQUIRED_FIELD_MISSING:Required fields are missing: [LastName]:LastName --"

pytestmark = pytest.mark.skipif(not os.path.exists("/dev/full"), reason="no /dev/full here")


@pytest.mark.parametrize(
    "args",
    [
        ["status"],
        ["status", "--format", "json"],
        ["orgs"],
        ["wait", "{job}"],
        ["failures", "{job}"],
        ["failures", "{job}", "--format", "json"],
        ["failures", "{job}", "--format", "csv"],
    ],
    ids=" ".join,
)
def test_a_full_standard_output_is_one_line_and_exit_2(sim: Simulator, args: list[str]) -> None:
    job = add_failed_rows_job(sim, [({"LastName": "", "Notes": "n"}, MISSING)])
    command = [sys.executable, "-m", "sfmonitor", *(a.format(job=job) for a in args)]
    org = {"SF_INSTANCE_URL": sim.base_url, "SF_ACCESS_TOKEN": sim.token}
    with open("/dev/full", "w") as full:
        done = subprocess.run(command, env={**os.environ, **org}, stdout=full, stderr=subprocess.PIPE,
                              stdin=subprocess.DEVNULL, text=True, timeout=60)  # fmt: skip
    assert done.returncode == 2, done.stderr
    assert done.stderr.splitlines()[-1:] == ["sfmonitor: standard output could not be written: no space left"]
    assert "Traceback" not in done.stderr and "OSError" not in done.stderr
