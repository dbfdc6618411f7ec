#!/usr/bin/env python3
"""The pinned Salesforce CLI (package.json, package-lock.json here), installed once per machine.

It goes into a cache keyed by the lock file, not into each clone:
``${XDG_CACHE_HOME:-~/.cache}/sfmonitor/sf-cli/<first 16 hex of the lock file's sha256>/node_modules``
(``$SFMONITOR_SF_CLI_CACHE`` instead of ``…/sfmonitor/sf-cli`` if set). A changed lock file is a new
key, so a new install beside the old. The install is ``npm ci`` into a temporary folder beside the
final one, renamed into place when complete (a reader sees the whole install or none), under a
file lock (parallel test workers, or two CI runs at once, install it once). Standard library only:
``.ci/run`` runs it before any virtual environment exists.

    python3 tests/sf_cli/install.py      # installs if need be; prints the path of `sf`
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Mapping
from pathlib import Path

HERE = Path(__file__).resolve().parent
MANIFESTS = ("package.json", "package-lock.json")
NPM_CI = ["ci", "--no-audit", "--no-fund", "--loglevel=error", "--prefer-offline"]


def cache_root(environ: Mapping[str, str] = os.environ) -> Path:
    if environ.get("SFMONITOR_SF_CLI_CACHE"):
        return Path(environ["SFMONITOR_SF_CLI_CACHE"])
    base = environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "sfmonitor" / "sf-cli"


def key() -> str:
    return hashlib.sha256((HERE / "package-lock.json").read_bytes()).hexdigest()[:16]


def sf_path(root: Path) -> Path:
    return root / key() / "node_modules" / ".bin" / "sf"


def install(root: Path | None = None, npm: str = "npm") -> Path:
    """The path of ``sf``, installed first if this lock file's install is not in the cache."""
    root = cache_root() if root is None else root
    sf = sf_path(root)
    if sf.exists():
        return sf
    root.mkdir(parents=True, exist_ok=True)
    final = sf.parents[2]
    with (root / f"{final.name}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # whoever holds it installs; the others then find it done
        if sf.exists():
            return sf
        for stale in [*root.glob(f"{final.name}.*.partial"), final]:  # a killed install's leftovers
            shutil.rmtree(stale, ignore_errors=True)
        partial = Path(tempfile.mkdtemp(prefix=f"{final.name}.", suffix=".partial", dir=root))
        try:
            for name in MANIFESTS:
                shutil.copyfile(HERE / name, partial / name)
            done = subprocess.run([npm, *NPM_CI], cwd=partial, capture_output=True, text=True, timeout=900)
            if done.returncode != 0:
                raise RuntimeError(f"npm ci failed ({done.returncode}): {done.stderr[-4000:]}")
            os.rename(partial, final)  # atomic: complete, or not there at all
        except BaseException:
            shutil.rmtree(partial, ignore_errors=True)
            raise
    return sf


if __name__ == "__main__":
    print(install())
    sys.exit(0)
