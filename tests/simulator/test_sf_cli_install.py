"""The sf CLI's install for the tests: once per machine and lock file, whole or not at all, and once
however many workers (or CI runs) ask at the same moment. npm is a stand-in here that counts its runs."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from tests.sf_cli.install import cache_root, install, key, sf_path


def _npm(tmp_path: Path, fail: bool = False) -> tuple[Path, Path]:
    runs = tmp_path / "npm-runs"
    npm = tmp_path / "npm"
    npm.write_text(
        "#!/bin/sh\n"
        f'echo "$@" >> {runs}\n'
        "sleep 0.3\n"  # long enough for the other workers to arrive while it installs
        "mkdir -p node_modules/.bin && printf '#!/bin/sh\\necho sf\\n' > node_modules/.bin/sf\n"
        "chmod +x node_modules/.bin/sf\n" + ("exit 1\n" if fail else "")
    )
    npm.chmod(0o755)
    return npm, runs


def test_workers_asking_at_once_install_once_into_the_lock_files_folder(tmp_path: Path) -> None:
    npm, runs = _npm(tmp_path)
    root = tmp_path / "cache"
    found: list[Path] = []
    workers = [threading.Thread(target=lambda: found.append(install(root, npm=str(npm)))) for _ in range(4)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert found == [sf_path(root)] * 4 and sf_path(root).parts[-4] == key()
    assert runs.read_text().splitlines() == ["ci --no-audit --no-fund --loglevel=error --prefer-offline"]
    assert sorted(p.name for p in root.iterdir()) == [key(), f"{key()}.lock"]  # no partial install left
    assert install(root, npm=str(tmp_path / "no-npm")) == sf_path(root)  # installed: npm is not asked again


def test_a_failed_install_leaves_nothing_behind(tmp_path: Path) -> None:
    npm, _ = _npm(tmp_path, fail=True)
    root = tmp_path / "cache"
    with pytest.raises(RuntimeError, match="npm ci failed"):
        install(root, npm=str(npm))
    assert sorted(p.name for p in root.iterdir()) == [f"{key()}.lock"]


def test_the_cache_follows_xdg_and_its_own_variable(tmp_path: Path) -> None:
    assert cache_root({"XDG_CACHE_HOME": str(tmp_path)}) == tmp_path / "sfmonitor" / "sf-cli"
    assert cache_root({"XDG_CACHE_HOME": "/x", "SFMONITOR_SF_CLI_CACHE": str(tmp_path)}) == tmp_path
