"""sfmonitor's own API spend, and the daily budget an operator may hold it to.

The org's daily allowance is shared with every integration; the header shows what this monitor
costs of it (calls in the last hour, and at this pace per day), and ``--api-budget`` stretches the
poll interval so that pace stays under a number of calls a day, or a share of the allowance.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass

from ..bulk.errors import ConfigError

HOUR_S = 3600.0
DAY_S = 86_400.0
PACE_WINDOW_S = 600.0  # the pace per day is judged over the last ten minutes (or since start)


@dataclass(frozen=True)
class Budget:
    """Calls a day, given as a number or as a percentage of the org's daily allowance."""

    calls: int | None = None
    percent: float | None = None

    @classmethod
    def parse(cls, text: str | int | float) -> Budget:
        raw = str(text).strip().replace(",", "").replace("_", "")
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
                f"API budget must be calls per day (5000) or a share of the daily allowance (5%), got {text!r}"
            ) from None

    def daily(self, allowance: int | None) -> int | None:
        """Calls a day; None while a percentage waits for the org to say its allowance."""
        if self.calls is not None:
            return self.calls
        if self.percent is None or not allowance:
            return None
        return max(1, int(allowance * self.percent / 100))

    def __str__(self) -> str:
        return f"{self.percent:g}%" if self.percent is not None else f"{self.calls:,}/day"


class Spend:
    """Calls made, by time (seconds on any monotonic-enough clock), kept for one hour."""

    def __init__(self) -> None:
        self._calls: deque[tuple[float, int]] = deque()
        self._started: float | None = None
        self.total = 0

    def record(self, at: float, calls: int) -> None:
        if self._started is None:
            self._started = at
        if calls:
            self._calls.append((at, calls))
            self.total += calls
        while self._calls and at - self._calls[0][0] > HOUR_S:
            self._calls.popleft()

    def last_hour(self, now: float) -> int:
        return sum(n for at, n in self._calls if now - at < HOUR_S)

    def per_day(self, now: float) -> float | None:
        """At the pace of the last ten minutes; None before a minute of polling."""
        if self._started is None or now - self._started < 60:
            return None
        window = min(PACE_WINDOW_S, now - self._started)
        recent = sum(n for at, n in self._calls if now - at < window)
        return recent * DAY_S / window


def interval_within(interval: float, calls_per_cycle: float, daily: int | None) -> float:
    """The poll interval that keeps ``calls_per_cycle`` under ``daily`` calls a day (never shorter
    than the operator's own)."""
    if daily is None or calls_per_cycle <= 0:
        return interval
    return max(interval, calls_per_cycle * DAY_S / daily)
