"""The session's alerts, without a screen: every event the operator was told of (or would have been,
muted), newest last, the last :data:`KEPT` of them. The dashboard's alert line shows the newest and
how many came since the operator last looked; the alerts screen lists them all."""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from .alerts import Event

KEPT = 500  # a session's alerts kept: a day of a busy fleet's ends is a few hundred


@dataclass(frozen=True)
class Alert:
    at: float  # when it was raised (the dashboard's clock, epoch seconds)
    org_key: str  # the org's key in the fleet (for opening the job)
    org: str  # the org's label or name, as shown
    job_id: str
    title: str  # Event.title(): "UAT: Contact insert JobComplete"
    body: str  # Event.body()
    bad: bool
    kind: str  # one of alerts.EVENTS


class AlertLog:
    def __init__(self, kept: int = KEPT) -> None:
        self._alerts: deque[Alert] = deque(maxlen=kept)
        self.total = 0  # alerts ever logged (the kept ones are the last of them)
        self._seen = 0  # ``total`` when the operator last looked at the list

    def add(self, events: Iterable[Event], *, at: float, org_key: str) -> None:
        for event in events:
            alert = Alert(at, org_key, event.org, event.job.id, event.title(), event.body(), event.bad, event.kind)
            self._alerts.append(alert)
            self.total += 1

    def __iter__(self) -> Iterator[Alert]:
        return iter(self._alerts)

    def __len__(self) -> int:
        return len(self._alerts)

    def newest(self) -> Alert | None:
        return self._alerts[-1] if self._alerts else None

    @property
    def unseen(self) -> int:
        """Alerts since the operator last looked at the list."""
        return self.total - self._seen

    def seen(self) -> None:
        self._seen = self.total
