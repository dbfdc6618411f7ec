"""The command line run in-process (main with an Environment, as tests/cli/runner.py does): its
streams are the ones given, and nothing of one run stays behind for the next."""

from __future__ import annotations

import io
import logging
import sys

from sfmonitor.cli.main import Environment, main
from sfmonitor.simulator.server import Simulator

from .runner import run_cli


def test_a_run_writes_to_the_streams_given_and_leaves_sys_and_the_logger_as_it_found_them(sim: Simulator) -> None:
    logger = logging.getLogger("sfmonitor")
    handlers, streams = list(logger.handlers), (sys.stdin, sys.stdout, sys.stderr)
    out, err = io.StringIO(), io.StringIO()
    org = ["--instance-url", sim.base_url, "--access-token", sim.token]
    code = main(["-v", *org, "status", "--job", "750000000000000AAA"], Environment(io.StringIO(), out, err))
    assert code == 1 and "not found in this org" in err.getvalue()
    assert "GET" in err.getvalue()  # -v logged to the stderr given
    assert (sys.stdin, sys.stdout, sys.stderr) == streams and logger.handlers == handlers
    again = run_cli([*org, "status", "--job", "750000000000000AAA"])
    assert "GET" not in again.stderr  # the first run's -v handler went with it


def test_usage_errors_are_an_exit_code_not_a_system_exit() -> None:
    result = run_cli(["status", "--format", "yaml"])
    assert result.returncode == 2 and result.stderr.startswith("sfmonitor: ")
    assert run_cli(["--version"]).returncode == 0


def test_verbose_logs_each_request_by_method_path_and_status_never_the_token(sim: Simulator) -> None:
    result = run_cli(["status", "-v"], {"SF_INSTANCE_URL": sim.base_url, "SF_ACCESS_TOKEN": sim.token})
    assert result.returncode == 0
    assert "GET /services/data/v" in result.stderr and "/jobs/ingest -> 200" in result.stderr, result.stderr[:500]
    assert sim.token not in result.stderr and sim.token.split("!")[1] not in result.stderr
