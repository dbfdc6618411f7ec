"""sfmonitor's own API spend, and the daily budget an operator may hold it to.

The org's daily allowance is shared with every integration; the header shows what this monitor
costs of it (calls in the last hour, and the polling's pace over the last hour projected over a day,
in the warning colour past 80 % of the budget), and ``--api-budget`` stretches the poll interval so
that pace stays under a number of calls a day, or a share of the allowance. What the calls went to,
by kind, is counted where they are sent (:mod:`..bulk.calls`).
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass

from ..bulk.errors import ConfigError
from ..numbers import duration, short_count, tiny_count

HOUR_S = 3600.0
DAY_S = 86_400.0
PACE_WINDOW_S = HOUR_S  # the pace per day is judged over the last hour (or since the first call) ...
PROJECT_AFTER_S = 900.0  # ... once there are 15 minutes of it
WARN_SHARE = 0.8  # the spend is told in the warning colour once its day passes 80 % of the reference
REFERENCE_PERCENT = 10.0  # with no API budget, the pace is judged against this share of the allowance


@dataclass(frozen=True)
class Budget:
    """Calls a day, given as a number or as a percentage of the org's daily allowance; or ``off``."""

    calls: int | None = None
    percent: float | None = None
    off: bool = False  # no budget: stands apart from "not set", so an org's table can turn a default off

    @classmethod
    def parse(cls, text: str | int | float) -> Budget:
        raw = str(text).strip().replace(",", "").replace("_", "")
        if raw.lower() == "off":
            return cls(off=True)
        try:
            if raw.endswith("%"):
                share = float(raw[:-1])
                if not (0 < share <= 100) or not math.isfinite(share):
                    raise ValueError
                return cls(percent=share)
            calls = int(raw)
            if calls <= 0:
                raise ValueError
            return cls(calls=calls)
        except ValueError:
            raise ConfigError(
                f"API budget must be calls per day (5000), a share of the daily allowance (5%) or off, got {text!r}"
            ) from None

    def daily(self, allowance: int | None) -> int | None:
        """Calls a day; None while a percentage waits for the org to say its allowance (or off)."""
        if self.off:
            return None
        if self.calls is not None:
            return self.calls
        if self.percent is None or not allowance:
            return None
        return max(1, int(allowance * self.percent / 100))

    def __str__(self) -> str:
        if self.off:
            return "off"
        return f"{self.percent:g}%" if self.percent is not None else f"{self.calls:,}/day"


class Spend:
    """Calls made, by time (seconds on any monotonic-enough clock), kept for one hour.

    ``paced``: calls that tell the pace to come. The start-up read (every job once, before the
    first poll's pace) is counted in the hour but not projected over a day."""

    def __init__(self) -> None:
        self._calls: deque[tuple[float, int, bool]] = deque()
        self._started: float | None = None
        self.total = 0

    def record(self, at: float, calls: int, paced: bool = True) -> None:
        if self._started is None:
            self._started = at
        if calls:
            self._calls.append((at, calls, paced))
            self.total += calls
        while self._calls and at - self._calls[0][0] > HOUR_S:
            self._calls.popleft()

    def last_hour(self, now: float) -> int:
        return sum(n for at, n, _ in self._calls if now - at < HOUR_S)

    def per_day(self, now: float) -> float | None:
        """The calls of the last hour (or since the first, when shorter) at that pace for a day;
        None before PROJECT_AFTER_S of calls: one burst (a failures read, ``r``) in a short
        window would project a false alarm."""
        if self._started is None or now - self._started < PROJECT_AFTER_S:
            return None
        window = min(PACE_WINDOW_S, now - self._started)
        recent = sum(n for at, n, paced in self._calls if paced and now - at < window)
        return recent * DAY_S / window


def reference_daily(budget: Budget | None, allowance: int | None) -> int | None:
    """The calls a day sfmonitor's pace is judged against: the API budget in force, else (none set,
    or a share of an allowance not known yet) REFERENCE_PERCENT of the org's allowance."""
    daily = budget.daily(allowance) if budget is not None else None
    if daily is None and allowance:
        daily = Budget(percent=REFERENCE_PERCENT).daily(allowance)
    return daily


def pace_warns(pace: float | None, budget: Budget | None, allowance: int | None, stretched: bool) -> bool:
    """Whether the header says sfmonitor's spend in the warning colour: the day's projection passes
    WARN_SHARE of the reference, or the schedule is stretching the interval to keep within it."""
    if stretched:
        return True
    daily = reference_daily(budget, allowance)
    return pace is not None and daily is not None and pace > WARN_SHARE * daily


def _wait(seconds: float) -> str:
    """A poll's wait: whole seconds under two minutes (``60s``), else the one duration (``7h31m``)."""
    return f"{seconds:.0f}s" if seconds < 120 else duration(round(seconds * 1000))


@dataclass(frozen=True)
class Polling:
    """How the org is polled when that is not the operator's plain interval: idle (looked at now
    and then), or stretched by the API budget's bucket being in debt. The one home of both rules'
    words: the header's trouble line (blank otherwise) and an org's chip (``mark``)."""

    mark: str  # "idle", "stretched", "" at the plain interval
    words: str  # "idle: looking every 60s (a key brings 5s back)", "" at the plain interval


def polling(
    *, interval: float, interval_in_force: float | None, budget: Budget | None, looking_every: float | None
) -> Polling:
    """``interval_in_force``: the wait to the next poll, the operator's ``interval`` stretched while
    the budget's bucket is in debt; ``looking_every``: the idle delay in force (None: not idle)."""
    if looking_every is not None:
        return Polling("idle", f"idle: looking every {_wait(looking_every)} (a key brings {interval:g}s back)")
    if budget is not None and interval_in_force is not None and interval_in_force > interval:
        wait = _wait(interval_in_force)
        return Polling("stretched", f"polls stretched: next in {wait} to stay within budget {budget}")
    return Polling("", "")


@dataclass(frozen=True)
class SpendWords:
    words: str  # "mine 120/h ~2.9k/day (2.9%)", "" before any call
    warn: bool


def spend_words(
    spend: Spend,
    now: float,
    *,
    allowance: int | None,
    budget: Budget | None,
    interval: float,
    interval_in_force: float | None,
) -> SpendWords:
    """sfmonitor's own calls in the last hour and, once PROJECT_AFTER_S of them are in, that pace
    for a day (and its share of the org's allowance); past the API budget in force, the budget's
    calls a day, held (its bucket lets no day spend more). How the org is polled is not said here
    (:func:`polling`). ``now``: the clock of :meth:`Spend.record`."""
    if spend.total == 0:
        return SpendWords("", False)
    words = f"mine {short_count(spend.last_hour(now))}/h"
    pace = spend.per_day(now)
    daily = budget.daily(allowance) if budget is not None else None
    if pace is not None and daily is not None and pace > daily:
        words += f" ~{tiny_count(daily)}/day (held to budget {budget})"
    elif pace is not None:
        words += f" ~{tiny_count(round(pace))}/day"
        if allowance:
            words += f" ({pace / allowance:.1%})"
    stretched = polling(interval=interval, interval_in_force=interval_in_force, budget=budget,
                        looking_every=None).mark == "stretched"  # fmt: skip
    return SpendWords(words, pace_warns(pace, budget, allowance, stretched))
