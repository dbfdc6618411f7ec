"""When to poll next: the operator's interval, slower when nothing runs, backing off on failure."""

from __future__ import annotations

import random
from collections import deque
from dataclasses import dataclass, field
from statistics import median

from .spend import Budget, interval_within

FLOOR_S = 2.0  # protects the org's API budget (k9s caps refresh the same way)
IDLE_FACTOR = 6.0  # nothing running: poll this many times slower ...
IDLE_CAP_S = 30.0  # ... but at least twice a minute, to see new jobs
BACKOFF_CAP_S = 60.0  # an org back after an outage is seen within a minute
LIMIT_WAIT_S = 900.0  # the daily API limit is spent: look again every 15 minutes
SIGN_IN_WAIT_S = 300.0  # the org refused the token (or the sf CLI has none): a person must act; r retries


def clamp_interval(seconds: float) -> float:
    """The operator's interval, never under the floor: applied where settings are read, so that the
    schedule itself (and a test's) can run at any pace."""
    return max(FLOOR_S, seconds)


@dataclass
class Schedule:
    interval: float = 5.0
    cap: float = BACKOFF_CAP_S
    failures: int = 0
    rng: random.Random = field(default_factory=random.Random)
    budget: Budget | None = None
    allowance: int | None = None  # the org's daily API allowance, once Sforce-Limit-Info said it
    _cycle_calls: deque[int] = field(default_factory=lambda: deque(maxlen=12))

    @property
    def interval_in_force(self) -> float:
        """The operator's interval, stretched where the API budget needs it."""
        if self.budget is None or not self._cycle_calls:
            return self.interval
        return interval_within(self.interval, median(self._cycle_calls), self.budget.daily(self.allowance))

    @property
    def stretched(self) -> bool:
        return self.interval_in_force > self.interval

    def after_success(self, anything_running: bool, calls: int | None = None) -> float:
        """The delay to the next poll after one that made ``calls`` requests (None: a cycle not to
        judge the pace by, such as the first, which reads every job once)."""
        self.failures = 0
        if calls is not None:
            self._cycle_calls.append(calls)
        interval = self.interval_in_force
        if anything_running:
            return interval
        return max(interval, min(self.interval * IDLE_FACTOR, IDLE_CAP_S))

    def after_failure(self, limit_reached: bool = False, sign_in: bool = False) -> float:
        """Exponential backoff, capped, with jitter so many monitors do not retry in step."""
        self.failures += 1
        if limit_reached:
            return LIMIT_WAIT_S
        if sign_in:
            return SIGN_IN_WAIT_S
        base = min(self.cap, self.interval * 2 ** min(self.failures, 10))
        return float(base * (0.8 + 0.4 * self.rng.random()))
