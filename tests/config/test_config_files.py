"""A config file that cannot be read or means two things is one line on stderr naming the file and
the problem, and exit 2, for every command; never a traceback, never silently "no config" (which
would drop its ``read_only``). Only nothing at its path is "no config"."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

from sfmonitor.bulk.errors import ConfigError
from sfmonitor.cli.exits import ExitCode
from sfmonitor.config import paths
from sfmonitor.config import settings as config
from sfmonitor.config.files import MAX_BYTES, MAX_DEPTH
from tests.cli.runner import run_cli
from tests.terminal import read_until, terminal

JOB = "750000000000001AAA"


def _text(text: str) -> Callable[[Path], None]:
    return lambda path: path.write_text(text)


def _bytes(raw: bytes) -> Callable[[Path], None]:
    return lambda path: path.write_bytes(raw)


def _dangling(path: Path) -> None:
    path.symlink_to(path.parent / "dotfiles" / "config.toml")


def _loop(path: Path) -> None:
    other = path.with_name("other.toml")
    other.symlink_to(path)
    path.symlink_to(other)


def _folder_linked_to_nothing(path: Path) -> None:
    """``~/.config/sfmonitor`` a link into a dotfiles checkout that is not there."""
    path.parent.rmdir()
    path.parent.symlink_to(path.parent.with_name("unmounted"))


def _folder_a_file(path: Path) -> None:
    path.parent.rmdir()
    path.parent.write_text("")


# (id, how the file is made, what the one line says besides the file's path)
CASES = [
    ("not-utf8", _bytes(b'read_only = true\n[orgs.prod]\nlabel = "caf\xe9"\n'), "not UTF-8 text (byte 0xe9 on line 3)"),
    ("nested-too-deep", _text("interval = " + "[" * 40 + "]" * 40), f"nested deeper than {MAX_DEPTH} levels"),
    ("nested-past-the-parser", _text("interval = " + "[" * 5000 + "]" * 5000), f"nested deeper than {MAX_DEPTH}"),
    ("events-of-tables", _text("[alerts]\nevents = [{ended = true}]\n"), "[alerts]: events is a list of ended"),
    ("on-event-of-tables", _text("[alerts]\non_event = [{run = 'x'}]\n"), "on_event: give a command, as a string"),
    ("keymap-a-string", _text('keymap = "A"\n'), "[keymap] is a table of binding ids and keys"),
    ("number-for-alias", _text("[orgs.prod]\nsf_alias = 5\n"), "[orgs.prod]: sf_alias must be text in quotes"),
    ("number-for-key", _text("[keymap]\nabort = 3\n"), "[keymap] 'abort' must be keys in quotes"),
    ("empty-key", _text('[keymap]\nabort = "A,,B"\n'), "[keymap] 'abort' has an empty key"),
    ("dangling-link", _dangling, "cannot be read (it is a link to "),
    ("link-loop", _loop, "cannot be read (it is a link that leads back to itself (a loop))"),
    ("folder-linked-to-nothing", _folder_linked_to_nothing, "is a link to nothing, or not a folder"),
    ("a-folder", lambda path: path.mkdir(), "is a folder, not a file"),
    ("folder-a-file", _folder_a_file, "cannot be read (a part of its path is not a folder)"),
    ("a-pipe", lambda path: os.mkfifo(path), "is not a regular file"),
    ("huge", _text("read_only = true\n" + "#" * MAX_BYTES), f"larger than {MAX_BYTES // 1024} KiB"),
    ("toml-syntax", _text("read_only = true\ninterval = 5 5\n"), "is not valid TOML: ") ,
    ("table-twice", _text('[orgs.prod]\nsf_alias = "p"\n[orgs.prod]\nsf_alias = "q"\n'), "twice (at line 3"),
    ("unknown-key", _text("read_onyl = true\n"), "unknown setting 'read_onyl'"),
    ("interval-nan", _text("interval = nan\n"), "interval must be a number of seconds"),
    ("interval-huge", _text("interval = 1e300\n"), "interval must be a number of seconds (up to 86400)"),
    ("number-too-long", _text("interval = " + "1" * 5000), "is not valid TOML"),
    ("home-of-nobody", _text('[orgs.ops]\nclient_id = "x"\nusername = "u@x"\nprivate_key_file = "~nobody-sfm/k"\n'),
     "[orgs.ops]: private_key_file '~nobody-sfm/k' names the home folder of a user this machine lacks"),
    ("one-org-two-rules", _text('[orgs.a]\nsf_alias = "p"\nread_only = true\n[orgs.b]\nsf_alias = "p"\n'),
     "[orgs.a] and [orgs.b] are one org (the same sf_alias 'p') but disagree on read_only"),
    ("unnamed-org", _text('[orgs.""]\nsf_alias = "p"\n'), "an org needs a name"),
]  # fmt: skip

# Every command that reads the config file; the dashboard's commands check it before the screen.
COMMANDS = [
    ["status"],
    ["wait", "--running"],
    ["orgs"],
    ["close", "--yes", JOB],
    ["abort", "--yes", JOB],
    ["failures", JOB],
    ["watch"],
    ["demo"],
    ["record"],
    ["locate", "history"],
]


def _config(make: Callable[[Path], None]) -> Path:
    path = paths.config_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    make(path)
    return path


def _one_line(stderr: str) -> str:
    assert stderr.count("\n") == 1 and stderr.startswith("sfmonitor: "), stderr
    assert "Traceback" not in stderr
    return stderr


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: c[0])
@pytest.mark.parametrize(("make", "says"), [case[1:] for case in CASES], ids=[case[0] for case in CASES])
def test_a_config_file_that_cannot_be_used_is_one_line_and_exit_2(
    command: list[str], make: Callable[[Path], None], says: str
) -> None:
    path = _config(make)
    result = run_cli(command, {"SF_INSTANCE_URL": "https://acme.my.salesforce.com", "SF_ACCESS_TOKEN": "x" * 20})
    assert result.returncode == ExitCode.USAGE, result
    line = _one_line(result.stderr)
    assert f"config file {path}" in line and says in line, line
    assert result.stdout == ""


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads every file")
def test_a_config_file_without_permission_is_an_error() -> None:
    path = _config(_text("read_only = true\n"))
    path.chmod(0)
    result = run_cli(["status"])
    assert result.returncode == ExitCode.USAGE
    assert "cannot be read (permission denied)" in _one_line(result.stderr)


def test_only_nothing_at_the_path_is_no_config(tmp_path: Path) -> None:
    """No file, and no folder for it: the defaults. A byte-order mark (Notepad's) is not a mistake."""
    assert config.load(path=tmp_path / "absent" / "config.toml", env={}).read_only is False
    marked = tmp_path / "marked.toml"
    marked.write_bytes(b"\xef\xbb\xbfread_only = true\n")
    assert config.load(path=marked, env={}).read_only is True


def test_a_link_to_a_real_file_is_read(tmp_path: Path) -> None:
    real = tmp_path / "dotfiles" / "config.toml"
    real.parent.mkdir()
    real.write_text("read_only = true\n")
    _config(lambda path: path.symlink_to(real))
    assert config.load(env={}).read_only is True


def test_two_tables_for_one_org_that_agree_are_kept(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text(
        '[orgs.a]\ninstance_url = "https://x.my.salesforce.com"\ntoken_env = "A"\nread_only = true\n'
        '[orgs.b]\ninstance_url = "https://X.my.salesforce.com/"\ntoken_env = "B"\nread_only = true\n'
    )
    assert set(config.load(path=path, env={}).orgs) == {"a", "b"}
    path.write_text(path.read_text().replace("read_only = true\n", "", 1))
    with pytest.raises(ConfigError, match=r"\[orgs.a\] and \[orgs.b\] are one org .* disagree on read_only"):
        config.load(path=path, env={})


# The dashboard's own check: [keymap] (an id Textual would not know, a key that would do two things).
KEYMAPS = [
    ('abort = "q"', "[keymap] abort = 'q': the key 'q' would both abort and quit (in the jobs table)"),
    ('close = "s"', "the key 's' would both close and sort (in the jobs table); choose another key, or remap sort"),
    ('quit = "ctrl+c"', "the key 'ctrl+c' would both quit and help_quit"),
    ('"confirm.yes" = "n"', "the key 'n' would both confirm.yes and confirm.no (in the confirmation)"),
    ("explode = 'x'", "[keymap] has no binding 'explode'; binding ids: abort"),
]


@pytest.mark.parametrize("command", [["watch", "-o", "prod"], ["demo"]], ids=lambda c: c[0])
@pytest.mark.parametrize(("keymap", "says"), KEYMAPS, ids=[k[0] for k in KEYMAPS])
def test_a_key_that_would_do_two_things_is_refused_before_the_screen(
    command: list[str], keymap: str, says: str
) -> None:
    _config(_text(f"[keymap]\n{keymap}\n"))
    result = run_cli(command)
    assert result.returncode == ExitCode.USAGE, result
    assert says in _one_line(result.stderr)


@pytest.mark.parametrize(
    ("command", "make", "says"),
    [
        (["watch", "-o", "prod"], _dangling, "cannot be read (it is a link to "),
        (["demo"], _text('[keymap]\nabort = "q"\n'), "would both abort and quit"),
    ],
    ids=["watch-dangling-link", "demo-abort-on-q"],
)
def test_the_dashboard_on_a_terminal_says_one_line_and_never_takes_the_screen(
    command: list[str], make: Callable[[Path], None], says: str
) -> None:
    """A real process on a real pseudo-terminal: exit 2 and the one line, and nothing drawn (no
    alternate screen) before it."""
    _config(make)
    proc, leader = terminal(command)
    try:
        seen = read_until(leader, b"\x00 never")  # everything it writes, until it exits
        assert proc.wait(timeout=30) == ExitCode.USAGE
    finally:
        if proc.poll() is None:
            proc.kill()
        os.close(leader)
    text = seen.decode(errors="replace")
    assert "\x1b[?1049h" not in text and "\x1b" not in text, text  # no screen, no colour: one plain line
    assert text.count("\n") == 1 and text.startswith("sfmonitor: config file ") and says in text, text


@pytest.mark.parametrize(
    "make",
    [
        lambda path: os.mkfifo(path),  # read as a file, a pipe would wait for ever
        _text("[" * 100_000 + "]" * 100_000),
        _bytes(b'{"theme": "caf\xe9"}'),
        _dangling,
        _text('{"theme": 7}'),
    ],
    ids=["a-pipe", "nested-past-the-parser", "not-utf8", "dangling-link", "not-a-name"],
)
def test_a_remembered_theme_that_cannot_be_read_is_forgotten(make: Callable[[Path], None]) -> None:
    state = paths.state_file()
    state.parent.mkdir(parents=True)
    make(state)
    assert config.remembered_theme() is None
    assert config.load(env={}).theme == config.DEFAULT_THEME
