"""The house rule on size: no module of sfmonitor over 500 lines, and the app (ui/app.py) no more
than wiring: at most 450."""

from __future__ import annotations

from pathlib import Path

import sfmonitor

ROOT = Path(sfmonitor.__file__).parent
MODULE_MAX = 500
APP_MAX = 450


def lines(path: Path) -> int:
    return len(path.read_text(encoding="utf-8").splitlines())


def test_no_module_is_over_500_lines() -> None:
    sizes = {path.relative_to(ROOT).as_posix(): lines(path) for path in ROOT.rglob("*.py")}
    over = {name for name, size in sizes.items() if size > MODULE_MAX}
    assert not over, {name: sizes[name] for name in over}


def test_the_app_is_wiring_at_most_450_lines() -> None:
    assert lines(ROOT / "ui" / "app.py") <= APP_MAX
