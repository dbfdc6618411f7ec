"""One face for the rest of the program: list jobs, refresh a job, close, abort, limits.

The dashboard, ``status``, ``close`` and ``abort`` all go through here, so a protocol fix lands
everywhere at once.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from . import v1, v2
from .errors import (
    ActionOutcomeUnknown,
    ApiError,
    BulkError,
    IllegalAction,
    NotFound,
    ProtocolError,
    TransportError,
)
from .models import Action, Batch, Job, JobKind, Limit, api_version_text
from .transport import Transport, json_body

LISTINGS = (JobKind.INGEST, JobKind.QUERY)  # the two job listings (Bulk 1.0 jobs appear in them too)

log = logging.getLogger(__name__)

DEFAULT_API_VERSION = "62.0"
USERINFO_PATH = "/services/oauth2/userinfo"


class BulkService:
    def __init__(self, transport: Transport, api_version: str | None = None) -> None:
        self.transport = transport
        self._requested_version = api_version_text(api_version) if api_version else None
        self.api_version: str = self._requested_version or DEFAULT_API_VERSION
        self.pages: dict[JobKind, int] = {}  # listing -> pages it took last time

    @property
    def instance_url(self) -> str:
        return self.transport.session.instance_url

    @property
    def username(self) -> str | None:
        return self.transport.session.username

    async def connect(self) -> str:
        """Open the transport and settle the API version: ``--api-version``, else the org's newest."""
        await self.transport.open()
        if self._requested_version is None:
            self.api_version = await self.newest_version()
        return self.api_version

    async def newest_version(self) -> str:
        response = await self.transport.request("GET", "/services/data/")
        body = json_body(response)
        versions = (
            [api_version_text(v.get("version")) for v in body if isinstance(v, dict)] if isinstance(body, list) else []
        )
        numbers = [v for v in versions if v and _as_float(v) is not None]
        if not numbers:
            raise ProtocolError("GET /services/data/ listed no API versions")
        return max(numbers, key=lambda v: _as_float(v) or 0.0)

    # --- reading --------------------------------------------------------------------------

    async def list_jobs(
        self, kinds: tuple[JobKind, ...] = LISTINGS, on_page: Callable[[list[Job]], None] | None = None
    ) -> dict[str, Job]:
        """Every job of the org from these listings (both: all of them), merged by id (a Classic job
        may be in both). ``pages[kind]`` says how many pages each listing took last time;
        ``on_page`` is handed each page's jobs as it arrives (before the listing goes on)."""
        jobs: dict[str, Job] = {}
        for kind in kinds:
            pages = 0
            async for page in v2.list_pages(self.transport, self.api_version, kind):
                pages += 1
                for job in page:
                    jobs[job.id] = jobs[job.id].merged(job) if job.id in jobs else job
                if on_page is not None:
                    on_page(page)
            self.pages[kind] = pages
        return jobs

    @property
    def listing_pages(self) -> int:
        """How many pages a full listing took, by the last read of each."""
        return sum(self.pages.values())

    async def refresh(self, job: Job, with_batches: bool = True) -> Job:
        """The job read again from its own API; Classic jobs bring their batch list too."""
        if job.kind is JobKind.CLASSIC:
            version = job.api_version or self.api_version
            info = await v1.job_info(self.transport, version, job.id)
            if with_batches:
                info = info.with_batches(await v1.batch_list(self.transport, version, job.id))
            return job.merged(info)
        return job.merged(await v2.job_info(self.transport, self.api_version, job))

    async def batches(self, job: Job) -> tuple[Batch, ...]:
        """A Bulk 1.0 job's batch list."""
        return await v1.batch_list(self.transport, job.api_version or self.api_version, job.id)

    async def find_job(self, job_id: str) -> Job:
        """A job known only by id: ask each API in turn (ingest, query, then Bulk 1.0)."""
        for kind in (JobKind.INGEST, JobKind.QUERY):
            probe = Job.from_fields({"id": job_id}, listed_as=kind)
            try:
                found = await v2.job_info(self.transport, self.api_version, probe)
            except NotFound:
                continue
            if found.kind is JobKind.CLASSIC:
                return await self.refresh(found)
            return found
        try:
            classic = await v1.job_info(self.transport, self.api_version, job_id)
        except ApiError as exc:
            if isinstance(exc, NotFound) or exc.code.lower() in ("invalidjob", "invalidurl"):
                raise NotFound(404, "NOT_FOUND", f"no job {job_id} in this org") from None
            raise
        return await self.refresh(classic)

    async def signed_in_as(self) -> str:
        """The user the token belongs to, as the org says it: ``preferred_username`` of
        ``GET /services/oauth2/userinfo`` (one request; it also proves the org accepts the token)."""
        response = await self.transport.request("GET", USERINFO_PATH)
        body = json_body(response)
        name = body.get("preferred_username") if isinstance(body, dict) else None
        if not isinstance(name, str) or not name.strip():
            raise ProtocolError(f"GET {USERINFO_PATH} named no user (no preferred_username)")
        return name

    async def is_sandbox(self) -> bool | None:
        """``Organization.IsSandbox`` (one REST query), or None when it cannot be read (then the org is
        treated as production: the careful answer)."""
        try:
            response = await self.transport.request(
                "GET", f"/services/data/v{self.api_version}/query", params={"q": "SELECT IsSandbox FROM Organization"}
            )
            records = json_body(response).get("records")
            value = records[0].get("IsSandbox") if isinstance(records, list) and records else None
        except (BulkError, AttributeError, TypeError) as exc:
            log.info("Organization.IsSandbox not read: %s", exc)
            return None
        return value if isinstance(value, bool) else None

    async def limits(self) -> dict[str, Limit]:
        response = await self.transport.request("GET", f"/services/data/v{self.api_version}/limits")
        body = json_body(response)
        out: dict[str, Limit] = {}
        if isinstance(body, dict):
            for name, entry in body.items():
                if (
                    isinstance(entry, dict)
                    and isinstance(entry.get("Max"), int)
                    and isinstance(entry.get("Remaining"), int)
                ):
                    out[name] = Limit(entry["Max"], entry["Remaining"])
        return out

    # --- acting ---------------------------------------------------------------------------

    async def act(self, job: Job, action: Action) -> Job:
        """Close or abort ``job`` with the request its API needs, sent once.

        Illegal transitions are refused here, before any request. If the answer is lost (no
        response, a gateway error, a garbled body) the request is *not* sent again: the job is
        read back and :class:`ActionOutcomeUnknown` says what the org now reports.
        """
        reason = job.refusal(action)
        if reason is not None:
            raise IllegalAction(f"cannot {action.value} job {job.id}: {reason}")
        state = "Aborted" if action is Action.ABORT else ("Closed" if job.kind is JobKind.CLASSIC else "UploadComplete")
        try:
            if job.kind is JobKind.CLASSIC:
                answered = await v1.set_state(self.transport, job.api_version or self.api_version, job, state)
            else:
                answered = await v2.set_state(self.transport, self.api_version, job, state)
        except (TransportError, ProtocolError) as exc:
            raise await self._unknown(job, action, str(exc)) from None
        except ApiError as exc:
            if not exc.transient:
                raise
            raise await self._unknown(job, action, str(exc)) from None
        return job.merged(answered)

    async def _unknown(self, job: Job, action: Action, why: str) -> ActionOutcomeUnknown:
        log.warning("%s of %s: outcome unknown (%s); reading the job back", action.value, job.id, why)
        try:
            now = await self.refresh(job, with_batches=False)
            seen = f"the org now reports it {now.state}"
        except BulkError as exc:
            seen = f"reading it back failed too ({exc})"
        return ActionOutcomeUnknown(
            f"the {action.value} request for job {job.id} got no clear answer ({why}); {seen}. "
            "It was not sent again: check the job before retrying."
        )


def _as_float(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None
