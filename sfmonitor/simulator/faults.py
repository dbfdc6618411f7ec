"""``--faults SPEC``: failures the simulator injects, for testing a client's resilience.

SPEC is a comma-separated list of items; probabilities are between 0 and 1:

==========================  ====================================================================
``slow=SECONDS[@P]``         delay answers by SECONDS (with probability P, default 1)
``error=STATUS[@P]``         answer with a gateway error page (500, 502, 503, 504), HTML body
``drop=P``                   close the connection without answering
``garble=P``                 cut the body short: broken JSON or XML (sent gzipped if asked, intact gzip)
``badgzip=P``                a broken gzip stream (when the client asked for gzip)
``expire-after=N``           every access token expires after N authenticated requests
``limit-after=N``            after N API requests the org answers 403 REQUEST_LIMIT_EXCEEDED
``down=START-END``           refuse connections (server gone) from START to END seconds after start
``window=START-END``         apply the probabilistic faults above only in that span (seconds)
``on=METHOD[+METHOD]``       apply them only to these HTTP methods, as in on=PATCH+POST (writes)
==========================  ====================================================================

Faults never touch ``/services/oauth2/token`` or ``GET /services/data/`` (so a client can always
renew its token), except ``down``, which takes the whole server away. A test makes the token endpoint
fail on purpose with :meth:`Faults.fail_token_requests`.
"""

from __future__ import annotations

import random
import threading
from collections import deque
from dataclasses import dataclass


@dataclass
class FaultSpec:
    slow: float = 0.0
    slow_p: float = 1.0
    error: int = 0
    error_p: float = 1.0
    drop: float = 0.0
    garble: float = 0.0
    badgzip: float = 0.0
    expire_after: int = 0
    limit_after: int = 0
    down: tuple[float, float] | None = None
    window: tuple[float, float] | None = None
    methods: frozenset[str] | None = None


def _prob(text: str, item: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise ValueError(f"--faults {item}: {text!r} is not a probability between 0 and 1") from None
    if not 0.0 <= value <= 1.0:
        raise ValueError(f"--faults {item}: {value} is not a probability between 0 and 1")
    return value


def _span(text: str, item: str) -> tuple[float, float]:
    start, sep, end = text.partition("-")
    try:
        span = (float(start), float(end))
    except ValueError:
        span = (0.0, -1.0)
    if not sep or span[0] < 0 or span[1] < span[0]:
        raise ValueError(f"--faults {item}: expected START-END in seconds, such as 30-630")
    return span


def parse_faults(spec: str) -> FaultSpec:
    """Parse a SPEC; a ValueError names the item that is wrong."""
    faults = FaultSpec()
    for raw in (part.strip() for part in spec.split(",")):
        if not raw:
            continue
        name, sep, value = raw.partition("=")
        name = name.strip().lower()
        if not sep:
            raise ValueError(f"--faults: {raw!r} needs a value, as in {name}=...")
        head, _, prob = value.partition("@")
        try:
            if name == "slow":
                faults.slow = float(head.rstrip("s"))
                faults.slow_p = _prob(prob, raw) if prob else 1.0
            elif name == "error":
                faults.error = int(head)
                if faults.error not in (500, 502, 503, 504):
                    raise ValueError(f"--faults {raw}: error takes 500, 502, 503 or 504")
                faults.error_p = _prob(prob, raw) if prob else 1.0
            elif name == "drop":
                faults.drop = _prob(value, raw)
            elif name == "garble":
                faults.garble = _prob(value, raw)
            elif name == "badgzip":
                faults.badgzip = _prob(value, raw)
            elif name == "on":
                faults.methods = frozenset(m.strip().upper() for m in value.split("+") if m.strip())
            elif name == "expire-after":
                faults.expire_after = int(value)
            elif name == "limit-after":
                faults.limit_after = int(value)
            elif name == "down":
                faults.down = _span(value, raw)
            elif name == "window":
                faults.window = _span(value, raw)
            else:
                raise ValueError(
                    f"--faults: unknown fault {name!r}; known: slow, error, drop, garble, badgzip, expire-after, "
                    "limit-after, down, window, on"
                )
        except ValueError as exc:
            if str(exc).startswith("--faults"):
                raise
            raise ValueError(f"--faults {raw}: {value!r} is not a number") from None
    return faults


class Faults:
    """Decides, request by request, which fault (if any) strikes. Thread-safe; seeded."""

    def __init__(self, spec: FaultSpec, seed: int = 0) -> None:
        self.spec = spec
        self._rng = random.Random(seed)
        self._lock = threading.Lock()
        self.api_requests = 0
        self._held: bool | None = None
        self._token_failures: deque[str] = deque()

    def fail_token_requests(self, *how: str, after: int = 0) -> None:
        """The token requests (``/services/oauth2/token``) after the next ``after`` fail, one per item:
        ``"drop"`` closes the connection unanswered (a reset), a gateway status (``"503"``) answers with
        its HTML page. ``after``: a sign-in first, then its renewals fail."""
        for item in how:
            if item != "drop" and int(item) not in (500, 502, 503, 504):
                raise ValueError(f"a token request fails as 'drop' or 500, 502, 503 or 504, not {item!r}")
        with self._lock:
            self._token_failures.extend(("",) * after + how)  # "": answered

    def token_failure(self) -> str | None:
        """How this token request fails (see :meth:`fail_token_requests`), or None: it is answered."""
        with self._lock:
            return (self._token_failures.popleft() or None) if self._token_failures else None

    def hold(self, on: bool | None) -> None:
        """Switch the faults on (True) or off (False) now, whatever ``window``/``down`` say; None goes
        back to the spans. Tests use it to strike at the moment they choose, not at a second on a clock."""
        self._held = on

    def _roll(self, p: float) -> bool:
        if p <= 0:
            return False
        with self._lock:
            return self._rng.random() < p

    def active(self, elapsed: float, method: str = "") -> bool:
        window = self.spec.window
        if self.spec.methods is not None and method.upper() not in self.spec.methods:
            return False
        if self._held is not None:
            return self._held
        return window is None or window[0] <= elapsed < window[1]

    def down(self, elapsed: float) -> bool:
        span = self.spec.down
        if span is None:
            return False
        if self._held is not None:
            return self._held
        return span[0] <= elapsed < span[1]

    def delay(self, elapsed: float, method: str) -> float:
        spec = self.spec
        return spec.slow if spec.slow and self.active(elapsed, method) and self._roll(spec.slow_p) else 0.0

    def error(self, elapsed: float, method: str) -> int:
        spec = self.spec
        return spec.error if spec.error and self.active(elapsed, method) and self._roll(spec.error_p) else 0

    def drop(self, elapsed: float, method: str) -> bool:
        return self.active(elapsed, method) and self._roll(self.spec.drop)

    def garble(self, elapsed: float, method: str) -> bool:
        return self.active(elapsed, method) and self._roll(self.spec.garble)

    def badgzip(self, elapsed: float, method: str) -> bool:
        return self.active(elapsed, method) and self._roll(self.spec.badgzip)

    def over_limit(self) -> bool:
        with self._lock:
            self.api_requests += 1
            return bool(self.spec.limit_after) and self.api_requests > self.spec.limit_after
