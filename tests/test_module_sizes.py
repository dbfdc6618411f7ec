"""The house rule on size: no module of sfmonitor over 500 lines, and the app (ui/app.py) no more
than wiring: at most 450."""

from __future__ import annotations

from pathlib import Path

import sfmonitor

ROOT = Path(sfmonitor.__file__).parent
MODULE_MAX = 500
APP_MAX = 450

# ALLOWANCE, for the lead to remove: sfmonitor/simulator/api.py is being split by another branch of
# issue 21. Nothing else is allowed over; once the split lands this set must be emptied (the test
# then fails until it is, so the allowance cannot outlive its reason).
ALLOWANCE = {"simulator/api.py"}


def lines(path: Path) -> int:
    return len(path.read_text(encoding="utf-8").splitlines())


def test_no_module_is_over_500_lines() -> None:
    sizes = {path.relative_to(ROOT).as_posix(): lines(path) for path in ROOT.rglob("*.py")}
    over = {name for name, size in sizes.items() if size > MODULE_MAX}
    assert over - ALLOWANCE == set(), {name: sizes[name] for name in over - ALLOWANCE}
    assert ALLOWANCE - over == set(), f"{sorted(ALLOWANCE - over)} no longer over {MODULE_MAX}: empty ALLOWANCE"


def test_the_app_is_wiring_at_most_450_lines() -> None:
    assert lines(ROOT / "ui" / "app.py") <= APP_MAX
