"""A dashboard attached to a recorder (``sfmonitor --recorder URL``): a real ``sfmonitor record --listen``
process polls the simulator; the dashboard reads its feed over a real socket and asks the org nothing
to read. A job's end reaches it; an abort goes to the org with the dashboard's own sign-in, once; a
recorder that stops is said in the header and the dashboard takes up the new one on its own, which
has lost nothing recorded."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from sfmonitor.config import paths
from sfmonitor.config.connection import ConnectionOptions
from sfmonitor.config.orgs import OrgConfig, parse_orgs
from sfmonitor.config.settings import Settings
from sfmonitor.serve.attach import RecorderAddress
from sfmonitor.simulator.server import Simulator
from sfmonitor.store.reader import find, timeline
from sfmonitor.store.schema import connect
from sfmonitor.ui import textual_private
from sfmonitor.ui.app import SfMonitorApp
from sfmonitor.ui.screens.confirm import ConfirmScreen
from sfmonitor.ui.screens.history import HistoryScreen
from tests.conftest import add_running_ingest_job, writes
from tests.ui.helpers import jobs_table, wait_for


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Recording:
    """``sfmonitor record --interval 2 --listen 127.0.0.1:PORT`` over the simulator, in its own process."""

    def __init__(self, sim: Simulator, port: int) -> None:
        env = {**os.environ, "SF_INSTANCE_URL": sim.base_url, "SF_ACCESS_TOKEN": sim.token}
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "sfmonitor", "record", "--interval", "2", "--listen", f"127.0.0.1:{port}"],
            env=env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        assert self.proc.stderr is not None
        line = self.proc.stderr.readline()
        assert f"dashboards: sfmonitor --recorder http://127.0.0.1:{port}" in line, line
        self.url = f"http://127.0.0.1:{port}"

    def stop(self) -> None:
        self.proc.terminate()
        _, err = self.proc.communicate(timeout=30)
        assert self.proc.returncode == 0, err


@pytest.fixture
def recordings() -> Iterator[list[Recording]]:
    started: list[Recording] = []
    yield started
    for each in started:
        if each.proc.poll() is None:
            each.proc.kill()
            each.proc.communicate(timeout=30)


@pytest.fixture
def frozen(quiet_sim: Simulator) -> Simulator:
    """An empty org whose time moves only when the test moves it."""
    clock = quiet_sim.world.clock
    clock.start, clock.frozen = clock.now(), True
    return quiet_sim


def later(sim: Simulator, seconds: float) -> None:
    with sim.world.lock:
        sim.world.clock.start += seconds


def attached_app(sim: Simulator, url: str) -> SfMonitorApp:
    """The dashboard as ``SF_INSTANCE_URL=… SF_ACCESS_TOKEN=… sfmonitor --recorder URL`` makes it."""
    options = ConnectionOptions(instance_url=sim.base_url, access_token=sim.token, timeout=5.0)
    org = OrgConfig("", "", options, "", recorder=url)
    return SfMonitorApp([org], Settings(interval=2.0), recorders={url: RecorderAddress(url)})


def recorder_calls(url: str) -> float:
    """What the recorder says it asked of the org (sfmonitor_api_calls_total), all kinds."""
    text = httpx.get(f"{url}/metrics").text
    return sum(s.value for f in text_string_to_metric_families(text) for s in f.samples
               if s.name == "sfmonitor_api_calls_total")  # fmt: skip


def state(app: SfMonitorApp, job_id: str) -> str | None:
    job = app.org.state.jobs.get(job_id)
    return job.state if job else None


async def test_an_attached_dashboard_shows_a_jobs_end_and_aborts_once_with_its_own_sign_in(
    frozen: Simulator, recordings: list[Recording]
) -> None:
    past = [add_running_ingest_job(frozen, total=100, rate=10, running_for=3600 * hours) for hours in (3, 2, 1)]
    ending = add_running_ingest_job(frozen, total=10_000, rate=10, running_for=60, fail_permille=0)
    doomed = add_running_ingest_job(frozen, total=1_000_000, rate=10, running_for=60, fail_permille=0)
    recordings.append(recording := Recording(frozen, free_port()))
    app = attached_app(frozen, recording.url)
    async with app.run_test(size=(140, 40)) as pilot:
        await wait_for(pilot, lambda: state(app, ending) == "InProgress" and state(app, doomed) == "InProgress")
        assert app.org.service is None  # read through the recorder: not signed in, not one call of its own
        deadline = time.monotonic() + 15  # every request the org saw is one the recorder counts as its own
        while recorder_calls(recording.url) != frozen.requests:
            assert time.monotonic() < deadline, (recorder_calls(recording.url), frozen.requests)
            await pilot.pause(0.1)
        assert "by recorder 127.0.0.1" in str(app.view().header().updated)

        later(frozen, 1000)  # the first job's work is done
        await wait_for(pilot, lambda: state(app, ending) == "JobComplete")
        assert "JobComplete" in " ".join(str(c) for c in jobs_table(app).get_row(ending))

        jobs_table(app).select(doomed)
        await pilot.press("h")  # its past runs: the recorder's history, over its API
        await wait_for(pilot, lambda: isinstance(app.screen, HistoryScreen) and app.screen.runs is not None)
        assert isinstance(app.screen, HistoryScreen) and app.screen.problem is None and app.screen.runs
        assert [run.job.id for run in app.screen.runs] == past[::-1]  # newest first
        await pilot.press("escape")
        await wait_for(pilot, lambda: not isinstance(app.screen, HistoryScreen))

        jobs_table(app).select(doomed)
        await pilot.press("a")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press(*doomed[-4:], "enter")  # not known to be a sandbox: its last 4
        await wait_for(pilot, lambda: state(app, doomed) == "Aborted" and len(writes(frozen, doomed)) == 1)
        polls = app.org.state.polls_done
        await wait_for(pilot, lambda: app.org.state.polls_done >= polls + 2 and not app.org.state.pending)
        assert state(app, doomed) == "Aborted"  # the recorder's reads after the answer agree
        assert [(method, status) for method, _, status in writes(frozen, doomed)] == [("PATCH", 200)]


async def test_a_recorder_that_stops_is_said_and_its_successor_is_taken_up_having_lost_nothing(
    frozen: Simulator, recordings: list[Recording]
) -> None:
    job = add_running_ingest_job(frozen, total=10_000, rate=10, running_for=60, fail_permille=0)
    port = free_port()
    recordings.append(first := Recording(frozen, port))
    app = attached_app(frozen, first.url)
    async with app.run_test(size=(140, 40)) as pilot:
        await wait_for(pilot, lambda: state(app, job) == "InProgress")
        first.stop()
        await wait_for(pilot, lambda: "recorder" in (app.org.connection.error or ""))
        level, words = app.org.connection.status(app.clock(), app.org.poll_gap)
        assert level == "offline" and f"recorder {first.url}" in words
        assert "OFFLINE" in str(app.view().header().trouble)
        assert app.view().chip().words.startswith("recorder lost")  # the chip: the recorder, not the org

        later(frozen, 1000)  # the job ends while no recorder reads the org
        recordings.append(Recording(frozen, port))
        await wait_for(pilot, lambda: state(app, job) == "JobComplete" and app.org.connection.error is None)
        assert app.view().chip().words == "ok (recorder)"

    conn = connect(paths.history_file(), write=False)  # both recorders' reads, in one history
    try:
        [remembered] = find(conn, job)
        states = [point.state for point in timeline(conn, remembered).points]
    finally:
        conn.close()
    assert states[0] == "InProgress" and states[-1] == "JobComplete", states


async def test_an_attached_org_with_no_sign_in_of_its_own_says_so_before_any_question(
    frozen: Simulator, recordings: list[Recording]
) -> None:
    """``[orgs.NAME] recorder = …`` and nothing else: abort is refused with why, before a confirmation;
    its failures say they are not read, and why, once (no sign-in tried at each of the recorder's polls)."""
    job = add_running_ingest_job(frozen, total=1_000_000, rate=10, running_for=60)
    recordings.append(recording := Recording(frozen, free_port()))
    [table] = parse_orgs({"127.0.0.1": {"recorder": recording.url}}, "config.toml").values()
    app = SfMonitorApp([table], Settings(interval=2.0), recorders={recording.url: RecorderAddress(recording.url)})
    async with app.run_test(size=(140, 40), notifications=True) as pilot:
        await wait_for(pilot, lambda: state(app, job) == "InProgress")
        jobs_table(app).select(job)
        await pilot.press("a")
        await wait_for(pilot, lambda: any("no sign-in of its own" in m for m in messages(app)))
        assert not isinstance(app.screen, ConfirmScreen)
        await pilot.press("f")
        said = "failures not read · no sign-in of this dashboard's own"
        await wait_for(pilot, lambda: said in str(app.screen.query_one("#summary").render()))
        polls = app.org.state.polls_done
        await wait_for(pilot, lambda: app.org.state.polls_done >= polls + 2)
    assert app.org.service is None and not writes(frozen, job)


def messages(app: SfMonitorApp) -> list[str]:
    return [str(n.message) for n in textual_private.notifications(app)]


def test_an_sf_alias_with_no_sf_cli_is_known_to_fail_before_any_question(monkeypatch: pytest.MonkeyPatch) -> None:
    from sfmonitor.ui.attached import cannot_sign_in

    monkeypatch.setenv("PATH", "")
    assert "not on PATH" in (cannot_sign_in(ConnectionOptions(target_org="uat")) or "")
    assert cannot_sign_in(ConnectionOptions(instance_url="http://127.0.0.1:1", access_token="t")) is None
