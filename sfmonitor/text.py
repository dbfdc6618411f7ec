"""Server text is data: make it inert before it reaches a terminal.

Job names, state and error messages come from the org and may hold escape sequences (colour,
title changes, OSC 52 clipboard writes), other control characters or bidi overrides. They are
shown as visible escapes (``\\x1b``), never passed through.
"""

from __future__ import annotations

import re

# C0 and C1 controls, DEL, and the bidirectional embedding/override/isolate characters.
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def inert(text: object) -> str:
    """``text`` with every control character shown as a visible escape."""
    return _UNSAFE.sub(_escape, "" if text is None else str(text))


def clip(text: str, width: int) -> str:
    """At most ``width`` characters, an ellipsis marking a cut."""
    return text if len(text) <= width else text[: max(0, width - 1)] + "…"
