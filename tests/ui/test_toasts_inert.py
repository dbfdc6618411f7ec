"""Every toast (and alert) is inert: a job's object name, a job id, an org label or a theme file's name carrying
OSC 0 (retitle the terminal), OSC 52 (write the clipboard) or OSC 8 (plant a link) shows as visible
escapes, and the bytes the dashboard draws hold none of them. Over real sockets, toasts drawn."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from sfmonitor.config.connection import ConnectionOptions
from sfmonitor.config.settings import Settings
from sfmonitor.simulator.server import Simulator
from sfmonitor.text import inert
from sfmonitor.ui import textual_private
from sfmonitor.ui.app import SfMonitorApp
from tests.conftest import add_running_ingest_job

from .helpers import jobs_table, make_app, wait_for

RETITLE, CLIPBOARD, C1 = "\x1b]0;pwned\x07", "\x1b]52;c;ZXZpbA==\x07", "\x9d0;c1\x9c"
LINK = "\x1b]8;;https://evil.test\x1b\\here\x1b]8;;\x1b\\"
OSC = RETITLE + CLIPBOARD + LINK + C1
HOSTILE_OBJECT = "Account" + OSC
HOSTILE_ID = "7504x" + OSC
CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")
UI = Path(__file__).parents[2] / "sfmonitor" / "ui"


def toasts(app: SfMonitorApp) -> list[tuple[str, str]]:
    return [(n.title, n.message) for n in textual_private.notifications(app)]


def drawn(app: SfMonitorApp) -> str:
    """What the dashboard writes to the terminal for its screen now, toasts included (headless, the
    driver drops it: the same render, done here)."""
    return textual_private.screen_output(app)


def plain(out: str) -> str:
    """The drawn text without its colours and cursor moves (CSI sequences)."""
    return re.sub("\x1b\\[[0-9;?]*[A-Za-z]", "", out)


def assert_inert(app: SfMonitorApp, *shown: str) -> None:
    for title, message in toasts(app):
        assert not CONTROL.search(title) and not CONTROL.search(message), (title, message)
    out = drawn(app)
    for needle in ("\x1b]0;", "\x1b]52;", "\x1b]8;", "\x9d", "\x07"):
        assert needle not in out  # no OSC from the data reaches the terminal
    for text in shown:  # ... and it is shown, as visible escapes
        assert text in out


async def test_an_alert_of_a_hostile_object_name_and_org_label_is_inert(quiet_sim: Simulator) -> None:
    """The alert line and the alerts screen show it as visible escapes; no toast carries it. (An empty
    org: a seeded job's end, newer, would take the alert line first on a loaded machine.)"""
    sim = quiet_sim
    options = ConnectionOptions(instance_url=sim.base_url, access_token=sim.token)
    app = SfMonitorApp(options, Settings(interval=0.5), label="UAT\x1b]0;org\x07")
    async with app.run_test(size=(160, 50), notifications=True) as pilot:
        await wait_for(pilot, lambda: app.org.state.polls_done >= 1)  # after it, a new job's end is news
        job_id = add_running_ingest_job(sim, total=60, rate=3, running_for=0, fail_permille=0)
        with sim.world.lock:
            sim.world.jobs[job_id].object = HOSTILE_OBJECT
        await wait_for(pilot, lambda: any(a.job_id == job_id for a in app.fleet.alerts), timeout=20)
        shown = "UAT\\x1b]0;org\\x07: Account\\x1b]0;pwned\\x07\\x1b]52;c;ZXZpbA==\\x07"
        await wait_for(pilot, lambda: shown in plain(drawn(app)))  # the alert line
        assert not any(job_id in m for _, m in toasts(app))
        assert_inert(app, "Account\\x1b]0;pwned")
        await pilot.press("exclamation_mark")
        await wait_for(pilot, lambda: "Account\\x1b]0;pwned" in plain(drawn(app)) and "Time" in plain(drawn(app)))
        assert_inert(app, "UAT\\x1b]0;org\\x07", "Account\\x1b]0;pwned")


@pytest.fixture
def hostile_id(sim: Simulator) -> str:
    """A finished Bulk 2.0 job whose id carries escape sequences (raw, in the org's JSON)."""
    with sim.world.lock:
        job = next(j for j in sim.world.jobs.values() if j.api == "ingest" and j.state == "JobComplete")
        sim.world.jobs.pop(job.id)
        job.id = HOSTILE_ID
        sim.world.jobs[job.id] = job
    return HOSTILE_ID


async def test_the_copy_and_setup_toasts_of_a_hostile_job_id_are_inert(
    sim: Simulator, hostile_id: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = make_app(sim)
    opened: list[str] = []
    monkeypatch.setattr(app, "open_url", lambda url, new_tab=True: opened.append(url))  # no browser in a test
    async with app.run_test(size=(200, 50), notifications=True) as pilot:
        await wait_for(pilot, lambda: app.org.state.polls_done and hostile_id in app.org.state.jobs)
        jobs_table(app).select(hostile_id)
        await pilot.press("y")
        await wait_for(pilot, lambda: any("copied" in m for _, m in toasts(app)))
        assert app.clipboard == inert(hostile_id)  # the id as shown: no control character reaches the clipboard
        assert app.clipboard.startswith("7504x\\x1b]0;pwned\\x07")
        await pilot.press("O")
        await wait_for(pilot, lambda: any(t == "Setup page of the job" for t, _ in toasts(app)))
        assert opened and "%1B%5D0%3Bpwned%07" in opened[0]  # the browser gets the id URL-quoted
        await wait_for(pilot, lambda: "Setup page of the job" in drawn(app))  # the toast is on screen
        assert_inert(app, "7504x\\x1b]0;pwned")


async def test_a_theme_file_name_with_escapes_is_inert_in_the_theme_toast(sim: Simulator) -> None:
    from sfmonitor.config import paths

    themes = paths.themes_dir()
    themes.mkdir(parents=True, exist_ok=True)
    hostile = "zz-evil" + OSC
    (themes / "evil.toml").write_text(f'name = {json.dumps(hostile)}\nprimary = "#336699"\n')  # TOML: \\u001b
    app = make_app(sim)
    async with app.run_test(size=(160, 50), notifications=True) as pilot:
        assert inert(hostile) in app.theme_names  # the theme's name is the file's, inert
        while app.theme != inert(hostile):
            await pilot.press("t")
        await wait_for(pilot, lambda: "zz-evil\\x1b]0;pwned" in drawn(app))  # the name wraps
        assert_inert(app, "zz-evil\\x1b]0;pwned")


def test_no_module_of_the_dashboard_calls_notify_but_the_one_toast_path() -> None:
    calls = [
        f"{path.relative_to(UI)}:{number}"
        for path in sorted(UI.rglob("*.py"))
        if path.name != "toast.py"
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if re.search(r"\bnotify\(", line)
    ]
    assert calls == []  # every toast goes through ui/toast.py say(): inert, never markup


async def test_the_palettes_org_commands_show_a_hostile_label_as_it_is(sim: Simulator, quiet_sim: Simulator) -> None:
    from sfmonitor.config.orgs import OrgConfig

    label = "UAT[link=https://evil.test]x[/link]" + RETITLE

    def org(name: str, on: Simulator, shown: str) -> OrgConfig:
        options = ConnectionOptions(instance_url=on.base_url, access_token=on.token, timeout=2.0)
        return OrgConfig(name, shown, options, "token")

    app = SfMonitorApp([org("uat", sim, label), org("prod", quiet_sim, "PROD")], Settings(interval=0.5))
    async with app.run_test(size=(160, 50), notifications=True) as pilot:
        await wait_for(pilot, lambda: all(o.state.polls_done for o in app.fleet))
        await pilot.press("ctrl+p")
        await pilot.press(*"Show org")
        shown = "Show org: UAT[link=https://evil.test]x[/link]\\x1b]0;pwned\\x07"  # not a link: the words, inert
        await wait_for(pilot, lambda: shown in plain(drawn(app)))
        assert_inert(app)
