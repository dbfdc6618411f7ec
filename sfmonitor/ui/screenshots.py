"""Deterministic screenshots of the dashboard: ``python -m sfmonitor.ui.screenshots [--out screenshots]``.

A seeded simulator with a frozen clock and an app clock fixed to the same instant, so the same
code draws the same picture every time. The snapshot tests use the same scenes.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from textual.pilot import Pilot

from ..bulk.models import Job
from ..config.connection import ConnectionOptions
from ..config.orgs import OrgConfig
from ..config.settings import Settings
from ..simulator.faults import FaultSpec
from ..simulator.server import Simulator
from ..simulator.world import Clock
from .app import SfMonitorApp
from .screens.confirm import ConfirmScreen
from .screens.detail import JobDetailScreen
from .screens.failures import FailuresScreen
from .widgets.keyed_table import KeyedTable

FIXED = datetime(2026, 11, 20, 14, 30, tzinfo=UTC)
SEED = 7


def frozen_simulator(seed: int = SEED, faults: FaultSpec | None = None) -> Simulator:
    sim = Simulator(seed=seed, spawn_every=0, clock=Clock(start=FIXED.timestamp(), frozen=True), faults=faults)
    return sim.start()


def frozen_app(sim: Simulator, theme: str = "sfmonitor-dark") -> SfMonitorApp:
    options = ConnectionOptions(instance_url=sim.base_url, access_token=sim.token, timeout=10)
    return SfMonitorApp(options, Settings(interval=3600, theme=theme), clock=lambda: FIXED)


DEV_CALLS = 91
ORGS = (("prod", "PROD", "red", 7), ("uat", "UAT", "magenta", 11), ("dev", "DEV", "cyan", 13))


def fleet_app(sims: list[Simulator], theme: str = "sfmonitor-dark") -> SfMonitorApp:
    """Three orgs: production, a sandbox, and one about to go down."""
    orgs = []
    for (key, label, colour, _), sim in zip(ORGS, sims, strict=True):
        options = ConnectionOptions(instance_url=sim.base_url, access_token=sim.token, timeout=10)
        orgs.append(OrgConfig(key, label, options, "token", colour=colour, production=key == "prod"))
    return SfMonitorApp(orgs, Settings(interval=3600, theme=theme), clock=lambda: FIXED)


def scene_app(scene: Scene) -> tuple[list[Simulator], SfMonitorApp]:
    """The simulators and the app a scene is drawn from."""
    if not scene.fleet:
        sim = frozen_simulator()
        return [sim], frozen_app(sim, scene.theme)
    dev = FaultSpec(limit_after=DEV_CALLS)  # its first poll and /limits, then the daily limit is spent
    sims = [frozen_simulator(seed, dev if key == "dev" else None) for key, _, _, seed in ORGS]
    return sims, fleet_app(sims, scene.theme)


async def settle(pilot: Pilot[None], condition: Callable[[], object], timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError("the dashboard did not settle")
        await pilot.pause(0.05)
    await pilot.pause(0.2)


async def first_poll(pilot: Pilot[None]) -> None:
    app = pilot.app
    assert isinstance(app, SfMonitorApp)
    await settle(pilot, lambda: app.org.state.polls_done and app.org.limits and not app.org.polling)


def _classic_running(job: Job) -> bool:
    return job.kind.label == "Bulk 1.0" and job.state == "Closed" and not job.finished


async def _press_on(pilot: Pilot[None], pick: Callable[[Job], bool], key: str) -> tuple[SfMonitorApp, Job]:
    """After the first poll, the first job ``pick`` takes is selected and ``key`` pressed on it."""
    await first_poll(pilot)
    app = pilot.app
    assert isinstance(app, SfMonitorApp)
    job = next(j for j in app.org.state.jobs.values() if pick(j))
    app.screen.query_one("#jobs", KeyedTable).select(job.id)
    await pilot.press(key)
    return app, job


async def open_batches(pilot: Pilot[None]) -> None:
    app, _ = await _press_on(pilot, _classic_running, "enter")
    await settle(pilot, lambda: isinstance(app.screen, JobDetailScreen))


async def ask_abort(pilot: Pilot[None]) -> None:
    app, _ = await _press_on(pilot, lambda j: j.kind.label == "2.0 ingest" and j.state == "InProgress", "a")
    await settle(pilot, lambda: isinstance(app.screen, ConfirmScreen))


async def open_failures(pilot: Pilot[None]) -> None:
    """Failures of the running 40-batch Bulk 1.0 job: the batches finished so far."""
    app, job = await _press_on(pilot, lambda j: j.kind.label == "Bulk 1.0" and j.state == "Open", "f")
    report = app.org.failure_report(job)
    await settle(pilot, lambda: isinstance(app.screen, FailuresScreen) and report.batches and not report.reading)


async def fleet_with_one_down(pilot: Pilot[None]) -> None:
    """Three orgs polled once; then the dev org's daily API limit stops it, and its rows fade."""
    app = pilot.app
    assert isinstance(app, SfMonitorApp)
    await settle(pilot, lambda: all(o.state.polls_done and o.limits and not o.polling for o in app.fleet))
    dev = app.fleet.orgs["dev"]
    app.poll_now(org=dev)
    await settle(pilot, lambda: dev.connection.error is not None and not dev.polling)
    app.screen.query_one("#jobs", KeyedTable).move_cursor(row=0)  # the first row, whichever poll came last
    await pilot.pause(0.1)


@dataclass(frozen=True)
class Scene:
    name: str
    size: tuple[int, int]
    prepare: Callable[[Pilot[None]], Awaitable[None]]
    theme: str = "sfmonitor-dark"
    fleet: bool = False  # three orgs (ORGS), not one


SCENES = (
    Scene("main-120x40", (120, 40), first_poll),
    Scene("main-80x24", (80, 24), first_poll),
    Scene("main-200x60", (200, 60), first_poll),
    Scene("batches-120x40", (120, 40), open_batches),
    Scene("batches-80x24", (80, 24), open_batches),
    Scene("batches-200x60", (200, 60), open_batches),
    Scene("abort-confirmation", (120, 40), ask_abort),
    Scene("failures-120x40", (120, 40), open_failures),
    Scene("orgs-120x40", (120, 40), fleet_with_one_down, fleet=True),
    Scene("orgs-80x24", (80, 24), fleet_with_one_down, fleet=True),
    Scene("theme-sfmonitor-light", (120, 30), first_poll, "sfmonitor-light"),
    Scene("theme-high-contrast", (120, 30), first_poll, "high-contrast"),
    Scene("theme-terminal", (120, 30), first_poll, "terminal"),
    Scene("theme-sfmonitor-dark", (120, 30), first_poll, "sfmonitor-dark"),
)


def spaces_kept(svg: str) -> str:
    """Rich's SVG positions each run of one style by its own ``<text>``; without ``xml:space="preserve"``
    an SVG renderer may strip a run's leading and trailing spaces (librsvg does, so a ``PROD`` chip
    read "PRODPROD ok" and every padded cell sat a cell to the left). Kept, the picture is the screen."""
    return svg.replace("<svg ", '<svg xml:space="preserve" ', 1)


async def shoot(scene: Scene, out: Path) -> Path:
    sims, app = scene_app(scene)
    try:
        async with app.run_test(size=scene.size) as pilot:
            await scene.prepare(pilot)
            path = out / f"{scene.name}.svg"
            path.write_text(spaces_kept(app.export_screenshot()), encoding="utf-8")
    finally:
        for sim in sims:
            sim.stop()
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", default="screenshots", help="folder for the SVG files (screenshots)")
    args = parser.parse_args()
    os.environ["TZ"] = "UTC"
    time.tzset()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    for scene in SCENES:
        print(asyncio.run(shoot(scene, out)))


if __name__ == "__main__":
    main()
