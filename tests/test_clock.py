"""One way a moment is written in a table cell or the header: a time of day only when it is today."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone

import pytest

from sfmonitor.numbers import CLOCK_WIDTH, clock


@pytest.fixture
def zone(monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest) -> Iterator[str]:
    monkeypatch.setenv("TZ", getattr(request, "param", "UTC"))
    time.tzset()
    yield getattr(request, "param", "UTC")
    monkeypatch.undo()
    time.tzset()


NOW = datetime(2026, 11, 20, 14, 30, tzinfo=UTC)


def test_today_is_a_time_of_day_and_yesterday_is_never_a_bare_time(zone: str) -> None:
    assert clock(NOW - timedelta(minutes=3), NOW) == "14:27:00"
    assert clock(datetime(2026, 11, 20, 0, 0, 5, tzinfo=UTC), NOW) == "00:00:05"
    # a minute before midnight, seen from just after it: the day is named (it was a bare time)
    assert clock(datetime(2026, 11, 19, 23, 59, tzinfo=UTC), datetime(2026, 11, 20, 0, 1, tzinfo=UTC)) == "Nov 19 23:59"
    assert clock(datetime(2026, 11, 19, 14, 29, 27, tzinfo=UTC), NOW) == "Nov 19 14:29"
    assert clock(datetime(2025, 11, 19, 14, 29, tzinfo=UTC), NOW) == "2025-11-19"
    assert clock(None, NOW) == "-"
    assert max(len(clock(NOW - timedelta(days=d), NOW)) for d in range(0, 400, 7)) <= CLOCK_WIDTH


@pytest.mark.parametrize("zone", ["Pacific/Kiritimati"], indirect=True)
def test_the_day_is_the_local_one(zone: str) -> None:
    # at UTC+14, now is 04:30 on the 21st: 23:00 UTC on the 19th is 13:00 on the 20th there, yesterday
    assert clock(datetime(2026, 11, 19, 23, 0, tzinfo=UTC), NOW) == "Nov 20 13:00"
    assert clock(datetime(2026, 11, 20, 11, 0, tzinfo=UTC), NOW) == "01:00:00"  # 01:00 on the 21st: today
    plus2 = timezone(timedelta(hours=2))
    assert clock(datetime(2026, 11, 20, 16, 0, tzinfo=plus2), NOW) == "04:00:00"  # the org's offset is no matter


def test_the_ends_of_the_calendar_are_dates(zone: str) -> None:
    assert clock(datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=14))), NOW) == "0001-01-01"
    assert clock(datetime(9999, 12, 31, 23, 0, tzinfo=UTC), NOW) == "9999-12-31"
