"""Desktop notifications in the terminal stream: each kind's sequence, tmux's passthrough, and text
that cannot end or start a sequence."""

from __future__ import annotations

from sfmonitor.notify.desktop import detect, notification, sequence

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
