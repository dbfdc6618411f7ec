"""Snapshot tests: the screens drawn from a frozen, seeded org must not change unnoticed.

Update after a deliberate UI change: ``pytest tests/ui/test_snapshots.py --snapshot-update``, then
regenerate ``screenshots/`` with ``python -m sfmonitor.ui.screenshots``.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from sfmonitor.ui.screenshots import SCENES, Scene, scene_app

SNAPSHOT_SCENES = [s for s in SCENES if not s.name.startswith("theme-")]


pytestmark = pytest.mark.usefixtures("utc")  # local times drawn alike on any machine


@pytest.mark.parametrize("scene", SNAPSHOT_SCENES, ids=[s.name for s in SNAPSHOT_SCENES])
def test_screen(snap_compare: Callable[..., bool], scene: Scene) -> None:
    sims, app = scene_app(scene)
    try:
        assert snap_compare(app, terminal_size=scene.size, run_before=scene.prepare)
    finally:
        for sim in sims:
            sim.stop()
