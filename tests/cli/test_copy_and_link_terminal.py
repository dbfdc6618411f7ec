"""On a real pseudo-terminal: y copies the selected job id with OSC 52, and the detail carries the
job's Setup page as an OSC 8 hyperlink."""

from __future__ import annotations

import base64
import os
import re
import signal

import pytest

from sfmonitor.bulk.models import setup_page
from sfmonitor.simulator.server import Simulator
from tests.terminal import read_until, terminal


def test_y_copies_the_job_id_and_the_detail_links_its_setup_page(
    sim: Simulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SF_INSTANCE_URL", sim.base_url)
    monkeypatch.setenv("SF_ACCESS_TOKEN", sim.token)
    proc, leader = terminal(["watch"])
    try:
        read_until(leader, b"updated ", timeout=30)  # the first poll is in: rows to select
        os.write(leader, b"y")
        seen = read_until(leader, b"copied", timeout=10)
        found = re.search(rb"\x1b\]52;c;([A-Za-z0-9+/=]+)(\x07|\x1b\\)", seen)
        assert found, seen[-500:]
        job_id = base64.b64decode(found.group(1)).decode()
        with sim.world.lock:
            assert job_id in sim.world.jobs  # the selected job's id, whole
        os.write(leader, b"\r")  # its detail
        url = setup_page(sim.base_url, job_id)
        seen = read_until(leader, url.encode(), timeout=10)
        assert re.search(rb"\x1b\]8;[^;]*;" + re.escape(url.encode()), seen), seen[-800:]
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        read_until(leader, b"\x1b[?1049l", timeout=10)
        proc.wait(timeout=10)
        os.close(leader)


def test_the_setup_page_address() -> None:
    assert setup_page("https://acme.my.salesforce.com/", "7505g000000AbCdAAM") == (
        "https://acme.my.salesforce.com/lightning/setup/AsyncApiJobStatus/page?address=%2F7505g000000AbCdAAM"
    )
