"""Counts, durations and times for people: compact where room is short, never cut, never a crash.

The org's numbers are data: ``10^30`` records, ``10^400`` ms, a created date in year 1 or 9999
must print as something true (``1e30``), not raise ``OverflowError`` or lose digits to a clip.
"""

from __future__ import annotations

import math
import re
from datetime import UTC, datetime


def plural(n: int, word: str, words: str | None = None) -> str:
    """A count and its noun, agreed: ``1 row``, ``2 rows``, ``1,234 failed rows`` (``words``: a plural
    that is not ``word`` + s, ``batches``). The one home of a worded count."""
    return f"{n:,} {word if n == 1 else (words or word + 's')}"


def count(value: int | None) -> str:
    return "-" if value is None else f"{value:,}"


def scientific(value: int) -> str:
    """``1e30`` / ``-2e400``: exact in magnitude, from the digits (a float cannot hold 10^400)."""
    digits = str(abs(value))
    sign = "-" if value < 0 else ""
    return f"{sign}{digits[0]}e{len(digits) - 1}"


def compact(value: int | None, width: int) -> str:
    """A count that fits ``width``: 1,234,567, else 1.2M, else 1e18 (never a misleading cut)."""
    text = count(value)
    if value is None or len(text) <= width:
        return text
    for power, suffix in ((3, "k"), (6, "M"), (9, "G"), (12, "T")):
        scaled = round(value / 10**power, 1) if abs(value) < 10**300 else None
        if scaled is None or abs(scaled) >= 1000:
            continue
        short = f"{scaled:.1f}{suffix}"
        if len(short) <= width:
            return short
    return scientific(value)


def short_count(value: int | None) -> str:
    """A count in a few characters: 1,234, 123k, 1.4M, 1e18."""
    if value is None:
        return "-"
    if abs(value) >= 10**15:
        return scientific(value)
    if value >= 1_000_000:
        return f"{value / 1_000_000:.1f}M"
    if value >= 100_000:
        return f"{value / 1000:.0f}k"
    return f"{value:,}"


def tiny_count(value: int) -> str:
    """A count in at most 5 characters: 999, 1.2k, 45k, 1.2M, 3e12."""
    if value < 1000:
        return str(value)
    for power, suffix in ((3, "k"), (6, "M"), (9, "G")):
        scaled = value / 10**power
        if scaled < 999.5:
            return f"{scaled:.1f}{suffix}" if scaled < 9.95 else f"{scaled:.0f}{suffix}"
    return scientific(value)


LONGEST_DURATION_MS = 10**13  # about 317 years: beyond it, a duration is shown as a number of ms


def duration(ms: int | None) -> str:
    """Milliseconds as ``4.2s``, ``12m05s``, ``3h12m``; absurd values as ``1e400ms``."""
    if ms is None:
        return "-"
    if abs(ms) >= LONGEST_DURATION_MS:
        return f"{scientific(ms)}ms"
    seconds = ms / 1000
    if seconds < 60:
        return f"{seconds:.1f}s"
    minutes, sec = divmod(int(seconds), 60)
    if minutes < 60:
        return f"{minutes}m{sec:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m"


def rate(value: float | None) -> str:
    """Records a second, the one way every screen and alert writes it: ``950``, ``12,500``, ``40k``, ``2e06``."""
    if value is None:
        return "-"
    if value >= 1_000_000:
        return f"{value:.0e}".replace("e+", "e")
    if value >= 10_000:
        return f"{value / 1000:.0f}k"
    return f"{value:,.0f}"


def rough(seconds: float) -> str:
    """A duration to the figure that matters, for ranges and comparisons: ``45s``, ``12m``, ``3h12m``,
    ``2d04h`` (:func:`duration` is the exact one: ``12m05s``)."""
    if not math.isfinite(seconds) or seconds >= 1000 * 86_400:
        return ">999d"
    whole = max(0, round(seconds))
    if whole < 60:
        return f"{whole}s"
    minutes = round(whole / 60)
    if minutes < 60:
        return f"{minutes}m"
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return f"{hours}h{minutes:02d}m"
    days, hours = divmod(hours, 24)
    return f"{days}d{hours:02d}h"


def eta(seconds: float | None) -> str:
    """Seconds left, in the few characters of a table cell: ``45s``, ``12m``, ``4.2h``, ``9d``."""
    if seconds is None:
        return "-"
    if seconds < 60:
        return f"{seconds:.0f}s"
    if seconds < 3600:
        return f"{seconds / 60:.0f}m"
    if seconds < 100 * 3600:
        return f"{seconds / 3600:.1f}h"
    return f"{seconds / 86_400:.0f}d" if seconds < 1000 * 86_400 else ">999d"


def local(moment: datetime) -> datetime:
    """``moment`` on the local clock; at the ends of the calendar (0001-01-01 west of UTC, 9999-12-31
    east of it) the local time does not exist, so UTC stands in, else the org's own offset."""
    for zone in (None, UTC):
        try:
            return moment.astimezone(zone)
        except (OverflowError, ValueError, OSError):
            continue
    return moment


CLOCK_WIDTH = 12  # the widest clock(): ``Nov 19 14:29``


def clock(moment: datetime | None, now: datetime) -> str:
    """A moment in a table cell or a header, the one way: the time of day while it is the same day as
    ``now`` on the local clock (``14:29:27``), the day and the time on another day of the last ten
    months (``Nov 19 14:29``: yesterday is never a bare time), else the date (``2025-01-19``). ``now``
    is the caller's clock (a test's is fixed)."""
    if moment is None:
        return "-"
    shown, today = local(moment), local(now)
    if shown.date() == today.date():
        return f"{shown:%H:%M:%S}"
    if abs(seconds_between(now, moment)) <= 300 * 86_400:
        return f"{shown:%b %d %H:%M}"
    return shown.date().isoformat()  # not %Y: year 1 is 0001


def seconds_between(later: datetime, earlier: datetime) -> float:
    try:
        return (later - earlier).total_seconds()
    except OverflowError:
        return float("inf") if later > earlier else float("-inf")


def ago(seconds: float | None) -> str:
    """How long ago, the one way every screen and command writes it: ``12s ago``, ``5m ago``,
    ``3h12m ago``, ``2d04h ago``, ``12d ago``; ``never`` for no moment at all, and ``ahead of this clock``
    for a moment more than a minute in the future."""
    if seconds is None:
        return "never"
    if not math.isfinite(seconds):
        return "long ago" if seconds > 0 else "ahead of this clock"
    if seconds < -60:  # a minute of clock skew between the org and this machine is no news
        return "ahead of this clock"
    seconds = max(0.0, seconds)
    if seconds < 60:
        return f"{int(seconds)}s ago"
    if seconds < 3600:
        return f"{int(seconds // 60)}m ago"
    if seconds < 86_400:
        return f"{int(seconds // 3600)}h{int(seconds % 3600 // 60):02d}m ago"
    days = int(seconds // 86_400)
    if days < 10:
        return f"{days}d{int(seconds % 86_400 // 3600):02d}h ago"
    return f"{days:,}d ago"


UNITS = {"s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}
_DURATION = re.compile(r"(\d+(?:\.\d+)?)([smhd])")


def parse_duration(text: str) -> float:
    """``90s``, ``30m``, ``2h``, ``1h30m`` or plain seconds (``600``): a positive number of seconds."""
    spoken = text.strip().lower()
    try:
        value = float(spoken)
    except ValueError:
        parts = _DURATION.findall(spoken)
        if not parts or "".join(n + u for n, u in parts) != spoken:
            raise ValueError(f"{text!r} is not a duration (90s, 30m, 2h, 1h30m or seconds)") from None
        value = sum(float(n) * UNITS[u] for n, u in parts)
    if not math.isfinite(value) or value <= 0:
        raise ValueError(f"{text!r}: give a positive duration")
    return value


SIZE_UNITS = {"": 1, "b": 1, "kb": 10**3, "mb": 10**6, "gb": 10**9, "tb": 10**12,
              "kib": 2**10, "mib": 2**20, "gib": 2**30, "tib": 2**40}  # fmt: skip
_SIZE = re.compile(r"(\d+(?:\.\d+)?)\s*([a-z]*)")


def parse_size(value: object) -> int:
    """A size in bytes: a whole number of bytes, or text such as ``500MB``, ``1GiB``, ``1.5 GB``
    (KB, MB, GB, TB are powers of 1000; KiB, MiB, GiB, TiB of 1024; case does not matter)."""
    if isinstance(value, int) and not isinstance(value, bool):
        size = value
    elif isinstance(value, str):
        found = _SIZE.fullmatch(value.strip().lower())
        if found is None or found.group(2) not in SIZE_UNITS:
            raise ValueError(f"{value!r} is not a size (500MB, 1GiB, or a number of bytes)")
        size = int(float(found.group(1)) * SIZE_UNITS[found.group(2)])
    else:
        raise ValueError(f"{value!r} is not a size (500MB, 1GiB, or a number of bytes)")
    if size <= 0:
        raise ValueError(f"{value!r}: give a positive size")
    return size
