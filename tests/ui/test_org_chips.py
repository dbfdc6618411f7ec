"""The header's org chips: the fullest form that fits, broken between chips, never inside one."""

from __future__ import annotations

from sfmonitor.bulk.models import ApiUsage
from sfmonitor.ui.cells import Palette
from sfmonitor.ui.widgets.status_bar import Chip, chips_lines


def chips(count: int, share: float = 0.2) -> tuple[Chip, ...]:
    usage = ApiUsage(used=int(share * 100_000), max=100_000)
    return tuple(Chip(f"ORG{n}", None, "ok", "ok", usage, "87/h") for n in range(1, count + 1))


def lines(count: int, width: int, share: float = 0.2) -> list[str]:
    return chips_lines(chips(count, share), Palette(), width).plain.split("\n")


def test_three_orgs_fit_one_line_with_every_figure() -> None:
    assert lines(3, 120) == ["ORG1 ok API 20% mine 87/h │ ORG2 ok API 20% mine 87/h │ ORG3 ok API 20% mine 87/h"]


def test_a_narrow_screen_drops_the_words_then_breaks_between_chips() -> None:
    assert lines(3, 60) == ["ORG1 ok 20% 87/h │ ORG2 ok 20% 87/h │ ORG3 ok 20% 87/h"]
    ten = lines(10, 120)
    assert len(ten) == 2 and all(len(line) <= 120 for line in ten)
    for line in ten:  # every chip whole on its line
        for chip in line.split(" │ "):
            assert chip.startswith("ORG") and chip.endswith("87/h"), chip


def test_many_orgs_on_a_small_screen_keep_health_and_say_how_many_are_not_drawn() -> None:
    ten = lines(10, 80)
    assert len(ten) == 2 and "87/h" not in "".join(ten)  # tight: label and health
    assert "ORG10 ok" in ten[-1]
    many = lines(30, 80)
    assert len(many) == 2 and all(len(line) <= 80 for line in many)
    drawn = sum(line.count(" ok") for line in many)
    assert many[-1].endswith(f"+{30 - drawn} more orgs (o: one at a time)")


def test_usage_running_high_stays_in_the_tightest_form() -> None:
    assert "90%" in lines(10, 80, share=0.9)[0]


def test_the_status_breaks_between_phrases_never_inside_one() -> None:
    from sfmonitor.bulk.models import Limit
    from sfmonitor.ui.widgets.status_bar import HeaderInfo, render

    info = HeaderInfo(org="acme.my.salesforce.com", usage=ApiUsage(used=19_465, max=100_000),
                      batches=Limit(max=15_000, remaining=14_833), updated="updated 01:33:33",
                      level="ok", trouble="", jobs=73, running=3, waiting=1, spend="mine 141/h",
                      extra=("alerts muted (m)", "sort: running", "filter: 'Lead'"),
                      totals=("last hour 3.7M records, 10,796 failed (0.3%)",
                              "today 3.7M records, 10,796 failed (0.3%)", "running 1 ingest, 1 query"))  # fmt: skip
    phrases = ["acme.my.salesforce.com", "API 19,465/100,000 (19%) mine 141/h", "batches today 167/15,000",
               "73 jobs, 3 running, 1 waiting on their client", "updated 01:33:33", "alerts muted (m)",
               "sort: running", "filter: 'Lead'", *info.totals]  # fmt: skip
    for width in (80, 100, 120, 200):
        shown = render(info, Palette(), width).plain.split("\n")
        assert all(len(line) <= width for line in shown), (width, shown)
        for line in shown:
            for phrase in line.replace(" · ", "  ").split("  "):
                assert phrase in phrases, (width, phrase)
    assert len(render(info, Palette(), 300).plain.split("\n")) == 2  # wide: status and totals, a line each
