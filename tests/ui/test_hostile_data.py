"""Odd and hostile data from the org, over real sockets: unknown types and states, nulls, huge
numbers, very long and hostile strings, an XML entity bomb. Shown sensibly; nothing crashes."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from sfmonitor.simulator import api as sim_api
from sfmonitor.simulator import world as sim_world
from sfmonitor.simulator.server import Simulator
from sfmonitor.ui.screens.detail import JobDetailScreen
from sfmonitor.ui.widgets.job_fields import JobFields
from tests.cli.runner import Result, run_cli

from .helpers import cell, jobs_table, make_app, wait_for

HUGE = 10**18
LONG = "Very_Long_Object_Name__c" * 200
HOSTILE = "[bold]x[/bold]\x1b]0;title\x07\x1b[2J\u202eevil"
BOMB = (
    b'<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">'
    b'<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;"><!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">]>'
    b'<jobInfo xmlns="http://www.force.com/2009/06/asyncapi/dataload"><id>&d;</id></jobInfo>'
)


@pytest.fixture
def odd_org(sim: Simulator, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, str]]:
    """One ingest job of an unknown type and state, with null and huge counts and an unknown field;
    one JSON Bulk 1.0 job with a very long, hostile name; one XML Bulk 1.0 job answering a bomb."""
    with sim.world.lock:
        jobs = list(sim.world.jobs.values())
        odd = next(j for j in jobs if j.api == "ingest" and j.state == "JobComplete")
        hostile = next(j for j in jobs if j.api == "classic" and j.state == "Closed" and j.content_type == "CSV")
        bomb = next(j for j in jobs if j.api == "classic" and j.id != hostile.id and j.content_type != "JSON")
        hostile.content_type = "JSON"  # raw control characters only travel in JSON
        hostile.object = LONG + HOSTILE
    original_info = sim_world.Job.v2_info
    original_doc = sim_api.SalesforceApi.job_doc

    def v2_info(self: sim_world.Job, t: float, listing: bool = False) -> dict[str, Any]:
        out = original_info(self, t, listing)
        if self.id == odd.id:
            out.update(jobType="FutureIngest", state="Paused", shinyNewField={"nested": [1, 2]})
            if not listing:
                out.update(numberRecordsProcessed=None, numberRecordsFailed=HUGE, totalProcessingTime=HUGE)
        return out

    def job_doc(self: sim_api.SalesforceApi, job: sim_world.Job, t: float, as_json: bool, status: int = 200) -> Any:
        if job.id == bomb.id:
            return sim_api.Reply(status, BOMB, sim_api.XML)
        return original_doc(self, job, t, as_json, status)

    monkeypatch.setattr(sim_world.Job, "v2_info", v2_info)
    monkeypatch.setattr(sim_api.SalesforceApi, "job_doc", job_doc)
    yield {"odd": odd.id, "hostile": hostile.id, "bomb": bomb.id}


async def test_dashboard_shows_odd_data_sensibly(sim: Simulator, odd_org: dict[str, str]) -> None:
    app = make_app(sim)
    async with app.run_test(size=(200, 50)) as pilot:
        await wait_for(
            pilot,
            lambda: (
                app.org.state.polls_done
                and odd_org["odd"] in app.org.state.jobs
                and app.org.state.jobs[odd_org["odd"]].state == "Paused"
            ),
        )
        table = jobs_table(app)
        odd = odd_org["odd"]
        assert cell(table, odd, "state") == "Paused"
        assert cell(table, odd, "processed") == "-"
        assert cell(table, odd, "failed") == "1e18"  # huge: compact, not a misleading cut
        assert cell(table, odd_org["hostile"], "object").startswith("Very_Long_Obj")
        assert odd_org["bomb"] in app.org.state.errors and "not valid XML" in app.org.state.errors[odd_org["bomb"]]
        table.select(odd)
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, JobDetailScreen))
        await pilot.pause(0.2)
        shot = app.export_screenshot()
        assert "shinyNewField" in shot and "FutureIngest" in shot
        await pilot.press("escape")
        table.select(odd_org["hostile"])
        await pilot.press("enter")
        await wait_for(pilot, lambda: isinstance(app.screen, JobDetailScreen))
        await pilot.pause(0.2)
        shown = dict(app.screen.query_one(JobFields).pairs)
        assert shown["object"].endswith("[bold]x[/bold]\\x1b]0;title\\x07\\x1b[2J\\u202eevil")
        assert "\x1b" not in app.export_screenshot()


def _status(sim: Simulator, *args: str) -> Result:
    return run_cli(["status", *args], {"SF_INSTANCE_URL": sim.base_url, "SF_ACCESS_TOKEN": sim.token})


def test_status_table_is_inert_and_json_exact(sim: Simulator, odd_org: dict[str, str]) -> None:
    table = _status(sim)
    assert table.returncode == 9, table.stderr  # partial: the bomb job could not be read
    assert (
        table.stderr
        == f"sfmonitor: job {odd_org['bomb']}: not read: the body is not valid XML: entities are disabled (job info)\n"
    )
    assert "\x1b" not in table.stdout and "\x07" not in table.stdout and "\u202e" not in table.stdout
    assert "Very_Long_Obj" in table.stdout and max(len(line) for line in table.stdout.splitlines()) <= 120
    bomb_row = next(line for line in table.stdout.splitlines() if line.split()[2:3] == [odd_org["bomb"]])
    assert " ! " in bomb_row  # the row itself says it was not read
    assert "1 job could not be read" in table.stdout
    doc = json.loads(_status(sim, "--format", "json").stdout)
    by_id = {job["id"]: job for job in doc["jobs"]}
    assert by_id[odd_org["hostile"]]["object"] == LONG + HOSTILE  # the exact text, properly escaped
    odd = by_id[odd_org["odd"]]
    assert (odd["state"], odd["jobType"], odd["numberRecordsProcessed"]) == ("Paused", "FutureIngest", None)
    assert odd["numberRecordsFailed"] == HUGE and odd["shinyNewField"] == {"nested": [1, 2]}
    assert "not valid XML" in by_id[odd_org["bomb"]]["readError"]
    assert by_id[odd_org["odd"]]["readError"] is None
    assert [e["id"] for e in doc["errors"]] == [odd_org["bomb"]]


def test_status_of_the_bomb_job_fails_with_one_line(sim: Simulator, odd_org: dict[str, str]) -> None:
    result = _status(sim, "--job", odd_org["bomb"])
    assert result.returncode == 9
    assert "not valid XML" in result.stdout and "not valid XML" in result.stderr
