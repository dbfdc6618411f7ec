"""Read-only, close and abort are not offered; pressing their keys still says why, in the words the
command line uses (read_only_refusal), naming where read-only comes from: the --read-only flag, the
config file's top level, or the org's own [orgs.NAME] table."""

from __future__ import annotations

import pytest

from sfmonitor.config.settings import Settings
from sfmonitor.monitor.confirm import read_only_refusal
from sfmonitor.monitor.schedule import Schedule
from sfmonitor.simulator.server import Simulator
from sfmonitor.ui.app import SfMonitorApp
from sfmonitor.ui.screens.confirm import ConfirmScreen
from sfmonitor.ui.textual_private import notifications
from tests.conftest import find_job, writes
from tests.ui.helpers import jobs_table, make_app, org, wait_for


def toasts(app: SfMonitorApp) -> list[str]:
    """The refusals toasted (a job's own alerts may come and go meanwhile)."""
    return [n.message for n in notifications(app) if n.message.startswith("Cannot")]


@pytest.mark.parametrize(
    ("settings", "why"),
    [
        ({"read_only": True, "flags": frozenset({"read_only"})}, None),
        ({"read_only": True}, "read_only = true at the top of the config file"),
        ({"read_only": True, "keymap": {"abort": "A"}}, "read_only = true at the top of the config file"),
    ],
    ids=["flag", "config-top-level", "remapped-key"],
)
async def test_a_and_c_say_why_in_read_only(sim: Simulator, settings: dict[str, object], why: str | None) -> None:
    job_id = find_job(sim, "ingest", "InProgress")
    app = make_app(sim, **settings)
    keys = ("A", "c") if "keymap" in settings else ("a", "c")
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        await wait_for(pilot, lambda: app.org.state.polls_done and job_id in app.org.state.jobs)
        jobs_table(app).select(job_id)
        await pilot.pause(0.1)
        assert keys[0] not in app.screen.active_bindings  # not offered: hidden from the key bar
        reason = read_only_refusal(app.org.shown_name, why)
        for key, verb in zip(keys, ("abort", "close"), strict=True):
            await pilot.press(key)
            await wait_for(pilot, lambda verb=verb: f"Cannot {verb} in {app.org.shown_name}: {reason}" in toasts(app))
        assert not isinstance(app.screen, ConfirmScreen) and writes(sim, job_id) == []
        before = len(toasts(app))
        await pilot.press("slash", "a", "c")  # typed into the filter: letters, not keys
        await pilot.pause(0.2)
        assert len(toasts(app)) == before
        await pilot.press("escape", "question_mark", "a")  # the help screen offers no actions
        await pilot.pause(0.2)
        assert len(toasts(app)) == before


async def test_an_orgs_own_read_only_table_is_named(sim: Simulator) -> None:
    app = SfMonitorApp([org("uat", sim, read_only=True)], Settings(interval=0.5), schedule=Schedule(0.5))
    async with app.run_test(size=(120, 40), notifications=True) as pilot:
        await wait_for(pilot, lambda: app.org.state.polls_done)
        await pilot.press("a")
        reason = read_only_refusal("UAT", "read_only is set in its [orgs.uat] table")
        await wait_for(pilot, lambda: f"Cannot abort in UAT: {reason}" in toasts(app))
