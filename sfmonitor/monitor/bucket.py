"""sfmonitor's API budget as a token bucket: a load may be watched at full speed for hours; a day
left open may not spend more than the budget.

The bucket holds ``BURST_HOURS`` of the daily budget and starts full; it refills the rest of the
budget evenly over the day. Over any 24 hours the calls spent are then at most the capacity plus a
day's refill, which is the budget. Polls keep the operator's interval while the bucket is at least
``LOW`` full; below that the interval stretches, the more the emptier, up to the pace the refill
pays for when it is empty, and a cycle never starts before the bucket holds its calls.

Textual-free; times are the caller's monotonic seconds.
"""

from __future__ import annotations

from dataclasses import dataclass

from .spend import DAY_S

BURST_HOURS = 16.0  # the bucket holds this many hours of the daily budget: a watch of ~50 calls a minute
# (the demo's, seven jobs running) spends 10 % of a 100,000-call allowance's bucket in ~1h45m
LOW = 0.25  # below this share of the bucket, polls stretch
SPARE = 0.5  # history (finished jobs not read yet) is read only from the bucket above this share
QUIET_EVERY_MAX = 6  # an empty bucket: quiet jobs and listings are read this many times less often


@dataclass
class Bucket:
    daily: int  # the budget: calls a day
    level: float | None = None  # calls in the bucket (None: full; below zero: owed)
    at: float | None = None  # when ``level`` was last brought up to date

    @property
    def capacity(self) -> float:
        return self.daily * BURST_HOURS / 24

    @property
    def rate(self) -> float:
        """Calls a second the bucket refills: the budget less the burst, over the day."""
        return (self.daily - self.capacity) / DAY_S

    def resize(self, daily: int) -> None:
        """The budget changed (the org's allowance did): what the bucket holds stays, within it."""
        if daily != self.daily:
            self.daily = daily
            if self.level is not None:
                self.level = min(self.level, self.capacity)

    def _now(self, now: float) -> float:
        level = self.capacity if self.level is None else self.level
        if self.at is not None and now > self.at:
            level = min(self.capacity, level + (now - self.at) * self.rate)
        self.level = level
        self.at = now if self.at is None else max(self.at, now)
        return level

    def spend(self, calls: int, now: float) -> None:
        self.level = self._now(now) - calls

    def fullness(self, now: float) -> float:
        """0 (empty, or owing) to 1 (full)."""
        return max(0.0, self._now(now)) / self.capacity

    def spare(self, now: float) -> int:
        """Calls above SPARE of the bucket: what history reads may spend (running jobs, listings and
        the watched job keep the rest); none while the bucket is under pressure."""
        if self.pressure(now) > 0:
            return 0
        return max(0, int(self._now(now) - self.capacity * SPARE))

    def pressure(self, now: float) -> float:
        """0 while the bucket is at least LOW full, rising to 1 as it empties."""
        return max(0.0, 1.0 - self.fullness(now) / LOW)

    def interval(self, interval: float, cost: float, now: float) -> float:
        """The delay before a poll of ``cost`` calls: the operator's ``interval`` while the bucket
        is full enough; stretched towards the pace the refill pays for as it empties; and never
        before the bucket holds the calls."""
        if cost <= 0:
            return interval
        level = self._now(now)
        sustained = cost / self.rate
        stretched = interval + max(0.0, sustained - interval) * self.pressure(now)
        owed = max(0.0, (cost - level) / self.rate)
        return max(interval, stretched, owed)


def reads_every(pressure: float, *, urgent: bool) -> int:
    """The priority hook for per-read decisions: cycles between reads of one thing under the
    bucket's ``pressure``. ``urgent`` (a running job, the job the operator has open): every cycle;
    a finished or quiet job, or a listing kept for finding new jobs: up to QUIET_EVERY_MAX times
    less often as the bucket empties."""
    if urgent or pressure <= 0:
        return 1
    return 1 + round(min(1.0, pressure) * (QUIET_EVERY_MAX - 1))
