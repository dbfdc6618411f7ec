"""An install whose files land somewhere else than the source tree (pip --user, --target, a wheel) still
has its shipped themes: they are package data, read through importlib.resources."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_a_target_install_finds_the_shipped_themes(tmp_path: Path) -> None:
    source = tmp_path / "src"
    skip = shutil.ignore_patterns(".venv", ".git", "build", "*.egg-info", "__pycache__", ".*_cache", "screenshots",
                                  "tests", "benchmarks")  # fmt: skip
    shutil.copytree(ROOT, source, ignore=skip)
    target = tmp_path / "site"
    pip = [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target", str(target), str(source)]
    subprocess.run(pip, check=True, capture_output=True, timeout=300)
    probe = "from sfmonitor.ui.themes import load_themes; import sfmonitor; print(sfmonitor.__file__); " \
            "print(sorted(t.name for t in load_themes().themes))"  # fmt: skip
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"} | {"PYTHONPATH": str(target)}
    out = subprocess.run([sys.executable, "-c", probe], cwd=tmp_path, env=env, capture_output=True, text=True,
                         check=True, timeout=60).stdout.splitlines()  # fmt: skip
    assert out[0].startswith(str(target))  # the installed copy, not the source tree
    assert out[1] == "['high-contrast', 'sfmonitor-dark', 'sfmonitor-light', 'terminal']"
    assert (target / "sfmonitor" / "ui" / "sfmonitor.tcss").is_file()  # the stylesheet travels too
