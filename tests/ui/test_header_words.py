"""The header's words for how the org is polled (the trouble line while all is well, an org's chip)
and its counts with thousands separators."""

from __future__ import annotations

from datetime import UTC, datetime

from rich.text import Text

from sfmonitor.bulk.models import ApiUsage, Job
from sfmonitor.monitor.board import Connection
from sfmonitor.monitor.history import History
from sfmonitor.monitor.spend import Budget
from sfmonitor.ui.cells import Palette
from sfmonitor.ui.view import View
from sfmonitor.ui.widgets.status_bar import Chip, HeaderInfo, chip_text, render

NOW = datetime(2026, 12, 6, 9, 0, tzinfo=UTC)
IDLE = "idle: looking every 60s (a key brings 5s back)"
STRETCHED = "polls stretched: next in 7h31m to stay within budget 10%"


def view(connection: Connection | None = None, **pace: object) -> View:
    return View(org="me@acme", jobs={}, history=History(), now=NOW, palette=Palette(),
                connection=connection or Connection(last_good=NOW), interval=5.0, budget=Budget.parse("10%"),
                **pace)  # type: ignore[arg-type]  # fmt: skip


def lines(info: HeaderInfo, width: int) -> list[Text]:
    return list(render(info, Palette(), width).split("\n"))


def test_the_trouble_line_says_how_the_org_is_polled_dim_while_all_is_well() -> None:
    for pace, words in (({"looking_every": 60.0}, IDLE), ({"interval_in_force": 27_067.0}, STRETCHED)):
        info = view(**pace).header()
        assert (info.level, info.trouble) == ("ok", words)
        for width in (80, 120):  # even the smallest screen: the line is there, blank otherwise
            status, trouble = lines(info, width)[:2]
            assert words.startswith(trouble.plain.removesuffix("…")) and trouble.plain
            assert all(str(span.style) == "dim" for span in trouble.spans)
            assert "idle" not in status.plain and "stretched" not in status.plain  # not in the spend phrase
    assert view(interval_in_force=5.0).header().trouble == ""  # the operator's interval: nothing to say


def test_trouble_outranks_the_polling_words() -> None:
    paused = view(Connection(last_good=NOW, paused=True), looking_every=60.0).header()
    assert (paused.level, paused.trouble) == ("paused", "PAUSED (p resumes)")
    offline = view(Connection(last_good=NOW, error="connection refused"), interval_in_force=27_067.0).header()
    assert offline.level == "offline" and offline.trouble.startswith("OFFLINE")
    assert "bold" in str(lines(offline, 120)[1].spans[0].style)


def test_counts_in_the_header_have_thousands_separators() -> None:
    info = HeaderInfo("me@acme", None, None, "updated 09:00:00", "ok", "", 20_064, 1_234, waiting=1_500,
                      extra=("showing 1,000 of 20,064",))  # fmt: skip
    assert "20,064 jobs, 1,234 running, 1,500 waiting on their client" in lines(info, 200)[0].plain


def test_a_chip_marks_an_idle_or_stretched_org_where_there_is_room() -> None:
    usage = ApiUsage(20_000, 100_000)
    idle = Chip("ORG1", None, "ok", "ok", usage, "87/h", pace="idle")
    assert chip_text(idle, Palette()).plain == "ORG1 ok API 20% mine 87/h idle"
    assert chip_text(idle, Palette(), "compact").plain == "ORG1 ok 20% 87/h idle"
    assert chip_text(idle, Palette(), "tight").plain == "ORG1 ok"  # many orgs: health only
    stretched = chip_text(Chip("ORG2", None, "ok", "ok", usage, "87/h", pace="stretched"), Palette())
    assert stretched.plain.endswith(" stretched") and str(stretched.spans[-1].style) == Palette().warning
    assert view(looking_every=60.0).chip().pace == "idle"
    assert view(interval_in_force=27_067.0).chip().pace == "stretched"
    assert view().chip().pace == ""


def test_one_job_is_one_job_in_the_header() -> None:
    info = HeaderInfo("me@acme", None, None, "updated 09:00:00", "ok", "", 1, 1)
    assert "1 job, 1 running" in lines(info, 200)[0].plain
    assert "1 job listed so far" in View(org="me@acme", jobs={"7505g0000000001AAA": _job()}, history=History(),
                                         now=NOW, palette=Palette(), connection=Connection(), interval=5.0,
                                         budget=Budget.parse("10%")).header().updated  # fmt: skip


def _job() -> Job:
    return Job.from_fields({"id": "7505g0000000001AAA", "jobType": "V2Ingest", "state": "InProgress"})
