"""Desktop notifications that travel in the terminal stream (so they work over SSH): OSC 9 (iTerm2,
WezTerm, Ghostty, Windows Terminal), OSC 777 (VTE terminals, foot, rxvt), OSC 99 (kitty). Under
tmux the sequence is wrapped in tmux's DCS passthrough (tmux needs ``set -g allow-passthrough on``).

Text is inert (``text.inert``: control and bidi characters shown as visible escapes) and, where the
sequence uses ``;`` to separate fields, ``;`` is replaced, so nothing the org sent can end the
sequence or start another.
"""

from __future__ import annotations

from collections.abc import Mapping

from .. import text as server_text

ESC, ST = "\x1b", "\x1b\\"
LONGEST = 240  # characters of a title or body: a notification, not a report


def inert(text: str, separators: bool = False) -> str:
    clean = server_text.clip(server_text.inert(text), LONGEST)
    return clean.replace(";", ",") if separators else clean


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
