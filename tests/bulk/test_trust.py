"""What the protocol layer takes on trust, and what it does not, over real sockets: an id that is not a
Salesforce id is never put in a request path (it costs its own job only), a job read answered with
another job's record is refused, and a token endpoint down for a moment is a passing failure, not a
refused sign-in."""

from __future__ import annotations

import json

import pytest

from sfmonitor.bulk.auth import ClientCredentials
from sfmonitor.bulk.errors import AuthError, NotAnId, TokenUnavailable, TransportError, WrongRecord, transient
from sfmonitor.bulk.ids import in_path, is_salesforce_id, same_id
from sfmonitor.bulk.service import BulkService
from sfmonitor.bulk.transport import Transport
from sfmonitor.monitor.poller import Poller
from sfmonitor.simulator.api import JSON_V2, Reply
from sfmonitor.simulator.faults import FaultSpec
from sfmonitor.simulator.server import Simulator
from sfmonitor.ui.messages import PollFailed
from tests.conftest import find_job, make_sim

HOSTILE = "750\n\x1b]52;c;EVIL\x07"


@pytest.mark.parametrize(
    ("text", "is_id"),
    [("7505g0000000NPdAAM", True), ("7505g0000000NPd", True), ("7505g0000000NPdAA", False), ("", False),
     ("750\n5g0000000NPdAAM", False), ("7505g0000000NPdAAM\n", False), ("../../limits", False),
     ("\uff17\uff15\uff105g0000000NPdAAM", False), ("7505g 000000NPdAAM", False)],
)  # fmt: skip
def test_a_salesforce_id_is_15_or_18_ascii_letters_and_digits(text: str, is_id: bool) -> None:
    assert is_salesforce_id(text) is is_id
    if not is_id:
        with pytest.raises(NotAnId, match="is not a Salesforce id"):
            in_path(text)


def test_an_answer_for_a_15_character_id_may_name_its_18_character_form() -> None:
    assert same_id("7505g0000000NPd", "7505g0000000NPdAAM")
    assert same_id("7505g0000000npdaam", "7505g0000000NPdAAM")  # an 18-character id is case-safe
    assert not same_id("7505g0000000NPd", "7505g0000000NPeAAM")
    assert not same_id("7505g0000000NPdAAM", "7505g0000000NPeAAM")


def hostile_listing(sim: Simulator, copy_of: str) -> None:
    """The ingest listing also holds a row whose id is no id (a control character, an OSC 52 write)."""

    def add(method: str, path: str, query: str, reply: Reply) -> Reply:
        if method == "GET" and path.endswith("/jobs/ingest") and reply.status == 200:
            body = json.loads(reply.body)
            row = next(r for r in body["records"] if r["id"] == copy_of)
            body["records"].append({**row, "id": HOSTILE})
            return Reply(200, json.dumps(body).encode(), JSON_V2)
        return reply

    sim.api.rewrite = add


async def test_a_hostile_id_in_the_listing_costs_that_job_only_and_is_never_sent(
    sim: Simulator, service: BulkService
) -> None:
    hostile_listing(sim, find_job(sim, "ingest", "InProgress"))
    snapshot = await Poller(service).cycle()  # the dashboard's poll: no InvalidURL, no org-wide failure
    assert "is not a Salesforce id" in snapshot.errors[HOSTILE] and "\x1b" not in snapshot.errors[HOSTILE]
    assert HOSTILE in snapshot.jobs  # shown (inert, as the listing gave it), marked unread
    assert set(snapshot.errors) == {HOSTILE}  # every other job read
    assert not any("EVIL" in path or "%0A" in path for _, path, _ in list(sim.log))


async def test_a_job_read_answered_with_another_jobs_record_is_refused(sim: Simulator, service: BulkService) -> None:
    job = find_job(sim, "ingest", "InProgress")
    other = find_job(sim, "ingest", "JobComplete", running=False)
    classic = find_job(sim, "classic", "Closed")

    def swap(method: str, path: str, query: str, reply: Reply) -> Reply:
        if method == "GET" and path.endswith(f"/jobs/ingest/{job}") and reply.status == 200:
            body = json.loads(reply.body)
            return Reply(200, json.dumps({**body, "id": other, "state": "JobComplete"}).encode(), JSON_V2)
        if method == "GET" and path.endswith(f"/job/{classic}") and reply.status == 200:
            return Reply(200, reply.body.replace(classic.encode(), other.encode()), reply.content_type)
        return reply

    sim.api.rewrite = swap
    snapshot = await Poller(service).cycle()
    for asked in (job, classic):
        assert f"the org answered with the record of job {other}" in snapshot.errors[asked]
        assert snapshot.jobs[asked].id == asked and snapshot.jobs[asked].state != "JobComplete"
    with pytest.raises(WrongRecord):
        await service.find_job(job)


async def test_a_token_endpoint_down_for_a_moment_is_a_passing_failure_not_a_refused_sign_in() -> None:
    sim = make_sim(speed=60, faults=FaultSpec(expire_after=1))
    link = Transport(ClientCredentials(sim.base_url, "app", "secret"), retry_delay=0)
    try:
        service = BulkService(link)
        await service.connect()
        await service.limits()  # the token's one request
        sim.faults.fail_token_requests("503", "503", "drop", "drop")  # each renewal, and its one retry
        for _ in range(2):
            with pytest.raises(TokenUnavailable) as caught:
                await service.limits()
            assert isinstance(caught.value, TransportError) and not isinstance(caught.value, AuthError)
            assert transient(caught.value)  # tried again by every caller, as any passing failure
            failed = PollFailed.of(caught.value)
            assert not failed.sign_in and not failed.limit_reached  # the dashboard backs off, not 5 minutes
        assert await service.limits()  # the endpoint is back: renewed, read
        tokens = [status for _, path, status in list(sim.log) if path == "/services/oauth2/token"]
        assert tokens == [200, 503, 503, 0, 0, 200]
    finally:
        await link.aclose()
        sim.stop()


async def test_a_token_endpoint_that_refuses_is_still_a_refused_sign_in(sim: Simulator) -> None:
    with pytest.raises(AuthError) as caught:
        await ClientCredentials(sim.base_url, "", "secret").session()  # invalid_client_id: a person must act
    assert PollFailed.of(caught.value).sign_in


async def test_a_hostile_api_version_in_the_listing_costs_that_job_only(sim: Simulator, service: BulkService) -> None:
    classic = find_job(sim, "classic", "Closed")

    def version(method: str, path: str, query: str, reply: Reply) -> Reply:
        if method == "GET" and path.endswith(("/jobs/ingest", "/jobs/query")) and reply.status == 200:
            body = json.loads(reply.body)
            for row in body["records"]:
                if row["id"] == classic:
                    row["apiVersion"] = "5\x00x/../../limits"  # was: httpx.InvalidURL, the whole org "not connected"
            return Reply(200, json.dumps(body).encode(), JSON_V2)
        return reply

    sim.api.rewrite = version
    snapshot = await Poller(service).cycle()
    assert set(snapshot.errors) == {classic}
    assert "API version 5\\x00x/../../limits is not an API version (as 62.0); never asked" in snapshot.errors[classic]
    assert not any(classic in path for _, path, _ in list(sim.log))
