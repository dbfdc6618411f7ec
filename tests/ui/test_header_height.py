"""The table never moves: the header is one height at a screen size whatever it says (orgs coming
and going, a long filter, muted, read-only, an org offline, alerts), so the jobs table's region
stays put across polls; and the header's phrases keep their spaces on the screen drawn."""

from __future__ import annotations

from textual.pilot import Pilot
from textual.widgets import Input

from sfmonitor.config.connection import ConnectionOptions
from sfmonitor.config.orgs import OrgConfig
from sfmonitor.config.settings import Settings
from sfmonitor.simulator.server import Simulator
from sfmonitor.ui import textual_private
from sfmonitor.ui.app import SfMonitorApp
from sfmonitor.ui.screens.alerts import AlertsScreen
from sfmonitor.ui.screenshots import Scene, first_poll, fleet_with_one_down, keep_spaces, scene_app
from sfmonitor.ui.widgets.status_bar import StatusBar
from tests.conftest import add_running_ingest_job
from tests.ui.helpers import jobs_table, org, wait_for

SIZES = [(80, 24), (100, 30), (120, 40), (200, 60)]
DEAD = "http://127.0.0.1:9"  # nothing listens: the org goes offline (the trouble line)


def screen_text(app: SfMonitorApp) -> list[str]:
    return textual_private.screen_lines(app)


class Steady:
    """The header's height and the table's region as first seen; each check: the same, and the
    header's text exactly that many lines, none wider than the screen."""

    def __init__(self, app: SfMonitorApp) -> None:
        self.app = app
        self.header = app.screen.query_one("#header", StatusBar)
        self.first = (self.header.outer_size.height, jobs_table(app).region)

    async def check(self, pilot: Pilot[None], polls: int = 1) -> None:
        done = sum(o.state.polls_done for o in self.app.fleet)
        await wait_for(pilot, lambda: sum(o.state.polls_done for o in self.app.fleet) >= done + polls)
        await pilot.pause(0.1)
        table = jobs_table(self.app).region
        assert (self.header.outer_size.height, table.offset) == (self.first[0], self.first[1].offset)
        if not self.app.screen.query_one("#filter").display:  # the filter box, while open, takes rows below
            assert table == self.first[1]
        lines = str(self.header.render()).split("\n")
        assert len(lines) == self.first[0] and all(len(line) <= self.app.size.width for line in lines), lines


async def type_filter(pilot: Pilot[None], app: SfMonitorApp, text: str) -> None:
    """/ and a filter's text (set whole: a key press each would take most of the test's time)."""
    await pilot.press("slash")
    app.screen.query_one("#filter", Input).value = text
    await pilot.pause()


async def test_many_orgs_filtered_muted_and_one_down_never_move_the_table(sim: Simulator) -> None:
    """At each size in turn (one session, the terminal resized): an org going down, muting, a long
    filter and one org in view change what the header says, never its height or the table's place."""
    down = OrgConfig("down", "DOWN", ConnectionOptions(instance_url=DEAD, access_token="t", timeout=0.5), "token")
    orgs = [org("prod", sim, production=True), org("uat", sim, read_only=True), down,
            *(org(f"sandbox{n}", sim) for n in range(1, 6))]  # fmt: skip
    app = SfMonitorApp(orgs, Settings(interval=0.5))
    async with app.run_test(size=SIZES[0]) as pilot:
        await wait_for(pilot, lambda: all(o.state.polls_done for o in app.fleet if o.key != "down"))
        for size in SIZES:
            await pilot.resize_terminal(*size)
            await pilot.pause(0.1)
            steady = Steady(app)
            await steady.check(pilot)
            await wait_for(pilot, lambda: app.fleet.orgs["down"].connection.error is not None)  # trouble
            await steady.check(pilot)
            await pilot.press("m")
            await steady.check(pilot)
            await type_filter(pilot, app, "a long filter that matches nothing at all, to the end of the line")
            await steady.check(pilot, polls=3)
            await pilot.press("enter", "escape", "o")  # the filter gone, one org in view
            await steady.check(pilot, polls=3)
            await pilot.press("m", "o", "o")  # unmuted, all orgs again (o cycles back) for the next size
            await pilot.pause(0.1)


async def test_one_read_only_org_with_alerts_never_moves_the_table(quiet_sim: Simulator) -> None:
    sim = quiet_sim
    add_running_ingest_job(sim, total=10**6, rate=50, running_for=0, fail_permille=0)  # a row all along
    options = ConnectionOptions(instance_url=sim.base_url, access_token=sim.token)
    app = SfMonitorApp(options, Settings(interval=0.5, read_only=True), label="PROD", production=True)
    async with app.run_test(size=SIZES[0]) as pilot:
        await wait_for(pilot, lambda: app.org.state.polls_done and app.org.usage)
        before = {size: Steady(app) for size in SIZES[:1]}
        for _ in range(3):  # jobs end: alerts, the newest on the header's last line
            add_running_ingest_job(sim, total=60, rate=3, running_for=0, fail_permille=500)
        await wait_for(pilot, lambda: len(app.fleet.alerts) == 3, timeout=20)
        await before[SIZES[0]].check(pilot)  # the alerts came: the same height as with none
        for size in SIZES:
            await pilot.resize_terminal(*size)
            await pilot.pause(0.1)
            steady = Steady(app)
            await steady.check(pilot)
            assert "+2 more (!)" in str(steady.header.render()).split("\n")[-1]
            await pilot.press("m")
            await type_filter(pilot, app, "x" * 150)
            await steady.check(pilot, polls=2)
            header = str(steady.header.render())
            assert "PROD PRODUCTION" in header and "read-only" in header and "muted" in header
            await pilot.press("escape", "m")  # the filter gone, unmuted, for the next size
            await pilot.pause(0.1)


async def test_header_phrases_keep_their_spaces_on_screen_and_in_the_screenshot() -> None:
    """The screen's text, as drawn: "PROD PROD ok", "(19%) mine"; and a screenshot's SVG keeps the
    spaces at the start of each styled run (a renderer may strip them otherwise)."""
    fleet = " PROD PROD ok API 19% mine 87/h │ UAT ok API 20% mine 92/h │ DEV offline"
    one = " 127.0.0.1  API 19,414/100,000 (19%) mine 88/h  "
    for scene, wanted in ((Scene("fleet", (120, 40), fleet_with_one_down, fleet=True), fleet),
                          (Scene("one", (200, 60), first_poll), one)):  # fmt: skip
        sims, app = scene_app(scene)
        try:
            async with app.run_test(size=scene.size) as pilot:
                await scene.prepare(pilot)
                assert screen_text(app)[0].startswith(wanted), screen_text(app)[0]
                svg = keep_spaces(app.export_screenshot())
                assert svg.startswith('<svg xml:space="preserve" ') and ">&#160;mine&#160;8" in svg
        finally:
            for sim in sims:
                sim.stop()


async def test_a_resized_terminal_gets_the_header_fitted_at_once_not_at_the_next_poll(quiet_sim: Simulator) -> None:
    """Resized while the alerts screen is on top: its header, and the dashboard's when back, are fitted
    to the new width at once, not left in the old width's words until the next poll."""
    app = SfMonitorApp(ConnectionOptions(instance_url=quiet_sim.base_url, access_token=quiet_sim.token),
                       Settings(interval=0.5), label="PROD")  # fmt: skip
    async with app.run_test(size=(200, 40)) as pilot:
        await wait_for(pilot, lambda: app.org.state.polls_done and app.org.usage)
        await pilot.press("p")  # paused: no poll redraws the header from here on
        await pilot.pause(0.1)
        header = app.screen.query_one("#header", StatusBar)
        wide = str(header.render()).split("\n")[0]
        assert "mine" in wide, wide
        for size, fits in (((80, 24), lambda line: line != wide), ((200, 40), lambda line: line == wide)):
            await pilot.press("exclamation_mark")
            await wait_for(pilot, lambda: isinstance(app.screen, AlertsScreen))
            await pilot.resize_terminal(*size)
            await pilot.pause(0.1)
            on_top = str(app.screen.query_one("#header", StatusBar).render()).split("\n")
            assert all(len(line) <= size[0] - 2 for line in on_top), on_top
            await pilot.press("escape")
            await wait_for(pilot, lambda: not isinstance(app.screen, AlertsScreen))
            await pilot.pause(0.1)
            lines = str(header.render()).split("\n")
            assert all(len(line) <= size[0] - 2 for line in lines) and fits(lines[0]), lines
