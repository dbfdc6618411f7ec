"""Against the usual: what past runs of an object and operation say (only runs that ended ok or with
failed records, at least 3), when a running job is well below that pace (one rule), the words the
detail and an alert use, and how an org asks its history (once per object and operation per few
minutes, never counting a job among its own past runs)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from sfmonitor.bulk.models import Job
from sfmonitor.config.alerts import parse_alerts
from sfmonitor.monitor.alerts import Alerter, AlertRules
from sfmonitor.monitor.history import History
from sfmonitor.monitor.usual import (
    FRESH_S,
    MIN_RUNS,
    RECENT_RUNS,
    PastRun,
    Usual,
    Usuals,
    line,
    not_enough,
    slow,
    usual_of,
)
from sfmonitor.numbers import rough

START = datetime(2026, 12, 3, 22, 0, tzinfo=UTC).timestamp()  # tonight's job was created at 22:00
MIN = 60.0


def run(n: int, minutes: float, records: int | None = 600_000, outcome: str = "ok", job_id: str = "") -> PastRun:
    """A past run of night ``n`` before tonight, created at 22:00, taking ``minutes``."""
    created = START - n * 86_400
    return PastRun("prod", job_id or f"750P{n:03d}", created, created + minutes * MIN, records, 0, outcome)


def job(
    state: str = "InProgress", processed: int = 10_000, *, job_id: str = "750TONIGHT", ended_after: float = 0
) -> Job:
    fields = {"id": job_id, "state": state, "object": "Account", "operation": "upsert", "jobType": "V2Ingest",
              "numberRecordsProcessed": processed, "numberRecordsFailed": 0,
              "createdDate": "2026-12-03T22:00:00.000+0000"}  # fmt: skip
    if ended_after:
        fields["systemModstamp"] = datetime.fromtimestamp(START + ended_after, UTC).isoformat()
    return Job.from_fields(fields)


def test_a_past_runs_duration_and_rate() -> None:
    past = run(1, 10)
    assert past.duration_s == 600 and past.rate == 1000
    assert run(1, 10, records=None).rate is None  # no count at its end: no rate
    assert PastRun("prod", "750X", START, START, 10, 0, "ok").rate is None  # no duration


def test_the_usual_is_the_middle_half_of_durations_and_the_median_rate() -> None:
    usual = usual_of([run(1, 10), run(2, 12), run(3, 14), run(4, 16), run(5, 18)])
    assert usual == Usual(runs=5, short_s=12 * MIN, long_s=16 * MIN, rate=pytest.approx(600_000 / (14 * MIN)))
    odd_night = usual_of([run(1, 10), run(2, 12), run(3, 14), run(4, 16), run(5, 18), run(6, 240)])
    assert odd_night is not None and odd_night.long_s < 20 * MIN  # one four-hour night moves neither end much


def test_aborted_and_failed_runs_never_define_the_usual_and_three_are_needed() -> None:
    broken = [run(1, 1, outcome="aborted"), run(2, 2, outcome="failed"), run(3, 3, outcome="aborted")]
    assert usual_of(broken) is None  # three runs, none of which says how long the load takes
    usable = [run(4, 10), run(5, 12, outcome="records-failed")]
    assert usual_of(broken + usable) is None  # two usable: not enough
    usual = usual_of([*broken, *usable, run(6, 14)])
    assert usual is not None and usual.runs == MIN_RUNS and usual.short_s == 11 * MIN
    assert usual_of([run(1, 10, records=None), run(2, 10), run(3, 10)]) is None  # a run without a count is not one


def test_only_the_newest_runs_define_it() -> None:
    old = [run(100 + n, 60) for n in range(40)]  # last season: an hour
    new = [run(n, 10) for n in range(1, RECENT_RUNS + 1)]  # the last month: ten minutes
    usual = usual_of(old + new)
    assert usual is not None and usual.runs == RECENT_RUNS and usual.long_s == 10 * MIN


def history_at(rate: float, minutes: float, every: float = 30.0) -> History:
    """A history of tonight's job read every ``every`` seconds over its last ``minutes`` at ``rate``."""
    history = History()
    t, processed = START + 60.0, 0
    while t <= START + minutes * MIN:
        history.record(t, {"750TONIGHT": job(processed=processed)})
        t += every
        processed += int(rate * every)
    return history


def judged(rate: float, minutes: float, usual: Usual | None, *, state: str = "InProgress") -> object:
    history = history_at(rate, minutes)
    tonight = job(state)
    return slow(tonight, usual, START + minutes * MIN, history.throughput(tonight),
                measured_s=history.measured_s(tonight))  # fmt: skip


USUAL = Usual(runs=8, short_s=12 * MIN, long_s=16 * MIN, rate=1000.0)


def test_slow_is_under_half_the_usual_rate_once_the_job_has_run_long_enough_to_judge() -> None:
    verdict = judged(400, 10, USUAL)  # 400/s after ten minutes, against a usual 1,000/s
    assert verdict is not None and not verdict.overdue  # type: ignore[attr-defined]
    assert judged(600, 10, USUAL) is None  # below the usual, not well below it
    assert judged(0, 2.5, USUAL) is None  # queued or ramping up for 2.5 minutes: not judged yet
    assert judged(400, 10, None) is None  # no usual: nothing to be slow against


def test_a_rate_measured_over_too_little_is_not_judged() -> None:
    history = History()
    history.record(START + 600, {"750TONIGHT": job(processed=0)})
    history.record(START + 630, {"750TONIGHT": job(processed=100)})  # two reads, 30 s apart
    tonight = job()
    assert history.measured_s(tonight) == 30
    assert slow(tonight, USUAL, START + 630, history.throughput(tonight), measured_s=30) is None
    assert slow(tonight, USUAL, START + 630, None, measured_s=600) is None  # no rate at all: the stall flag's


def test_a_job_well_past_its_usual_duration_and_still_slower_is_slow() -> None:
    verdict = judged(800, 25, USUAL)  # 25 minutes, past 1.5 x 16, at 800/s: late and not catching up
    assert verdict is not None and verdict.overdue  # type: ignore[attr-defined]
    assert judged(800, 23, USUAL) is None  # not yet 1.5 x the longer end
    assert judged(1200, 40, USUAL) is None  # late, but going faster than usual: catching up


def test_only_a_running_job_is_slow() -> None:
    ended = job("JobComplete", ended_after=30 * MIN)
    assert slow(ended, USUAL, START + 30 * MIN, 10.0, measured_s=600) is None
    waiting = job("Open", 0)  # an upload never closed waits on its client: that flag says so, not slow
    assert slow(waiting, USUAL, START + 30 * MIN, 0.0, measured_s=600) is None


def test_the_words_of_the_usual_and_of_this_run() -> None:
    usual = Usual(runs=8, short_s=12 * MIN, long_s=16 * MIN, rate=40_000.0)
    assert usual.words() == "usual 12m\u201316m, 40k rec/s (8 runs)"
    assert Usual(3, 30 * MIN, 30.2 * MIN, 950.0).words() == "usual 30m, 950 rec/s (3 runs)"
    tonight = job()
    now = START + 31 * MIN
    assert (
        line(usual, tonight, now, 9500.0) == "usual 12m\u201316m, 40k rec/s (8 runs); this run 31m so far, 9,500 rec/s"
    )
    verdict = slow(tonight, usual, now, 9500.0, measured_s=180)
    assert verdict is not None
    assert line(usual, tonight, now, 9500.0, verdict).endswith("; this run 31m so far, 9,500 rec/s — slow: well "
                                                               "below the usual pace")  # fmt: skip
    assert verdict.words() == ("9,500 rec/s over the last 3 minutes, under half the usual 40k rec/s; "
                               "running 31m (usual 12m\u201316m, 8 runs)")  # fmt: skip
    done = job("JobComplete", 1_200_000, ended_after=20 * MIN)
    assert line(usual, done, now, None).endswith("; this run took 20m, 1,000 rec/s")
    assert not_enough(2) == "usual: not enough past runs (2 of the 3 needed; aborted and failed ones do not count)"


def test_rough_durations() -> None:
    assert [rough(s) for s in (0, 44.6, 89, 720, 3599, 3600 * 3.2, 86_400 * 2 + 3600 * 4)] == [
        "0s", "45s", "1m", "12m", "1h00m", "3h12m", "2d04h"]  # fmt: skip


def test_an_org_asks_for_an_object_and_operation_once_per_few_minutes() -> None:
    usuals = Usuals()
    tonight, other = job(), job(job_id="750OTHER")  # the same object and operation
    assert usuals.due([tonight, other], START) == [("Account", "upsert")]  # one read for both
    assert usuals.due([tonight], START + 1) == []  # being read
    assert usuals.words(tonight, START + 1, History()) == "usual: reading the past runs…"
    usuals.arrived(("Account", "upsert"), [run(1, 10), run(2, 12)], START + 2)
    assert usuals.due([tonight], START + 60) == []  # read a minute ago
    assert usuals.words(tonight, START + 60, History()).startswith("usual: not enough past runs (2 of the 3")
    assert usuals.due([tonight], START + 2 + FRESH_S) == [("Account", "upsert")]
    usuals.arrived(("Account", "upsert"), None, START + 400, error="OperationalError: database is locked")
    assert usuals.words(tonight, START + 400, History()).startswith("usual: not enough past runs")  # kept what it had
    fresh = Usuals()
    fresh.due([tonight], START)
    fresh.arrived(("Account", "upsert"), None, START + 1, error="OperationalError: database is locked")
    assert (
        fresh.words(tonight, START + 1, History()) == "usual: past runs not read (OperationalError: database is locked)"
    )


def test_an_ended_job_is_never_among_its_own_past_runs() -> None:
    usuals = Usuals()
    done = job("JobComplete", 600_000, job_id="750P001", ended_after=60 * MIN)
    usuals.due([done], START)
    usuals.arrived(("Account", "upsert"), [run(1, 60, job_id="750P001"), run(2, 10), run(3, 10), run(4, 10)], START)
    usual = usuals.of(done)
    assert usual is not None and usual.runs == 3 and usual.long_s == 10 * MIN
    assert usuals.of(job()) == usual_of([run(1, 60, job_id="750P001"), run(2, 10), run(3, 10), run(4, 10)])


def test_the_slow_alert_is_asked_for_raised_once_with_its_figures() -> None:
    tonight = job()
    verdict = slow(tonight, USUAL, START + 10 * MIN, 400.0, measured_s=180)
    assert verdict is not None
    jobs = {tonight.id: tonight}

    def events(alerter: Alerter, slow_now: dict[str, object]) -> list[str]:
        return [e.kind for e in alerter.after_poll(jobs, dict(jobs), org="PROD", stalled={}, waiting={},
                                                   slow=slow_now)]  # type: ignore[arg-type]  # fmt: skip

    by_default = Alerter()
    events(by_default, {})
    assert events(by_default, {tonight.id: verdict}) == []  # off unless asked for
    asked = Alerter(AlertRules(events=frozenset({"slow"})))
    events(asked, {})  # the first look learns
    (event,) = asked.after_poll(jobs, dict(jobs), org="PROD", stalled={}, waiting={}, slow={tonight.id: verdict})
    assert event.title() == "PROD: Account upsert slow against its usual pace" and event.bad
    assert "400 rec/s over the last 3 minutes, under half the usual 1,000 rec/s; running 10m" in event.body()
    assert event.to_json()["slow"]["usualRecordsPerSecond"] == 1000.0
    assert events(asked, {tonight.id: verdict}) == []  # still slow: said already
    assert events(asked, {}) == [] and events(asked, {tonight.id: verdict}) == []  # dips back: once per job


def test_slow_is_an_event_the_config_can_ask_for() -> None:
    rules, _ = parse_alerts({}, "config")
    assert "slow" not in rules.events and "stalled" in rules.events
    rules, _ = parse_alerts({"events": ["ended", "slow"]}, "config")
    assert rules.events == {"ended", "slow"}
