"""Theme files are read as the config file is (config.files): each one that cannot be used is one
message naming it and is skipped, the others load; never a crash. A theme's ``name`` is data."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

from sfmonitor.config import paths
from sfmonitor.config.files import MAX_BYTES, MAX_DEPTH
from sfmonitor.simulator.server import Simulator
from sfmonitor.text import inert
from sfmonitor.ui.textual_private import notifications
from sfmonitor.ui.themes import load_themes
from tests.ui.helpers import make_app, wait_for

SHIPPED = {"sfmonitor-dark", "sfmonitor-light", "high-contrast", "terminal"}
GOOD = 'name = "mine"\nprimary = "#ff8800"\n'


def _text(text: str) -> Callable[[Path], None]:
    return lambda path: path.write_text(text)


CASES = [
    ("not-utf8", lambda p: p.write_bytes(b'name = "caf\xe9"\nprimary = "#ff8800"\n'), "is not UTF-8 text"),
    ("nested-too-deep", _text("primary = " + "[" * 40 + "]" * 40), f"nested deeper than {MAX_DEPTH} levels"),
    ("nested-past-the-parser", _text("primary = " + "[" * 5000 + "]" * 5000), "nested deeper than"),
    ("dangling-link", lambda p: p.symlink_to(p.with_name("gone.toml.orig")), "cannot be read (it is a link to "),
    ("link-loop", lambda p: p.symlink_to(p), "leads back to itself"),
    ("a-folder", lambda p: p.mkdir(), "is a folder, not a file"),
    ("a-pipe", lambda p: os.mkfifo(p), "is not a regular file"),
    ("huge", _text(GOOD + "#" * MAX_BYTES), "larger than"),
    ("toml-syntax", _text('primary = "#ff8800\n'), "is not valid TOML: "),
    ("colour-a-number", _text("primary = 5\n"), 'needs at least primary = "#rrggbb"'),
    ("colours-a-list", _text('primary = "#ff8800"\nsecondary = ["#000000"]\n'), "secondary must be a colour in quotes"),
    ("dark-a-word", _text('primary = "#ff8800"\ndark = "no"\n'), "dark must be true or false"),
    ("spread-a-list", _text('primary = "#ff8800"\nluminosity_spread = [1]\n'), "luminosity_spread must be a number"),
    ("variables-of-tables", _text('primary = "#ff8800"\n[variables]\nborder = {a = 1}\n'), "[variables] is a table"),
    ("name-a-table", _text('primary = "#ff8800"\nname = {a = 1}\n'), "name must be text in quotes"),
    ("unknown-key", _text('primary = "#ff8800"\nprimery = "#ff8800"\n'), "unknown key 'primery'"),
    ("not-a-colour", _text('primary = "not-a-colour"\n'), "theme file broken.toml: "),
]  # fmt: skip


@pytest.mark.parametrize(("make", "says"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_a_theme_file_that_cannot_be_used_is_one_message_and_the_rest_load(
    make: Callable[[Path], None], says: str
) -> None:
    folder = paths.themes_dir()
    folder.mkdir(parents=True)
    (folder / "mine.toml").write_text(GOOD)
    make(folder / "broken.toml")
    loaded = load_themes()
    assert {t.name for t in loaded.themes} == SHIPPED | {"mine"}
    assert len(loaded.problems) == 1 and loaded.problems[0].startswith("theme file broken.toml: ")
    assert says in loaded.problems[0] and "\n" not in loaded.problems[0], loaded.problems


def test_a_themes_folder_linked_to_nothing_is_said() -> None:
    folder = paths.themes_dir()
    folder.parent.mkdir(parents=True)
    folder.symlink_to(folder.with_name("unmounted"))
    loaded = load_themes()
    assert {t.name for t in loaded.themes} == SHIPPED
    assert loaded.problems == [f"themes folder {folder}: cannot be read (No such file or directory)"]


EVIL = "evil\x1b]0;pwned\x07\x1b]52;c;ZXZpbA==\x07[b]bold[/b]"


async def test_a_hostile_theme_name_stays_inert_in_its_toast(sim: Simulator) -> None:
    """A theme file's ``name`` carrying escape sequences (retitle the terminal, write the clipboard)
    and markup: chosen with ``t``, its toast shows them as visible text."""
    paths.themes_dir().mkdir(parents=True)
    escaped = EVIL.replace("\x1b", "\\u001b").replace("\x07", "\\u0007")
    (paths.themes_dir() / "evil.toml").write_text(f'name = "{escaped}"\nprimary = "#ff8800"\n')
    app = make_app(sim)
    async with app.run_test(size=(120, 40), notifications=True) as pilot:  # toasts drawn
        await wait_for(pilot, lambda: app.org.state.polls_done)
        assert inert(EVIL) in app.theme_names
        for _ in app.theme_names:
            if app.theme == inert(EVIL):
                break
            await pilot.press("t")
        assert app.theme == inert(EVIL)
        toasts = [n.message for n in notifications(app)]
        assert f"theme: {inert(EVIL)}" in toasts
        assert not any("\x1b" in m or "\x07" in m for m in toasts)
        assert "[b]bold[/b]" in toasts[-1]  # as text, not markup
        await wait_for(pilot, lambda: "pwned" in app.export_screenshot())
        shot = app.export_screenshot().replace("&#160;", " ")
        assert "\x1b" not in shot and "\x07" not in shot
        assert "[b]bold[/b]" in shot  # drawn as text, not read as markup
