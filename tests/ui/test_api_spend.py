"""sfmonitor's API calls as the org sees them (checked at the simulator, which imports nothing of the
client) and as the operator is told of them: every request names sfmonitor in ``Sforce-Call-Options``,
``/limits`` is read once in five minutes, and help says what the last hour's calls went to."""

from __future__ import annotations

import asyncio
import io

from rich.console import Console
from textual.widgets import Static

from sfmonitor import __version__
from sfmonitor.simulator.server import Simulator
from sfmonitor.ui.screens.failures import FailuresScreen
from sfmonitor.ui.screens.help import HelpScreen
from tests.cli.runner import run_cli
from tests.conftest import add_failed_rows_job, connected

from .helpers import jobs_table, make_app, wait_for

MISSING = "REQUIRED_FIELD_MISSING:Required fields are missing: [LastName]:LastName --"


def paths(sim: Simulator) -> list[str]:
    with sim.world.lock:
        return [path for _, path, _ in sim.log]


async def test_every_request_of_a_session_and_a_status_run_names_sfmonitor(sim: Simulator) -> None:
    job_id = add_failed_rows_job(sim, [({"LastName": "", "Email": f"a{i}@x.org"}, MISSING) for i in range(3)])
    app = make_app(sim)
    async with app.run_test(size=(160, 40)) as pilot:
        await wait_for(pilot, lambda: app.org.state.polls_done >= 2 and app.org.limits)
        await pilot.press("r")  # both listings and every live job
        jobs_table(app).select(job_id)
        await pilot.press("f")  # its failed rows: a result file
        await wait_for(pilot, lambda: isinstance(app.screen, FailuresScreen) and app.org.failures[job_id].complete)
        polls = app.org.state.polls_done
        await wait_for(pilot, lambda: app.org.state.polls_done >= polls + 4)
    seen = paths(sim)
    assert sum(1 for path in seen if path.endswith("/limits")) == 1  # at most once in five minutes, however many polls
    env = {"SF_INSTANCE_URL": sim.base_url, "SF_ACCESS_TOKEN": sim.token}
    result = await asyncio.to_thread(run_cli, ["status"], env)  # its own event loop
    assert result.returncode == 0, result.stderr
    async with connected(sim) as service:  # the orgs command's sign-in check: who the token belongs to
        await service.signed_in_as()
    seen = paths(sim)
    for part in ("/services/data/", "/services/oauth2/userinfo", "/jobs/ingest", "/jobs/query", "/services/async/",
                 "/batch", "/failedResults", "/limits"):  # fmt: skip
        assert any(part in path for path in seen), part  # REST, Bulk 2.0, Bulk 1.0, results, limits, userinfo
    with sim.world.lock:
        clients, unnamed = dict(sim.clients), list(sim.unnamed)
    assert unnamed == []
    assert clients == {f"sfmonitor/{__version__}": len(seen)}  # every request the simulator served


async def test_help_tells_what_the_last_hours_calls_went_to(sim: Simulator) -> None:
    job_id = add_failed_rows_job(sim, [({"LastName": "", "Email": "a@x.org"}, MISSING)])
    app = make_app(sim)
    async with app.run_test(size=(160, 40)) as pilot:
        await wait_for(pilot, lambda: app.org.state.polls_done and app.org.limits and not app.org.polling)
        await pilot.press("p")  # paused: only what the operator asks for is read
        await wait_for(pilot, lambda: not app.org.polling)
        assert app.org.service is not None
        calls = app.org.service.transport.calls
        before, polls = calls.last_hour(), app.org.state.polls_done
        await pilot.press("r")
        await wait_for(pilot, lambda: app.org.state.polls_done > polls and not app.org.polling)
        after = calls.last_hour()
        spent = {kind: after[kind] - before[kind] for kind in after if after[kind] != before[kind]}
        assert spent.keys() <= {"listings", "job reads", "batch lists"} and spent["listings"] >= 2, spent
        assert spent["job reads"] > 0, spent  # r: both listings, and every live job read

        before = after
        jobs_table(app).select(job_id)
        await pilot.press("f")
        await wait_for(pilot, lambda: isinstance(app.screen, FailuresScreen) and app.org.failures[job_id].complete)
        after = calls.last_hour()
        spent = {kind: after[kind] - before[kind] for kind in after if after[kind] != before[kind]}
        assert spent == {"results": 1}, spent  # a Bulk 2.0 job's failures: one result file

        await pilot.press("escape")
        await pilot.press("question_mark")
        await wait_for(pilot, lambda: isinstance(app.screen, HelpScreen))
        assert isinstance(app.screen, HelpScreen)
        [(org, words)] = app.screen.calls
        assert org == app.org.shown_name
        assert "listing pages" in words and "job reads" in words and "1 result file (failures)" in words
        assert "1 limits read" in words and "sign-in/userinfo" in words and words.endswith(" in all)")
        console = Console(width=120, record=True, file=io.StringIO())
        console.print(app.screen.query_one("#calls", Static).content)
        shown = console.export_text()
        assert "sfmonitor's API calls, last hour" in shown and "1 result file (failures)" in shown
