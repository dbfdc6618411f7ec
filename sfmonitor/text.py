"""Server text is data: make it inert before it reaches a terminal.

Job names, state and error messages come from the org and may hold escape sequences (colour,
title changes, OSC 52 clipboard writes), other control characters or bidi overrides. They are
shown as visible escapes (``\\x1b``), never passed through.
"""

from __future__ import annotations

import re
import unicodedata

# C0 and C1 controls, DEL, and the bidirectional embedding/override/isolate characters.
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def inert(text: object) -> str:
    """``text`` with every control character shown as a visible escape."""
    return _UNSAFE.sub(_escape, "" if text is None else str(text))


def char_cells(char: str) -> int:
    """The terminal cells one character takes: 2 for East Asian wide and full-width (CJK, most emoji),
    0 for a combining mark or format character (it joins the one before), else 1."""
    if unicodedata.combining(char) or unicodedata.category(char) in ("Mn", "Me", "Cf"):
        return 0
    return 2 if unicodedata.east_asian_width(char) in ("W", "F") else 1


def cells(text: str) -> int:
    """The terminal cells ``text`` takes (:func:`char_cells` of each character)."""
    return len(text) if text.isascii() else sum(char_cells(c) for c in text)


def clip(text: str, width: int) -> str:
    """At most ``width`` terminal cells (a wide character counts two), an ellipsis marking a cut."""
    if cells(text) <= width:
        return text
    room, used, kept = max(0, width - 1), 0, []
    for char in text:
        used += char_cells(char)
        if used > room:
            break
        kept.append(char)
    return "".join(kept) + "…"


def pad(text: str, width: int, align: str = "<") -> str:
    """``text`` padded with spaces to ``width`` terminal cells (``<`` left, ``>`` right aligned), as
    ``f"{text:<width}"`` would pad it if every character took one cell."""
    fill = " " * max(0, width - cells(text))
    return fill + text if align == ">" else text + fill
