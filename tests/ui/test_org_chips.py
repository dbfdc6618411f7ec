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


def test_the_status_is_one_line_that_drops_the_least_important_phrases_never_wraps() -> None:
    from sfmonitor.bulk.models import Limit
    from sfmonitor.ui.widgets.status_bar import HeaderInfo, height, render

    info = HeaderInfo(org="acme.my.salesforce.com", usage=ApiUsage(used=19_465, max=100_000),
                      batches=Limit(max=15_000, remaining=14_833), updated="updated 01:33:33",
                      level="ok", trouble="", jobs=73, running=3, waiting=1, spend="mine 141/h",
                      notes=("sort: running", "filter: 'Lead'"), marks=(("alerts muted (m)", "muted"),),
                      totals=("last hour 3.7M records, 10,796 failed (0.3%)",
                              "today 3.7M records, 10,796 failed (0.3%)", "running 1 ingest, 1 query"))  # fmt: skip
    phrases = ["acme.my.salesforce.com", "API 19,465/100,000 (19%) mine 141/h", "API 19,465/100,000 (19%)",
               "API 19%", "batches today 167/15,000", "73 jobs, 3 running, 1 waiting on their client",
               "73 jobs, 3 running, 1 waiting", "updated 01:33:33", "alerts muted (m)", "muted",
               "sort: running", "filter: 'Lead'", *info.totals]  # fmt: skip
    for width in (80, 100, 120, 200):
        shown = render(info, Palette(), width).plain.split("\n")
        assert len(shown) == height(info, width), (width, shown)
        assert all(len(line) <= width for line in shown), (width, shown)
        status = shown[0]
        assert "acme.my.salesforce.com" in status and "73 jobs, 3 running" in status and "mute" in status
        for phrase in status.replace(" · ", "  ").split("  "):
            assert phrase in phrases, (width, phrase)
        for line in shown[1 : 1 + (1 if width >= 160 else 2)]:  # the totals: whole phrases
            for phrase in line.split(" · ") if line else ():  # a line the totals do not need stays blank
                assert phrase in info.totals, (width, phrase)
    wide = render(info, Palette(), 300).plain.split("\n")
    assert (
        wide[0].count("  ") + wide[0].count(" · ") == 7 and "mine 141/h" in wide[0]
    )  # every phrase: status, totals, trouble, alert
    assert len(wide) == 4 and not wide[2] and "no alerts yet" in wide[3]
    narrow = render(info, Palette(), 80).plain.split("\n")[0]
    assert "sort" not in narrow and "batches" not in narrow and "mine" not in narrow  # the least important


def test_the_header_keeps_its_height_whatever_it_says() -> None:
    from sfmonitor.ui.widgets.status_bar import AlertNote, HeaderInfo, height, render

    calm = HeaderInfo(org="acme", usage=None, batches=None, updated="updated 01:33:33", level="ok", trouble="",
                      jobs=1, running=0, chips=chips(3))  # fmt: skip
    loud = HeaderInfo(org="acme", usage=None, batches=None, updated="connecting to " + "x" * 300 + "…",
                      level="offline", trouble="ORG1 OFFLINE: " + "the org said no; " * 40, jobs=10**6,
                      running=10**5, waiting=9, extra=("job " + "y" * 300,), notes=("filter: " + "y" * 300, "sort: x"),
                      marks=(("read-only: no close or abort", "read-only"), ("alerts muted (m)", "muted")),
                      chips=tuple(Chip(f"ORG{n}", None, "offline", "not connected", None, "", True, True)
                                  for n in range(1, 4)),
                      alert=AlertNote("14:31:02", "ORG1: " + "Lead " * 50, "j; " * 50, True, 41, False))  # fmt: skip
    for width in (80, 100, 120, 200):
        lines = [render(info, Palette(), width).plain.split("\n") for info in (calm, loud)]
        assert len(lines[0]) == len(lines[1]) == height(calm, width) == height(loud, width), (width, lines)
        assert all(len(line) <= width for line in lines[1]), lines[1]
        assert lines[1][-1].endswith("  +41 more (!)") and lines[1][-1].startswith("14:31:02 ORG1: Lead")
