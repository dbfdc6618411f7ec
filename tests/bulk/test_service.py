"""The Bulk API client against the simulator, over real sockets."""

from __future__ import annotations

import httpx
import pytest

from sfmonitor.bulk.auth import OrgSession, Secret, StaticToken, check_instance_url
from sfmonitor.bulk.errors import AuthError, ConfigError, IllegalAction, InvalidJobState, NotFound, TransportError
from sfmonitor.bulk.models import Action, Job, JobKind
from sfmonitor.bulk.service import BulkService
from sfmonitor.bulk.transport import Transport
from sfmonitor.simulator.faults import FaultSpec
from sfmonitor.simulator.server import Simulator
from tests.conftest import make_sim


def _running(jobs: dict[str, Job], kind: JobKind, state: str) -> Job:
    return next(j for j in jobs.values() if j.kind is kind and j.state == state)


async def test_newest_api_version_is_used(service: BulkService) -> None:
    assert service.api_version == "66.0"


async def test_listing_merges_both_listings_and_pages(service: BulkService, sim: Simulator) -> None:
    sim.api.page_size = 7  # force many pages
    jobs = await service.list_jobs()
    with sim.world.lock:
        expected = set(sim.world.jobs)
    assert set(jobs) == expected  # every job once, Classic ones listed in both
    kinds = {j.kind for j in jobs.values()}
    assert kinds == {JobKind.CLASSIC, JobKind.INGEST, JobKind.QUERY}
    paths = [p for _, p, _ in sim.log if p.endswith(("/jobs/ingest", "/jobs/query"))]
    assert len(paths) >= len(expected) // 7


async def test_classic_refresh_brings_batches_with_pk_chunk_original(service: BulkService) -> None:
    jobs = await service.list_jobs()
    pk = next(j for j in jobs.values() if j.kind is JobKind.CLASSIC and j.operation == "query" and not j.finished
              and j.state == "Closed")  # fmt: skip
    fresh = await service.refresh(pk)
    assert fresh.batches is not None and len(fresh.batches) == 13
    assert fresh.batches[0].state == "NotProcessed"
    assert fresh.number_batches_total == 13
    assert isinstance(fresh.number_records_processed, int)
    assert fresh.content_type == "CSV"


async def test_v2_refresh_brings_counts(service: BulkService) -> None:
    jobs = await service.list_jobs()
    running = _running(jobs, JobKind.INGEST, "InProgress")
    assert running.number_records_processed is None  # listings carry no counts
    fresh = await service.refresh(running)
    assert fresh.number_records_processed is not None and fresh.number_records_processed > 0
    assert fresh.total_processing_time is not None


async def test_api_usage_read_from_every_response(service: BulkService, sim: Simulator) -> None:
    await service.list_jobs()
    usage = service.transport.api_usage
    assert usage is not None
    with sim.world.lock:
        assert usage.used == sim.world.api_used
    assert usage.max == 100_000


async def test_gzip_is_asked_for_and_used(service: BulkService, sim: Simulator) -> None:
    response = await service.transport.request("GET", f"/services/data/v{service.api_version}/jobs/ingest")
    assert response.extensions["wire_encoding"] == "gzip"
    assert response.json()["records"]


@pytest.mark.parametrize(
    ("kind", "state", "action", "server_state"),
    [
        (JobKind.INGEST, "Open", Action.CLOSE, "UploadComplete"),
        (JobKind.INGEST, "InProgress", Action.ABORT, "Aborted"),
        (JobKind.QUERY, "InProgress", Action.ABORT, "Aborted"),
        (JobKind.CLASSIC, "Open", Action.CLOSE, "Closed"),
        (JobKind.CLASSIC, "Closed", Action.ABORT, "Aborted"),
    ],
)
async def test_close_and_abort_send_the_right_request_once(
    service: BulkService, sim: Simulator, kind: JobKind, state: str, action: Action, server_state: str
) -> None:
    jobs = await service.list_jobs()
    candidates = [await service.refresh(j) for j in jobs.values() if j.kind is kind and j.state == state]
    job = next(j for j in candidates if not j.finished)
    before = len(sim.log)
    done = await service.act(job, action)
    sent = list(sim.log)[before:]
    assert len(sent) == 1
    method, path, status = sent[0]
    if kind is JobKind.CLASSIC:
        assert (method, path) == ("POST", f"/services/async/{job.api_version}/job/{job.id}")
    else:
        listing = "ingest" if kind is JobKind.INGEST else "query"
        assert (method, path) == ("PATCH", f"/services/data/v66.0/jobs/{listing}/{job.id}")
    assert status == 200
    assert done.state == server_state
    with sim.world.lock:
        assert sim.world.jobs[job.id].state == server_state


async def test_classic_json_job_gets_a_json_state_body(fast_sim: Simulator) -> None:
    async with Transport(StaticToken(fast_sim.base_url, fast_sim.token)) as transport:
        service = BulkService(transport, "62.0")
        created = await transport.request(
            "POST",
            "/services/async/62.0/job",
            content=b'{"operation": "insert", "object": "Account", "contentType": "JSON"}',
            content_type="application/json",
        )
        job_id = created.json()["id"]
        job = await service.find_job(job_id)
        assert job.kind is JobKind.CLASSIC and job.content_type == "JSON"
        closed = await service.act(job, Action.CLOSE)
        assert closed.state == "Closed"


async def test_illegal_transitions_are_refused_locally_without_a_request(service: BulkService, sim: Simulator) -> None:
    jobs = await service.list_jobs()
    query = _running(jobs, JobKind.QUERY, "InProgress")
    finished = next(j for j in jobs.values() if j.kind is JobKind.INGEST and j.state == "JobComplete")
    before = len(sim.log)
    with pytest.raises(IllegalAction, match="query job cannot be closed"):
        await service.act(query, Action.CLOSE)
    with pytest.raises(IllegalAction, match="finished"):
        await service.act(finished, Action.ABORT)
    assert len(sim.log) == before


async def test_server_refusal_reports_its_code_and_message(service: BulkService, sim: Simulator) -> None:
    jobs = await service.list_jobs()
    job = await service.refresh(_running(jobs, JobKind.INGEST, "Open"))
    with sim.world.lock:  # someone else closed it meanwhile; our copy still says Open
        sim.world.jobs[job.id].state = "Aborted"
    with pytest.raises(InvalidJobState) as caught:
        await service.act(job, Action.CLOSE)
    assert caught.value.code == "INVALIDJOBSTATE"
    assert caught.value.message == "Closing already Aborted Job not allowed"


async def test_find_job_probes_each_api(service: BulkService) -> None:
    jobs = await service.list_jobs()
    for kind in JobKind:
        listed = next(j for j in jobs.values() if j.kind is kind)
        found = await service.find_job(listed.id)
        assert found.kind is kind and found.id == listed.id
    with pytest.raises(NotFound):
        await service.find_job("750000000000000AAA")


async def test_limits(service: BulkService) -> None:
    limits = await service.limits()
    assert limits["DailyBulkApiBatches"].max == 15_000
    assert 0 <= limits["DailyBulkApiBatches"].remaining <= 15_000


class _Renewing:
    """A token source that renews through the simulator's OAuth endpoint, as `sf` would."""

    description = "test source"

    def __init__(self, sim: Simulator) -> None:
        self.sim = sim
        self.renewals = 0
        self.current = OrgSession(sim.base_url, Secret(sim.token))

    async def session(self) -> OrgSession:
        return self.current

    async def renew(self) -> OrgSession:
        self.renewals += 1
        async with httpx.AsyncClient() as client:
            answer = await client.post(
                f"{self.sim.base_url}/services/oauth2/token",
                data={"grant_type": "client_credentials", "client_id": "x", "client_secret": "y"},
            )
        self.current = OrgSession(self.sim.base_url, Secret(answer.json()["access_token"]))
        return self.current


async def test_expired_token_is_renewed_once_and_request_retried() -> None:
    sim = make_sim(speed=60, faults=FaultSpec(expire_after=3))
    try:
        source = _Renewing(sim)
        async with Transport(source) as transport:
            service = BulkService(transport)
            await service.connect()
            jobs = await service.list_jobs()  # 2 listing calls
            classic = next(j for j in jobs.values() if j.kind is JobKind.CLASSIC)
            await service.refresh(classic)  # Bulk 1.0: 400 InvalidSessionId -> renew -> retry
            assert source.renewals == 1
            for _ in range(4):
                await service.list_jobs()  # Bulk 2.0: 401 INVALID_SESSION_ID on the way
            assert source.renewals >= 2
            statuses = [s for _, _, s in sim.log]
            assert 401 in statuses and 400 in statuses
    finally:
        sim.stop()


async def test_expired_static_token_is_a_clear_error() -> None:
    sim = make_sim(speed=60, faults=FaultSpec(expire_after=1))
    try:
        async with Transport(StaticToken(sim.base_url, sim.token)) as transport:
            service = BulkService(transport, "66.0")
            with pytest.raises(AuthError, match="expired"):
                for _ in range(3):
                    await service.list_jobs()
    finally:
        sim.stop()


def test_plain_http_only_for_loopback() -> None:
    assert check_instance_url("http://127.0.0.1:8377/") == "http://127.0.0.1:8377"
    assert check_instance_url("http://localhost:1") == "http://localhost:1"
    assert check_instance_url("http://[::1]:1") == "http://[::1]:1"
    assert check_instance_url("https://acme.my.salesforce.com") == "https://acme.my.salesforce.com"
    with pytest.raises(ConfigError, match="plain http"):
        check_instance_url("http://acme.my.salesforce.com")
    with pytest.raises(ConfigError, match="plain http"):
        check_instance_url("http://10.0.0.5")
    with pytest.raises(ConfigError):
        check_instance_url("ftp://x")


async def test_tls_with_ca_bundle_and_verification_on() -> None:
    sim = make_sim(speed=60, tls=True)
    try:
        assert sim.base_url.startswith("https://")
        async with Transport(StaticToken(sim.base_url, sim.token), verify=str(sim.cert_path)) as transport:
            service = BulkService(transport)
            assert await service.connect() == "66.0"
        async with Transport(StaticToken(sim.base_url, sim.token)) as untrusting:
            with pytest.raises(TransportError):
                await BulkService(untrusting).connect()
    finally:
        sim.stop()


def test_secret_never_prints_itself() -> None:
    secret = Secret("00Dxx!supersecret")
    assert "supersecret" not in repr(secret) and "supersecret" not in str(secret)
    assert "supersecret" not in repr(OrgSession("https://x", secret))
