"""When to poll next: the operator's interval, within the API budget's bucket; looking now and
then when the org is idle; backing off on failure.

Idle: nothing running (:mod:`phase`), every finished job read or held back by the budget
(:meth:`Schedule.backfill`), and no key, ``r`` or new job for IDLE_AFTER_S.
Each idle poll lists the org (a look) every IDLE_LOOK_S, and the looks wait longer when the calls
spent while idle (listings, /limits, job reads) would come to more than IDLE_CALLS_PER_MIN a
minute. A key, ``r`` or a job appearing brings the operator's interval back at once.
"""

from __future__ import annotations

import random
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from statistics import fmean

from .bucket import Bucket
from .spend import Budget

FLOOR_S = 2.0  # protects the org's API budget (k9s caps refresh the same way)
IDLE_AFTER_S = 60.0  # nothing running, no key, no new job for this long: idle
IDLE_LOOK_S = 60.0  # idle: the org is listed this often ...
IDLE_CALLS_PER_MIN = 2.0  # ... and every call while idle is paid for at this pace
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
    clock: Callable[[], float] = time.monotonic
    bucket: Bucket | None = None  # the budget's, once its calls a day are known
    active_at: float | None = None  # the last key, r, new job, running work or unread backlog
    idle: bool = False  # polls are looks at the idle pace
    looking_every: float | None = None  # the idle delay in force, for the header
    _paid_until: float = 0.0  # idle: when the calls spent since going idle are paid for
    _cycle_calls: deque[int] = field(default_factory=lambda: deque(maxlen=12))

    def _bucket(self) -> Bucket | None:
        daily = self.budget.daily(self.allowance) if self.budget is not None else None
        if daily is None:
            return None
        if self.bucket is None:
            self.bucket = Bucket(daily)
        else:
            self.bucket.resize(daily)
        return self.bucket

    @property
    def interval_in_force(self) -> float:
        """The operator's interval, stretched where the API budget's bucket runs low."""
        return self._interval_at(self.clock())

    def _interval_at(self, now: float) -> float:
        bucket = self._bucket()
        if bucket is None or not self._cycle_calls:
            return self.interval
        return bucket.interval(self.interval, fmean(self._cycle_calls), now)  # the mean: cycles that list cost more

    @property
    def stretched(self) -> bool:
        return self.interval_in_force > self.interval

    @property
    def pressure(self) -> float:
        """0 while the budget's bucket is not low (or there is no budget), up to 1 empty:
        for per-read decisions (bucket.reads_every)."""
        bucket = self._bucket()
        return bucket.pressure(self.clock()) if bucket is not None else 0.0

    def backfill(self) -> int | None:
        """Finished jobs not read yet (history) that this cycle may read: None, no limit (no budget
        known); none while idle (a look is for new jobs, and its calls are paced) or while the bucket
        is under pressure; else only the bucket's spare (Bucket.spare), never taking it below half."""
        bucket = self._bucket()
        if bucket is None:
            return None
        return 0 if self.idle else bucket.spare(self.clock())

    def spent(self, calls: int, now: float | None = None) -> None:
        """Every call made for the org (polls, /limits, close/abort), as it is counted."""
        now = self.clock() if now is None else now
        bucket = self._bucket()
        if bucket is not None:
            bucket.spend(calls, now)
        if self.idle and calls:
            self._paid_until = max(self._paid_until, now) + calls * 60.0 / IDLE_CALLS_PER_MIN

    def stir(self, now: float | None = None) -> bool:
        """A key, r, or a job appearing: the operator's interval again. Returns whether the org was
        idle (its next look may be a minute away: poll now)."""
        was = self.idle
        self.active_at = self.clock() if now is None else now
        self.idle = False
        self.looking_every = None
        return was

    def after_success(
        self,
        anything_running: bool,
        calls: int | None = None,
        *,
        appeared: bool = False,
        settled: bool = True,
        now: float | None = None,
    ) -> float:
        """The delay to the next poll after one that made ``calls`` requests (None: a cycle not to
        judge the pace by, such as the first, which reads every job once). ``appeared``: a job new
        to this poll; ``settled``: every finished job listed has been read, or the budget holds the
        rest back (history the budget defers is not work to stay awake for)."""
        now = self.clock() if now is None else now
        self.failures = 0
        if calls is not None:
            self._cycle_calls.append(calls)
        if anything_running or appeared or not settled or self.active_at is None:
            self.active_at = now
        interval = self._interval_at(now)
        if now - self.active_at < IDLE_AFTER_S:
            self.idle = False
            self.looking_every = None
            return interval
        if not self.idle:
            self.idle = True
            self._paid_until = now
        self.looking_every = max(interval, IDLE_LOOK_S, self._paid_until - now)
        return self.looking_every

    def after_failure(self, limit_reached: bool = False, sign_in: bool = False) -> float:
        """Exponential backoff, capped, with jitter so many monitors do not retry in step."""
        self.failures += 1
        if limit_reached:
            return LIMIT_WAIT_S
        if sign_in:
            return SIGN_IN_WAIT_S
        base = min(self.cap, self.interval * 2 ** min(self.failures, 10))
        return float(base * (0.8 + 0.4 * self.rng.random()))
