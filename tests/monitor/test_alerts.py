"""Which polls make an alert: a job's end (not one that ended before we looked), a Bulk 1.0 batch
failing, failures reaching the threshold, a job stalling, a job starting to wait on its client:
each once."""

from __future__ import annotations

from datetime import UTC, datetime

from sfmonitor.bulk.models import Job
from sfmonitor.monitor.alerts import Alerter, AlertRules


def job(job_id: str, state: str, *, failed: int = 0, classic: bool = False, batches_failed: int = 0,
        took_s: int = 600) -> Job:  # fmt: skip
    fields = {"id": job_id, "state": state, "object": "Account", "operation": "insert",
              "numberRecordsProcessed": 5000, "numberRecordsFailed": failed,
              "createdDate": "2026-12-03T10:00:00.000+0000",
              "systemModstamp": f"2026-12-03T10:{took_s // 60:02d}:{took_s % 60:02d}.000+0000"}  # fmt: skip
    if classic:
        fields |= {"numberBatchesTotal": 10, "numberBatchesFailed": batches_failed, "numberBatchesCompleted": 2,
                   "numberBatchesInProgress": 8 - batches_failed, "numberBatchesQueued": 0}  # fmt: skip
        return Job.from_fields(fields | {"jobType": "Classic", "apiVersion": "58.0"})
    return Job.from_fields(fields | {"jobType": "V2Ingest"})


def poll(alerter: Alerter, before: list[Job], after: list[Job], stalled: dict[str, float] | None = None,
         waiting: dict[str, str] | None = None) -> list[str]:  # fmt: skip
    events = alerter.after_poll({j.id: j for j in before}, {j.id: j for j in after}, org="PROD",
                                stalled=stalled or {}, waiting=waiting or {})  # fmt: skip
    return [f"{e.kind}:{e.job.id}" for e in events]


def test_the_first_poll_only_learns_and_an_end_alerts_once() -> None:
    alerter = Alerter()
    old, running = job("750A", "JobComplete"), job("750B", "InProgress")
    assert poll(alerter, [], [old, running]) == []  # A ended before sfmonitor looked: not news
    ended = job("750B", "JobComplete", failed=3)
    assert poll(alerter, [old, running], [old, ended]) == ["ended:750B"]
    assert poll(alerter, [old, ended], [old, job("750B", "JobComplete", failed=3)]) == []  # read again: no news
    new_and_done = job("750C", "Failed")
    assert poll(alerter, [old, ended], [old, ended, new_and_done]) == ["ended:750C"]  # started and ended between polls


def test_a_job_the_first_poll_could_not_read_is_learned_at_its_first_good_read() -> None:
    alerter = Alerter()
    listed = job("751A", "Closed", classic=True)  # the listing's state; its batches unread
    running = job("750B", "InProgress")
    events = alerter.after_poll({}, {"751A": listed, "750B": running}, org="PROD", stalled={}, waiting={},
                                unread={"751A": "503"})  # fmt: skip
    assert events == []
    old_end = Job.from_fields({**listed.fields, "numberBatchesCompleted": 10, "numberBatchesInProgress": 0,
                               "numberRecordsFailed": 5000})  # fmt: skip
    assert old_end.finished  # it had ended before sfmonitor looked: still not news
    jobs = {"751A": old_end, "750B": running}
    assert alerter.after_poll({"751A": listed, "750B": running}, jobs, org="PROD", stalled={}, waiting={},
                              unread={"751A": "503"}) == []  # fmt: skip
    assert alerter.after_poll({"751A": listed, "750B": running}, jobs, org="PROD", stalled={},
                              waiting={"751A": "close it?"}) == []  # fmt: skip
    ended = job("750B", "JobComplete")
    events = alerter.after_poll(jobs, {**jobs, "750B": ended}, org="PROD", stalled={}, waiting={})
    assert [(e.kind, e.job.id) for e in events] == [("ended", "750B")]  # the jobs it knows still alert


def test_an_alert_names_org_job_object_state_counts_and_duration() -> None:
    alerter = Alerter()
    running = job("750B", "InProgress")
    poll(alerter, [], [running])
    (event,) = alerter.after_poll({"750B": running}, {"750B": job("750B", "Aborted", failed=7, took_s=125)},
                                  org="PROD", stalled={}, waiting={})  # fmt: skip
    assert event.title() == "PROD: Account insert Aborted" and event.bad
    assert event.body() == "job 750B (2.0 ingest); state Aborted; 5,000 processed, 7 failed; took 2m05s"
    assert event.to_json()["job"]["numberRecordsFailed"] == 7


def test_quick_jobs_do_not_alert_when_a_minimum_is_set() -> None:
    alerter = Alerter(AlertRules(min_duration_s=300))
    poll(alerter, [], [job("750A", "InProgress"), job("750B", "InProgress")])
    quick, slow = job("750A", "JobComplete", took_s=60), job("750B", "JobComplete", took_s=900)
    assert poll(alerter, [job("750A", "InProgress"), job("750B", "InProgress")], [quick, slow]) == ["ended:750B"]


def test_a_failed_batch_failures_over_the_threshold_and_a_stall_each_alert_once() -> None:
    alerter = Alerter(AlertRules(failures_at=100))
    a, b = job("751A", "Closed", classic=True), job("750B", "InProgress", failed=50)
    poll(alerter, [], [a, b])
    a2, b2 = job("751A", "Closed", classic=True, batches_failed=1), job("750B", "InProgress", failed=150)
    assert sorted(poll(alerter, [a, b], [a2, b2])) == ["batch_failed:751A", "failures:750B"]
    b3 = job("750B", "InProgress", failed=400)
    assert poll(alerter, [a2, b2], [a2, b3]) == []  # over the threshold already: once is enough
    assert poll(alerter, [a2, b3], [a2, b3], stalled={"750B": 120.0}) == ["stalled:750B"]
    assert poll(alerter, [a2, b3], [a2, b3], stalled={"750B": 180.0}) == []  # still stalled: said already


def test_events_not_asked_for_are_not_raised() -> None:
    alerter = Alerter(AlertRules(events=frozenset({"failures"})))
    running = job("750B", "InProgress")
    poll(alerter, [], [running])
    assert poll(alerter, [running], [job("750B", "JobComplete")], stalled={}) == []


def test_a_burst_is_one_toast_naming_the_first_few() -> None:
    from sfmonitor.monitor.alerts import Event, told

    ends = [Event("ended", "PROD", job(f"750{n}", "JobComplete")) for n in range(6)]
    assert len(told(ends[:2], "PROD")) == 2  # a couple: each its own
    ((title, text, bad),) = told(ends, "PROD")
    assert title == "PROD: 6 alerts" and not bad
    assert text.startswith("Account insert JobComplete (7500); Account insert JobComplete (7501)")
    assert text.endswith("; and 2 more")


def test_a_job_starting_to_wait_on_its_client_alerts_once_with_what_to_do() -> None:
    from sfmonitor.monitor.alerts import flagged
    from sfmonitor.monitor.phase import waiting_on_client

    def waiting_now(jobs: dict[str, Job], now: float, ids: dict[str, Job]) -> dict[str, str]:
        return flagged(jobs, waiting_on_client, now, ids)

    created = datetime(2026, 12, 3, 10, 0, tzinfo=UTC).timestamp()
    done = Job.from_fields({"id": "751A", "state": "Open", "jobType": "Classic", "apiVersion": "58.0",
                            "object": "Contact", "operation": "upsert", "numberBatchesTotal": 3,
                            "numberBatchesCompleted": 3, "numberBatchesQueued": 0, "numberBatchesInProgress": 0,
                            "createdDate": "2026-12-03T10:00:00.000+0000"})  # fmt: skip
    upload = Job.from_fields({"id": "750B", "state": "Open", "jobType": "V2Ingest", "object": "Account",
                              "operation": "insert", "createdDate": "2026-12-03T10:00:00.000+0000"})  # fmt: skip
    jobs = {"751A": done, "750B": upload}
    assert waiting_now(jobs, created + 60, jobs) == {}  # a minute is not yet news, for either API
    alerter = Alerter()
    poll(alerter, [], [upload])
    assert poll(alerter, [upload], [done, upload], waiting=waiting_now(jobs, created + 60, jobs)) == []
    assert poll(alerter, [done, upload], [done, upload], waiting={"751A": "close it?"}) == ["waiting:751A"]
    later = waiting_now(jobs, created + 200, jobs)
    events = alerter.after_poll(jobs, jobs, org="PROD", stalled={}, waiting=later)
    assert [(e.kind, e.job.id) for e in events] == [("waiting", "750B")]  # 751A: said already
    assert events[0].title() == "PROD: Account insert waiting on its client: no upload" and events[0].bad
    assert "has not set it UploadComplete" in events[0].body()
    assert events[0].to_json()["waitingOnClient"] == "no upload"
    assert poll(alerter, [done, upload], [done, upload], waiting=later) == []


def test_the_session_log_keeps_the_last_500_and_counts_what_came_since_the_list_was_opened() -> None:
    from sfmonitor.monitor.alert_log import KEPT, AlertLog
    from sfmonitor.monitor.alerts import Event

    log = AlertLog()
    assert log.newest() is None and log.unseen == 0
    log.add([Event("ended", "UAT", job("750a", "JobComplete")), Event("stalled", "UAT", job("750b", "InProgress"))],
            at=1.0, org_key="uat")  # fmt: skip
    newest = log.newest()
    assert newest is not None and (newest.job_id, newest.org_key, newest.bad, log.unseen) == ("750b", "uat", True, 2)
    assert newest.title == "UAT: Account insert stalled"
    log.seen()
    log.add((Event("ended", "DEV", job(f"750{n}", "Failed")) for n in range(KEPT + 10)), at=2.0, org_key="dev")
    assert len(log) == KEPT and log.total == KEPT + 12 and log.unseen == KEPT + 10
    assert next(iter(log)).job_id == "75010" and all(a.org == "DEV" for a in log)
