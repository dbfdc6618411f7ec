"""Config file, keymap, themes: each bad input is one clear message and a fallback, never a crash."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from sfmonitor.bulk.errors import ConfigError
from sfmonitor.config import paths
from sfmonitor.config import settings as config
from sfmonitor.simulator.server import Simulator
from sfmonitor.ui.keys import check_keymap
from sfmonitor.ui.screens.confirm import ConfirmScreen
from sfmonitor.ui.textual_private import notifications
from tests.cli.runner import run_cli
from tests.conftest import find_job

from .helpers import jobs_table, make_app, wait_for


def test_config_file_values_and_precedence(tmp_path: Path) -> None:
    file = tmp_path / "config.toml"
    file.write_text('interval = 9\ntheme = "high-contrast"\nread_only = true\n[keymap]\nabort = "A"\n')
    settings = config.load(path=file, env={})
    assert (settings.interval, settings.theme, settings.read_only, settings.keymap) == (
        9.0,
        "high-contrast",
        True,
        {"abort": "A"},
    )
    assert config.load(path=file, env={"SFMONITOR_THEME": "terminal"}).theme == "terminal"
    assert (
        config.load(path=file, env={"SFMONITOR_THEME": "terminal"}, theme="sfmonitor-light").theme == "sfmonitor-light"
    )
    config.remember_theme("sfmonitor-light")
    assert config.load(path=file, env={}).theme == "sfmonitor-light"  # the choice made with t persists
    state = paths.state_file()
    assert stat.S_IMODE(state.stat().st_mode) == 0o600


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("interval = 'soon'", "interval must be a number"),
        ("colour = 1", "unknown setting 'colour'"),
        ("read_only = 'yes'", "read_only must be true or false"),
        ("[keymap]\nabort = 3", "keymap"),
        ("this is not toml", "config file"),
    ],
)
def test_bad_config_is_one_clear_error(tmp_path: Path, text: str, message: str) -> None:
    file = tmp_path / "config.toml"
    file.write_text(text)
    with pytest.raises(ConfigError, match=message):
        config.load(path=file, env={})


def test_bad_config_exits_2_with_one_line() -> None:
    paths.config_file().parent.mkdir(parents=True, exist_ok=True)
    paths.config_file().write_text("[keymap]\nexplode = 'x'\n")
    result = run_cli(["demo"])
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "'explode'" in result.stderr and "abort" in result.stderr


def test_locate() -> None:
    for what, expected in (("config", paths.config_file()), ("themes", paths.themes_dir()), ("log", paths.log_file())):
        out = run_cli(["locate", what])
        assert out.stdout.strip() == str(expected)


@pytest.mark.parametrize("key", ["x", "@"])  # "@": a character, checked as the key Textual names "at"
async def test_remapped_key_works(sim: Simulator, key: str) -> None:
    job_id = find_job(sim, "ingest", "InProgress", running=False)
    check_keymap({"abort": key})
    app = make_app(sim, keymap={"abort": key})
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: job_id in app.org.state.jobs)
        jobs_table(app).select(job_id)
        await pilot.press(key)
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen))
        await pilot.press("n")


async def test_bad_theme_file_is_skipped_with_a_message_and_a_fallback(sim: Simulator) -> None:
    paths.themes_dir().mkdir(parents=True, exist_ok=True)
    (paths.themes_dir() / "broken.toml").write_text('name = "broken"\nprimary = "not-a-colour"\n')
    (paths.themes_dir() / "mine.toml").write_text('name = "mine"\nprimary = "#ff8800"\n')
    app = make_app(sim, theme="broken")
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for(pilot, lambda: app.org.state.polls_done)
        assert app.theme == "sfmonitor-dark"
        messages = [n.message for n in notifications(app)]
        assert any("broken.toml" in m for m in messages)
        assert any("no theme named 'broken'" in m for m in messages)
        assert "mine" in app.theme_names
        for _ in app.theme_names:  # t cycles through every loaded theme
            await pilot.press("t")
        assert app.theme == "sfmonitor-dark"
