"""Times in the detail: absolute UTC, how long ago and the local clock; the calendar's ends never crash."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from sfmonitor.ui.widgets.job_fields import moment_text

NOW = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)


def test_utc_ago_and_local() -> None:
    created = datetime(2026, 12, 3, 13, 55, tzinfo=timezone(timedelta(hours=2)))  # 11:55 UTC
    text = moment_text(created, NOW)
    assert text.startswith("2026-12-03 11:55:00 UTC · 5m ago, ") and text.endswith(" local")
    assert "ahead of this clock" in moment_text(NOW + timedelta(minutes=3), NOW)


def test_the_ends_of_the_calendar() -> None:
    first = datetime(1, 1, 1, 0, 0, tzinfo=timezone(timedelta(hours=14)))
    assert moment_text(first, NOW)  # shown as the org wrote it, not a crash
    assert moment_text(datetime(9999, 12, 31, 23, 0, tzinfo=UTC), NOW).startswith("9999-12-31 23:00:00 UTC")
