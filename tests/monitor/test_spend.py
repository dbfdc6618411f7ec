"""sfmonitor's own API spend as the header tells it: the last hour's calls, a day's projection
that one burst does not turn into a false alarm, and when it is told in the warning colour."""

from __future__ import annotations

from rich.text import Text

from sfmonitor.bulk.models import ApiUsage
from sfmonitor.monitor.spend import (
    PROJECT_AFTER_S,
    Budget,
    Spend,
    pace_warns,
    polling,
    reference_daily,
    spend_words,
)
from sfmonitor.ui.cells import Palette
from sfmonitor.ui.widgets.status_bar import Chip, HeaderInfo, chip_text, render

ALLOWANCE = 100_000
MINUTE = 60.0


def steady(minutes: int, every: int = 10) -> Spend:
    """A poll every ``every`` seconds, one call each, for ``minutes``; the start-up read first (unpaced)."""
    spend = Spend()
    spend.record(0.0, 400, paced=False)  # sign-in and every job read once
    for second in range(every, minutes * 60 + 1, every):
        spend.record(float(second), 1)
    return spend


def words(spend: Spend, now: float, budget: Budget | None = None, in_force: float = 10.0) -> tuple[str, bool]:
    said = spend_words(spend, now, allowance=ALLOWANCE, budget=budget, interval=10.0, interval_in_force=in_force)
    return said.words, said.warn


def test_no_projection_before_fifteen_minutes_of_calls() -> None:
    spend = steady(10)
    spend.record(600.0, 25)  # a failures read's worth, counted as the org's pace: still no alarm
    assert spend.per_day(600.0) is None
    said, warn = words(spend, 600.0)
    assert said == "mine 485/h" and not warn  # the calls as they are; no day projected from ten minutes


def test_one_burst_in_the_hour_projects_no_false_alarm() -> None:
    """Today's complaint: one read after ten minutes projected ~149k/day (149.2%)."""
    spend = steady(10, every=20)
    spend.record(10 * MINUTE, 150)  # r at a big org: both listings and every live job
    assert words(spend, 10 * MINUTE) == ("mine 580/h", False)  # ten minutes' pace would say 25,920 a day
    spend = steady(60, every=20)
    spend.record(60 * MINUTE, 150)
    pace = spend.per_day(60 * MINUTE)
    assert pace is not None and round(pace) == (180 + 150) * 24  # over the hour, not ten minutes
    assert words(spend, 60 * MINUTE) == ("mine 330/h ~7.9k/day (7.9%)", False)  # under 80 % of 10 % of 100,000
    spend.record(60 * MINUTE, 10)  # a few more calls in the hour and the day passes 8,000: said in colour
    assert words(spend, 60 * MINUTE) == ("mine 340/h ~8.2k/day (8.2%)", True)


def test_the_start_up_read_and_operator_reads_are_counted_but_not_projected() -> None:
    spend = steady(20)
    spend.record(20 * MINUTE, 500, paced=False)  # a failures read the operator asked for
    assert spend.last_hour(20 * MINUTE) == 400 + 120 + 500
    pace = spend.per_day(20 * MINUTE)
    assert pace is not None and round(pace) == 120 * 72  # 120 calls in 20 minutes: 8,640 a day


def test_the_projection_window_is_the_last_hour_once_there_is_one() -> None:
    spend = steady(120)
    assert round(spend.per_day(120 * MINUTE) or 0) == 360 * 24
    assert spend.per_day(PROJECT_AFTER_S - 1) is None
    assert spend.per_day(PROJECT_AFTER_S) is not None


def test_the_reference_is_the_budget_in_force_else_ten_percent_of_the_allowance() -> None:
    assert reference_daily(Budget.parse("5%"), ALLOWANCE) == 5_000
    assert reference_daily(Budget.parse("2000"), ALLOWANCE) == 2_000
    assert reference_daily(None, ALLOWANCE) == 10_000
    assert reference_daily(Budget.parse("5%"), None) is None  # the allowance not known yet: nothing to judge by
    assert not pace_warns(4_000, Budget.parse("5%"), ALLOWANCE, stretched=False)
    assert pace_warns(4_001, Budget.parse("5%"), ALLOWANCE, stretched=False)  # past 80 % of 5,000
    assert pace_warns(None, Budget.parse("5%"), ALLOWANCE, stretched=True)  # the schedule stretches: said so
    assert not pace_warns(None, None, ALLOWANCE, stretched=False)  # no projection yet: no alarm


def test_a_stretched_schedule_is_told_in_the_warning_colour_and_the_day_held_to_the_budget() -> None:
    said, warn = words(steady(30), 30 * MINUTE, budget=Budget.parse("5%"), in_force=14.0)
    assert said == "mine 580/h ~5.0k/day (held to budget 5%)" and warn  # the pace says 8,640: the bucket holds it
    assert "every" not in said and "idle" not in said  # how the org is polled is the trouble line's, not the spend's


def test_the_day_is_held_to_the_budget_in_force_and_said_compact() -> None:
    """The reviewer's header: ``~11,378/day (11.4%) · every 454s for budget 1%``."""
    spend = steady(60, every=8)  # 450 calls an hour: 10,800 a day at this pace
    assert (
        words(spend, 60 * MINUTE, Budget.parse("1%"), in_force=454.0)[0] == "mine 450/h ~1.0k/day (held to budget 1%)"
    )
    assert words(spend, 60 * MINUTE, Budget.parse("2500"), in_force=30.0)[0] == (
        "mine 450/h ~2.5k/day (held to budget 2,500/day)"
    )
    assert words(spend, 60 * MINUTE, Budget.parse("20%"))[0] == "mine 450/h ~11k/day (10.8%)"  # under it: the pace
    assert words(spend, 60 * MINUTE, Budget.parse("off"))[0] == "mine 450/h ~11k/day (10.8%)"  # no budget: raw
    assert words(spend, 60 * MINUTE)[0] == "mine 450/h ~11k/day (10.8%)"
    big = steady(60, every=1)  # 3,600 an hour
    assert words(big, 60 * MINUTE)[0] == "mine 3,600/h ~86k/day (86.4%)"


def test_how_the_org_is_polled_when_not_at_the_interval() -> None:
    budget = Budget.parse("10%")
    plain = polling(interval=5.0, interval_in_force=5.0, budget=budget, looking_every=None)
    assert plain.mark == plain.words == ""
    idle = polling(interval=5.0, interval_in_force=5.0, budget=budget, looking_every=60.0)
    assert (idle.mark, idle.words) == ("idle", "idle: looking every 60s (a key brings 5s back)")
    stretched = polling(interval=5.0, interval_in_force=27_067.0, budget=budget, looking_every=None)
    assert stretched.mark == "stretched"
    assert stretched.words == "polls stretched: next in 7h31m to stay within budget 10%"
    soon = polling(interval=5.0, interval_in_force=14.0, budget=budget, looking_every=None)
    assert soon.words == "polls stretched: next in 14s to stay within budget 10%"
    assert polling(interval=5.0, interval_in_force=14.0, budget=None, looking_every=None).mark == ""  # no budget


def _style_of(line: Text, words: str) -> str:
    start = line.plain.index(words)
    return " ".join(str(span.style) for span in line.spans if span.start <= start < span.end)


def test_the_header_and_a_chip_colour_the_spend_by_the_rule() -> None:
    palette = Palette()
    usage = ApiUsage(12_000, ALLOWANCE)
    base = HeaderInfo("me@org", usage, None, "updated 10:00:00", "ok", "", 10, 1, spend="mine 510/h")
    for warn, style in ((False, "dim"), (True, palette.warning)):
        info = HeaderInfo("me@org", usage, None, "updated 10:00:00", "ok", "", 10, 1, spend="mine 510/h",
                          spend_warn=warn)  # fmt: skip
        status = render(info, palette, 160).split("\n")[0]
        assert _style_of(status, "mine 510/h") == style
        chip = chip_text(Chip("ops", None, "ok", "ok", usage, "510/h", spend_warn=warn), palette)
        assert _style_of(chip, "510/h") == style
    assert render(base, palette, 160).plain.count("\n") == render(info, palette, 160).plain.count("\n")
