"""The fleet merges its orgs' jobs into one table's rows, without Textual."""

from __future__ import annotations

from sfmonitor.bulk.models import Job
from sfmonitor.monitor.board import SortMode
from sfmonitor.monitor.fleet import BACKFILL_FLOOR, Fleet
from sfmonitor.monitor.org import Org
from sfmonitor.monitor.poller import BACKFILL
from sfmonitor.monitor.schedule import Schedule


def job(job_id: str, day: int, state: str = "InProgress") -> Job:
    return Job.from_fields({"id": job_id, "jobType": "V2Ingest", "state": state, "object": "Account",
                            "operation": "insert", "createdDate": f"2026-11-{day:02d}T10:00:00.000+0000"})  # fmt: skip


def org(key: str, label: str, *jobs: Job) -> Org:
    made = Org(Schedule(5.0), key=key, label=label)
    made.state.jobs = {j.id: j for j in jobs}
    return made


def test_one_org_keys_rows_by_job_id_and_offers_no_org_sort() -> None:
    fleet = Fleet({"": org("", "", job("750A", 1))})
    fleet.refresh()
    assert list(fleet.jobs) == ["750A"] and fleet.locate("750A") == (fleet.first, "750A")
    assert SortMode.ORG not in fleet.sorts()
    fleet.index.set_filter("anything-but")
    assert not fleet.index.matching  # no org label to match in a one-org table


def test_several_orgs_merge_filter_sort_and_focus() -> None:
    prod = org("prod", "PROD", job("750A", 3), job("750S", 1, "JobComplete"))
    uat = org("uat", "UAT", job("750A", 2))  # the same id in another org: a row of its own
    fleet = Fleet({"prod": prod, "uat": uat})
    fleet.refresh()
    assert set(fleet.jobs) == {"prod/750A", "prod/750S", "uat/750A"}
    assert fleet.locate("uat/750A") == (uat, "750A") and fleet.locate("gone/750A") is None
    assert fleet.index.shown(10)[0] == ["prod/750A", "uat/750A", "prod/750S"]  # running first, newest first

    while fleet.index.sort is not SortMode.ORG:
        fleet.next_sort()
    assert fleet.index.shown(10)[0] == ["prod/750A", "prod/750S", "uat/750A"]

    fleet.index.set_filter("uat")  # the org's label, as /uat
    assert fleet.index.shown(10) == (["uat/750A"], 1)
    fleet.index.set_filter("")

    assert fleet.cycle_focus() == "prod" and set(fleet.jobs) == {"prod/750A", "prod/750S"}
    assert fleet.cycle_focus() == "uat" and set(fleet.jobs) == {"uat/750A"}
    assert fleet.cycle_focus() is None and len(fleet.jobs) == 3

    uat.state.jobs = {"750A": job("750A", 2, "JobComplete")}  # a poll of one org: only its rows move
    fleet.refresh()
    assert fleet.jobs["uat/750A"].finished and "uat/750A" not in fleet.index.running


def test_one_orgs_poll_merges_only_its_rows() -> None:
    prod = org("prod", "PROD", job("750A", 3))
    uat = org("uat", "UAT", job("750B", 2), job("750C", 1))
    fleet = Fleet({"prod": prod, "uat": uat})
    fleet.refresh()
    prod.state.jobs = {"750Z": job("750Z", 4)}  # changed, but its poll is not in yet
    uat.state.jobs = {"750B": job("750B", 2, "Failed")}  # 750C left the org
    fleet.refresh(uat)
    assert set(fleet.jobs) == {"prod/750A", "uat/750B"}  # prod as last merged
    assert fleet.index.shown(10)[0] == ["prod/750A", "uat/750B"] and "uat/750B" not in fleet.index.running
    fleet.refresh(prod)
    assert set(fleet.jobs) == {"prod/750Z", "uat/750B"}
    assert fleet.index.shown(10)[0] == ["prod/750Z", "uat/750B"]


def test_orgs_share_one_orgs_backfill() -> None:
    alone = Fleet({"a": org("a", "A")})
    assert alone.first.backfill == BACKFILL
    ten = Fleet({f"o{n}": org(f"o{n}", f"O{n}") for n in range(10)})
    assert all(o.backfill == BACKFILL // 10 for o in ten)
    many = Fleet({f"o{n}": org(f"o{n}", f"O{n}") for n in range(50)})
    assert all(o.backfill == BACKFILL_FLOOR for o in many)
