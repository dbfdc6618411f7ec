"""What sfmonitor's API calls went to, by kind, over the last hour; and the ``Sforce-Call-Options``
every one of them carries, so an admin finds them in the org's API Total Usage event log.

The kind is told from the request's method and path, here only: the transport counts each request it
sends (a retry and a renewal's second try are calls too), so no caller can forget to.
"""

from __future__ import annotations

import time
from collections import Counter, deque
from collections.abc import Callable

from .. import __version__
from ..numbers import plural

CLIENT = f"sfmonitor/{__version__}"
CALL_OPTIONS = f"client={CLIENT}"  # Sforce-Call-Options: fills CLIENT_NAME in the ApiTotalUsage event log

HOUR_S = 3600.0
BUCKET_S = 60.0  # counted by the minute: an hour is 60 small counters, whatever the pace

# (kind, one, many): the kinds in the order they are told, with their words for one call and several
KINDS: tuple[tuple[str, str, str], ...] = (
    ("listings", "listing page", "listing pages"),
    ("job reads", "job read", "job reads"),
    ("batch lists", "batch list", "batch lists"),
    ("results", "result file (failures)", "result files (failures)"),
    ("limits", "limits read", "limits reads"),
    ("sign-in", "sign-in/userinfo", "sign-in/userinfo"),
    ("close/abort", "close/abort", "closes/aborts"),
    ("other", "other", "other"),
)
SIGN_IN_PATHS = ("/services/data", "/services/oauth2/userinfo")


def call_kind(method: str, path: str) -> str:
    """The kind of one request: a job listing's page, a job's read, a Bulk 1.0 batch list, a result
    file (failures), ``/limits``, the sign-in's requests (versions, userinfo, IsSandbox), a close or
    abort, or other."""
    path = path.split("?", 1)[0].rstrip("/")
    if method != "GET":
        return "close/abort"
    parts = path.split("/")  # "", services, async|data, version, job|jobs|query|limits, ...
    if path in SIGN_IN_PATHS or (len(parts) == 5 and parts[2] == "data" and parts[4] == "query"):
        return "sign-in"
    if len(parts) == 5 and parts[2] == "data" and parts[4] == "limits":
        return "limits"
    if path.startswith("/services/async/") and len(parts) >= 6 and parts[4] == "job":
        return {6: "job reads", 7: "batch lists"}.get(len(parts), "results")
    if path.startswith("/services/data/") and len(parts) >= 6 and parts[4] == "jobs":
        return {6: "listings", 7: "job reads"}.get(len(parts), "results")
    return "other"


class CallLog:
    """Requests sent, by kind, kept for one hour (in minute buckets); ``clock`` is injectable."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self.clock = clock
        self._buckets: deque[tuple[int, Counter[str]]] = deque()
        self.totals: Counter[str] = Counter()  # since the start, by kind

    def record(self, method: str, path: str) -> None:
        kind = call_kind(method, path)
        self.totals[kind] += 1
        minute = int(self.clock() // BUCKET_S)
        if not self._buckets or self._buckets[-1][0] != minute:
            self._buckets.append((minute, Counter()))
            self._forget(minute)
        self._buckets[-1][1][kind] += 1

    def _forget(self, minute: int) -> None:
        while self._buckets and minute - self._buckets[0][0] >= HOUR_S // BUCKET_S:
            self._buckets.popleft()

    def last_hour(self) -> dict[str, int]:
        """Calls by kind over the last hour (to the minute), in the order of KINDS, none left out."""
        minute = int(self.clock() // BUCKET_S)
        counts: Counter[str] = Counter()
        for at, bucket in self._buckets:
            if minute - at < HOUR_S // BUCKET_S:
                counts.update(bucket)
        return {kind: counts[kind] for kind, _, _ in KINDS}


def breakdown(counts: dict[str, int]) -> str:
    """``"120 listing pages, 300 job reads, 2 limits reads (422 in all)"``: the kinds that had calls."""
    words = {kind: (one, many) for kind, one, many in KINDS}
    parts = [plural(n, *words[kind]) for kind, n in counts.items() if n]
    if not parts:
        return "no calls yet"
    return f"{', '.join(parts)} ({sum(counts.values()):,} in all)"
