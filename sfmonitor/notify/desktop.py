"""Desktop notifications that travel in the terminal stream (so they work over SSH): OSC 9 (iTerm2,
WezTerm, Ghostty, Windows Terminal), OSC 777 (VTE terminals, foot, rxvt), OSC 99 (kitty). Under
tmux the sequence is wrapped in tmux's DCS passthrough (tmux needs ``set -g allow-passthrough on``).

Under tmux, ``auto`` asks tmux which terminal its client runs in (``#{client_termtype}``, what the
terminal answered of itself, then ``#{client_termname}``, its TERM) and whether passthrough is
allowed (``allow-passthrough``: the pane's own setting, else its window's, else the global one):
:func:`decide` says what is sent and, in words, how or why nothing is.

Text is inert (``text.inert``: control and bidi characters shown as visible escapes) and, where the
sequence uses ``;`` to separate fields, ``;`` is replaced, so nothing the org sent can end the
sequence or start another.
"""

from __future__ import annotations

import subprocess
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from .. import text as server_text

ESC, ST = "\x1b", "\x1b\\"
LONGEST = 240  # characters of a title or body: a notification, not a report


def inert(text: str, separators: bool = False) -> str:
    clean = server_text.clip(server_text.inert(text), LONGEST)
    return clean.replace(";", ",") if separators else clean


def by_name(name: str) -> str:
    """The kind a terminal shows, from its name (a TERM like ``xterm-kitty``, or what it answered of
    itself, like ``kitty(0.35.2)`` or ``iTerm2 3.5.0``); "off" when the name is not one we know."""
    name = name.lower()
    if "kitty" in name:
        return "osc99"
    if any(known in name for known in ("iterm", "wezterm", "ghostty")):
        return "osc9"
    if name.startswith(("foot", "rxvt", "vte")):
        return "osc777"
    return "off"


def detect(env: Mapping[str, str]) -> str:
    """The kind the terminal is known to show, from what it says of itself; "off" when it says nothing
    we know (a sequence it does not know may be shown as garbage)."""
    program = (env.get("LC_TERMINAL") or env.get("TERM_PROGRAM") or "").lower()
    term = env.get("TERM", "").lower()
    if env.get("KITTY_WINDOW_ID") or "kitty" in term:
        return "osc99"
    if program in ("iterm2", "iterm.app", "wezterm", "ghostty") or env.get("WT_SESSION"):
        return "osc9"
    if env.get("VTE_VERSION") or term.startswith(("foot", "rxvt")):
        return "osc777"
    return "off"


def sequence(kind: str, title: str, body: str) -> str:
    """The escape sequence of one notification ("" for "off")."""
    if kind == "osc9":
        text = inert(f"{title}: {body}")
        return f"{ESC}]9;{'_' + text if text[:2] == '4;' else text}{ST}"  # 9;4 is a progress report
    if kind == "osc777":
        return f"{ESC}]777;notify;{inert(title, separators=True)};{inert(body, separators=True)}{ST}"
    if kind == "osc99":
        return (f"{ESC}]99;i=sfmonitor:d=0;{inert(title)}{ST}"
                f"{ESC}]99;i=sfmonitor:d=1:p=body;{inert(body)}{ST}")  # fmt: skip
    return ""


def for_tmux(data: str) -> str:
    """Wrapped in tmux's passthrough: ``ESC P tmux; …`` with every ESC doubled, ended by ST."""
    return f"{ESC}Ptmux;{data.replace(ESC, ESC + ESC)}{ST}" if data else ""


def notification(kind: str, title: str, body: str, env: Mapping[str, str]) -> str:
    """What to write to the terminal: the sequence of ``kind`` ("auto": detected), wrapped when
    ``$TMUX`` is set."""
    chosen = detect(env) if kind == "auto" else kind
    data = sequence(chosen, title, body)
    return for_tmux(data) if env.get("TMUX") else data


Runner = Callable[[list[str]], "str | None"]  # a tmux command's output; None when tmux did not answer
HOW = 'set [alerts] desktop = "osc9", "osc777" or "osc99" to the kind your terminal shows'


def run_tmux(args: list[str]) -> str | None:
    """``tmux ARGS``'s output (the server ``$TMUX`` names); None when tmux is not there or refuses."""
    try:
        done = subprocess.run(["tmux", *args], capture_output=True, text=True, timeout=2, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout.strip() if done.returncode == 0 else None


def passthrough_off(env: Mapping[str, str], run: Runner) -> tuple[str, str] | None:
    """Where tmux's ``allow-passthrough`` is off for this pane, as (where, the command that turns it on),
    or None when it is not off. Asked as tmux applies it: the pane's own setting, else its window's,
    else the global one (an empty answer: not set at that level; None: tmux did not answer, as one
    before 3.3, which always passes)."""
    pane = env.get("TMUX_PANE", "")
    shown = server_text.inert(pane)
    levels = [("p", " for this pane", f"tmux set -p -t {shown} allow-passthrough on"),
              ("w", " for this window", f"tmux set -w -t {shown} allow-passthrough on")] if pane else []  # fmt: skip
    for flag, where, how in [*levels, ("g", "", "tmux set -g allow-passthrough on")]:
        answer = run(["show", f"-{flag}v", *(["-t", pane] if flag != "g" else []), "allow-passthrough"])
        if answer:
            return (where, how) if answer == "off" else None
    return None


@dataclass(frozen=True)
class Delivery:
    """How this session's desktop notifications reach the desktop, if they do."""

    kind: str  # what is written: osc9 | osc777 | osc99 | off
    tmux: bool  # wrapped in tmux's passthrough
    why: str  # in words: how they are delivered, or why nothing is

    def notification(self, title: str, body: str) -> str:
        data = sequence(self.kind, title, body)
        return for_tmux(data) if self.tmux else data


def decide(kind: str, env: Mapping[str, str], run: Runner = run_tmux) -> Delivery:
    """What ``[alerts] desktop`` (``kind``) sends here: outside tmux, what the terminal says of itself
    (``auto``) or the kind named; inside, nothing when tmux answers that passthrough is off, else
    (``auto``) the kind of the terminal tmux's client runs in."""
    if kind == "off":
        return Delivery("off", False, 'desktop notifications are off ([alerts] desktop = "off")')
    if not env.get("TMUX"):
        chosen = detect(env) if kind == "auto" else kind
        if chosen != "off":
            return Delivery(chosen, False, f"{chosen} to the terminal")
        term = env.get("TERM_PROGRAM") or env.get("TERM") or "unknown"
        return Delivery("off", False, f"the terminal ({term}) is not one known to show them: {HOW}")
    level = passthrough_off(env, run)
    if level is not None:
        return Delivery("off", True, f"tmux's allow-passthrough is off{level[0]}; turn it on: {level[1]}")
    if kind != "auto":
        return Delivery(kind, True, f"{kind} through tmux's passthrough")
    pane = ["-t", env["TMUX_PANE"]] if env.get("TMUX_PANE") else []
    names = [run(["display", "-p", *pane, f"#{{{what}}}"]) or "" for what in ("client_termtype", "client_termname")]
    for name in names:
        if by_name(name) != "off":
            return Delivery(by_name(name), True, f"{by_name(name)} through tmux's passthrough to {name}")
    if detect(env) != "off":  # the terminal tmux was started from said what it is
        return Delivery(detect(env), True, f"{detect(env)} through tmux's passthrough")
    client = " / ".join(name for name in names if name) or "not known"
    return Delivery("off", True, f"tmux's client terminal ({client}) is not one known to show them: {HOW}")
