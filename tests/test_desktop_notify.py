"""Desktop notifications in the terminal stream: each kind's sequence, tmux's passthrough, and text
that cannot end or start a sequence; under tmux, what tmux says of its client terminal and of
passthrough decides what is sent (or why nothing is)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from sfmonitor.notify.desktop import Delivery, Runner, decide, detect, notification, sequence

HOSTILE = "Job \x1b]0;pwned\x07done; \x9b31m [red]x[/red]"


def test_each_kind_and_the_text_is_inert() -> None:
    osc9 = sequence("osc9", "PROD: Account insert JobComplete", HOSTILE)
    assert osc9.startswith("\x1b]9;PROD: Account insert JobComplete: Job ") and osc9.endswith("\x1b\\")
    for kind in ("osc9", "osc777", "osc99"):
        text = sequence(kind, "t;i\x07tle", HOSTILE)
        inner = text.replace("\x1b\\", "")
        assert "\x07" not in text and "\x9b" not in text and inner.count("\x1b") == text.count("\x1b]")
    assert sequence("osc777", "a;b", "c;d") == "\x1b]777;notify;a,b;c,d\x1b\\"  # fields cannot be split
    assert sequence("osc99", "T", "B") == "\x1b]99;i=sfmonitor:d=0;T\x1b\\\x1b]99;i=sfmonitor:d=1:p=body;B\x1b\\"
    assert sequence("osc9", "4;", "x").startswith("\x1b]9;_4;")  # not read as OSC 9;4 progress
    assert sequence("off", "t", "b") == ""


def test_tmux_wraps_it_in_its_passthrough_with_every_escape_doubled() -> None:
    wrapped = notification("osc9", "T", "B", {"TMUX": "/tmp/tmux-0/default,1,0"})
    assert wrapped == "\x1bPtmux;\x1b\x1b]9;T: B\x1b\x1b\\\x1b\\"
    assert notification("osc9", "T", "B", {}) == "\x1b]9;T: B\x1b\\"


def test_auto_follows_what_the_terminal_says_of_itself() -> None:
    assert detect({"TERM_PROGRAM": "iTerm.app"}) == "osc9"
    assert detect({"LC_TERMINAL": "iTerm2", "TERM_PROGRAM": "tmux"}) == "osc9"  # iTerm2 over SSH, in tmux
    assert detect({"TERM": "xterm-kitty"}) == "osc99"
    assert detect({"VTE_VERSION": "7600", "TERM": "xterm-256color"}) == "osc777"
    assert detect({"TERM": "xterm-256color"}) == "off"  # unknown: send nothing it might print
    assert notification("auto", "T", "B", {"TERM": "xterm"}) == ""


def tmux_answers(**answers: str | None) -> tuple[Runner, list[list[str]]]:
    """A tmux that answers ``allow_passthrough`` (the global one; ``pane_…`` and ``window_…``: that
    level's own, "" when not set there), ``client_termtype`` and ``client_termname`` (None: tmux did
    not answer), and the commands it was asked."""
    asked: list[list[str]] = []

    def run(args: list[str]) -> str | None:
        asked.append(args)
        name = args[-1].strip("#{}").replace("-", "_")
        if args[0] == "show" and args[1] != "-gv":  # the pane's or window's own: not set unless given
            return answers.get({"-pv": "pane_", "-wv": "window_"}[args[1]] + name, "")
        return answers.get(name)

    return run, asked


TMUX = {"TMUX": "/tmp/tmux-1000/default,4242,0", "TMUX_PANE": "%3", "TERM": "tmux-256color", "TERM_PROGRAM": "tmux"}


def test_auto_under_tmux_asks_tmux_which_terminal_its_client_runs_in() -> None:
    run, asked = tmux_answers(allow_passthrough="on", client_termtype="", client_termname="xterm-kitty")
    chosen = decide("auto", TMUX, run)
    assert (chosen.kind, chosen.tmux) == ("osc99", True) and "xterm-kitty" in chosen.why
    assert chosen.notification("T", "B").startswith("\x1bPtmux;\x1b\x1b]99;")
    assert ["display", "-p", "-t", "%3", "#{client_termname}"] in asked
    run, _ = tmux_answers(allow_passthrough="all", client_termtype="iTerm2 3.5.4", client_termname="xterm-256color")
    assert decide("auto", TMUX, run).kind == "osc9"  # what the terminal answered of itself comes first
    run, _ = tmux_answers(allow_passthrough=None, client_termname="foot")  # tmux before 3.3: no such option
    assert decide("auto", TMUX, run).kind == "osc777"


def test_nothing_is_sent_where_tmux_says_it_cannot_pass_and_the_words_say_why() -> None:
    run, _ = tmux_answers(allow_passthrough="off", client_termname="xterm-kitty")
    for kind in ("auto", "osc9"):
        chosen = decide(kind, TMUX, run)
        assert chosen.kind == "off" and chosen.notification("T", "B") == ""
        assert "tmux set -g allow-passthrough on" in chosen.why
    run, _ = tmux_answers(allow_passthrough="on", client_termtype="", client_termname="xterm-256color")
    unknown = decide("auto", TMUX, run)
    assert unknown.kind == "off" and "xterm-256color" in unknown.why and 'desktop = "osc9"' in unknown.why
    assert decide("osc9", TMUX, run).kind == "osc9"  # named: sent as named, wrapped
    assert decide("off", TMUX, run).why.startswith("desktop notifications are off")


@pytest.mark.parametrize(
    ("answers", "off", "how"),
    [
        ({"allow_passthrough": "off", "pane_allow_passthrough": "on"}, False, ""),
        ({"allow_passthrough": "off", "window_allow_passthrough": "on"}, False, ""),
        (
            {"allow_passthrough": "on", "window_allow_passthrough": "off"},
            True,
            "tmux set -w -t %3 allow-passthrough on",
        ),
        ({"allow_passthrough": "on", "window_allow_passthrough": "off", "pane_allow_passthrough": "on"}, False, ""),
        ({"allow_passthrough": "on", "pane_allow_passthrough": "off"}, True, "tmux set -p -t %3 allow-passthrough on"),
        ({"allow_passthrough": "off"}, True, "tmux set -g allow-passthrough on"),
    ],
    ids=["pane-on", "window-on", "window-off", "pane-over-window", "pane-off", "global-off"],
)
def test_passthrough_is_asked_of_the_pane_then_its_window_then_globally(
    answers: dict[str, str], off: bool, how: str
) -> None:
    """tmux applies the pane's own allow-passthrough, else its window's, else the global one."""
    run, asked = tmux_answers(client_termname="xterm-kitty", **answers)
    chosen = decide("auto", TMUX, run)
    assert (chosen.kind == "off") is off and how in chosen.why
    assert asked[0] == ["show", "-pv", "-t", "%3", "allow-passthrough"]


def test_a_tmux_that_does_not_answer_keeps_what_the_terminal_said() -> None:
    run, _ = tmux_answers()  # every command fails: a stale $TMUX, no tmux binary
    assert decide("osc9", TMUX, run).notification("T", "B") == "\x1bPtmux;\x1b\x1b]9;T: B\x1b\x1b\\\x1b\\"
    assert decide("auto", {**TMUX, "LC_TERMINAL": "iTerm2"}, run).kind == "osc9"
    assert decide("auto", {"TERM": "xterm-kitty"}, run) == Delivery("osc99", False, "osc99 to the terminal")
    assert "xterm" in decide("auto", {"TERM": "xterm"}, run).why


@pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")
def test_a_real_tmux_server_is_asked_whether_passthrough_is_allowed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A tmux server of its own (its own socket): allow-passthrough off, then on; no client is
    attached, so the client's terminal is not known and nothing is sent, saying so."""
    socket = str(tmp_path / "tmux.sock")
    subprocess.run(["tmux", "-S", socket, "-f", "/dev/null", "new-session", "-d", "sleep 60"], check=True, timeout=10)
    try:
        env = {"TMUX": f"{socket},1,0"}
        monkeypatch.setenv("TMUX", env["TMUX"])  # run_tmux's tmux finds the server as a pane's would
        subprocess.run(["tmux", "-S", socket, "set", "-g", "allow-passthrough", "off"], check=True, timeout=10)
        assert "allow-passthrough is off" in decide("auto", env).why
        subprocess.run(["tmux", "-S", socket, "set", "-g", "allow-passthrough", "on"], check=True, timeout=10)
        chosen = decide("auto", env)
        assert chosen.kind == "off" and "client terminal (not known)" in chosen.why
        assert decide("osc777", env) == Delivery("osc777", True, "osc777 through tmux's passthrough")
        pane = subprocess.run(["tmux", "-S", socket, "display", "-p", "#{pane_id}"], check=True, timeout=10,
                              capture_output=True, text=True).stdout.strip()  # fmt: skip
        subprocess.run(["tmux", "-S", socket, "set", "-g", "allow-passthrough", "off"], check=True, timeout=10)
        subprocess.run(
            ["tmux", "-S", socket, "set", "-p", "-t", pane, "allow-passthrough", "on"], check=True, timeout=10
        )
        assert decide("osc777", {**env, "TMUX_PANE": pane}).kind == "osc777"  # the pane's own setting wins
        assert decide("osc777", env).kind == "off"  # (no pane known: the global one)
    finally:
        subprocess.run(["tmux", "-S", socket, "kill-server"], check=False, timeout=10)
