"""A realistic org, the same for the same seed: a week of finished loads, and loads running now.

Running now: Bulk 1.0 jobs with tens of batches (one a PK-chunked query whose original batch is
NotProcessed), Bulk 2.0 ingest jobs Open and InProgress with row failures, a query job; in the
past week: completed, aborted and failed jobs of every kind, one Failed with its message.
"""

from __future__ import annotations

import random

from .recipe import BatchSpec, classic_job, ingest_job, query_job
from .records import salesforce_id
from .world import Job, Plan, World

OBJECTS = ["Account", "Contact", "Opportunity", "Lead", "Case", "Invoice__c", "Order_Line__c", "Asset"]
APEX = {"Account": 0.35, "Contact": 0.4, "Opportunity": 0.25, "Case": 0.3}
FAILED_MESSAGE = "InvalidBatch : Field name not found : Customer_Number__c"
BATCH_FAILED_MESSAGE = "InvalidBatch : Failed to process query: UNABLE_TO_LOCK_ROW"


def _user(rng: random.Random) -> str:
    return salesforce_id("005", rng.choice((77, 78, 79, 80)))


def _v2_ingest(
    world: World,
    rng: random.Random,
    created: float,
    state: str,
    now: float,
    *,
    sobject: str = "",
    total: int = 0,
    rate: float = 0.0,
    operation: str = "",
    fail_permille: int = 0,
    fails: float = 0.0,
    retries_every: float = 0.0,
) -> Job:
    obj = sobject or rng.choice(OBJECTS)
    total = total or rng.choice((5_000, 20_000, 50_000, 120_000, 250_000))
    rate = rate or rng.uniform(150, 600)
    operation = operation or rng.choice(("insert", "update", "upsert", "insert", "delete"))
    api_version = rng.choice(("62.0", "64.0", "66.0"))
    user = _user(rng)
    return ingest_job(world, now, created=created, total=total, rate=rate, object=obj, operation=operation,
                      state=state, api_version=api_version, created_by=user, queue_delay=rng.uniform(5, 40),
                      fail_permille=fail_permille, fail_at=fails or None, fail_message=FAILED_MESSAGE if fails else "",
                      apex_share=APEX.get(obj, 0.0), retries_every=retries_every,
                      external_id="External_Id__c" if operation == "upsert" else "")  # fmt: skip


def _v2_query(world: World, rng: random.Random, created: float, now: float, total: int) -> Job:
    obj = rng.choice(("Account", "Contact", "Opportunity", "Case"))
    operation = rng.choice(("query", "query", "queryAll"))
    user = _user(rng)
    queue_delay = rng.uniform(2, 10)
    return query_job(world, now, created=created, object=obj, query=f"SELECT Id, Name FROM {obj}", total=total,
                     rate=rng.uniform(800, 3000), operation=operation, created_by=user,
                     queue_delay=queue_delay)  # fmt: skip


def _classic(
    world: World,
    rng: random.Random,
    created: float,
    now: float,
    batches: int,
    *,
    state: str = "Closed",
    operation: str = "",
    content_type: str = "",
    pk_chunks: int = 0,
    fail_one: bool = False,
) -> Job:
    drawn = rng.choice(OBJECTS)
    obj = "Account" if pk_chunks else drawn
    op = operation or rng.choice(("insert", "update", "upsert", "insert"))
    api_version = rng.choice(("47.0", "52.0", "58.0"))
    user = _user(rng)
    content_type = content_type or rng.choice(("CSV", "CSV", "XML", "JSON"))
    queue_delay = rng.uniform(3, 20)
    rate = rng.uniform(120, 420)
    specs = []
    if pk_chunks:
        query = b"SELECT Id, Name, Industry FROM Account"
        specs.append(BatchSpec(Plan(total=0, rate=rate), data=query, not_processed=True))
    for i in range(pk_chunks or batches):
        added = created + (0 if pk_chunks else i * rng.uniform(0.5, 3))
        size = 100_000 if pk_chunks else rng.choice((10_000, 10_000, 10_000, 7_500, 2_000))
        plan = Plan(
            total=size,
            rate=rate * (1.5 if pk_chunks else 1),
            fail_permille=0 if pk_chunks else rng.choice((0, 0, 2, 15)),
            apex_share=APEX.get(obj, 0.0),
        )
        if fail_one and i == 3:
            plan.fail_at = 0.3
            plan.fail_message = BATCH_FAILED_MESSAGE
        specs.append(BatchSpec(plan, added, data=query if pk_chunks else b"", results=1 if pk_chunks else 0))
    return classic_job(world, now, created=created, batches=specs, object=obj, operation=op, state=state,
                       api_version=api_version, created_by=user, content_type=content_type, queue_delay=queue_delay,
                       external_id="External_Id__c" if op == "upsert" else "",
                       pk_chunk_size=100_000 if pk_chunks else 0)  # fmt: skip


def seed_world(world: World) -> None:
    rng = random.Random(world.seed)
    now = world.clock.now()
    day = 86_400.0
    # sObjects a query can find.
    for i in range(2_500):
        rid = world.store.new_id("Account")
        world.store.table("Account")[rid] = {
            "Id": rid,
            "Name": f"Account {i:04d}",
            "Industry": rng.choice(("Energy", "Retail", "Banking", "Media")),
        }
    for i in range(800):
        rid = world.store.new_id("Contact")
        world.store.table("Contact")[rid] = {"Id": rid, "LastName": f"Contact {i:04d}", "Email": f"c{i}@example.com"}

    # A week of finished work.
    for _ in range(54):
        created = now - rng.uniform(0.2 * day, 6.8 * day)
        roll = rng.random()
        if roll < 0.38:
            _v2_ingest(world, rng, created, "UploadComplete", now, fail_permille=rng.choice((0, 0, 0, 3, 40)))
        elif roll < 0.55:
            _v2_query(world, rng, created, now, total=rng.choice((1_200, 40_000, 740_003)))
        elif roll < 0.9:
            _classic(world, rng, created, now, batches=rng.randint(1, 12))
        else:
            job = _v2_ingest(world, rng, created, "UploadComplete", now, total=300_000)
            job.state, job.finished_at = "Aborted", created + 600
            job.modstamp = job.finished_at
    _v2_ingest(world, rng, now - 1.5 * day, "UploadComplete", now, total=80_000, fails=0.42, sobject="Contact")
    aborted = _classic(world, rng, now - 2 * day, now - 2 * day + 120, batches=20, state="Open")
    world.remove(aborted.id)
    for batch in aborted.batches:
        if batch.state_at(now - 2 * day + 120) == "Queued":
            batch.override, batch.override_at = "NotProcessed", now - 2 * day + 120
    aborted.state, aborted.modstamp = "Aborted", now - 2 * day + 120
    world.add(aborted)

    # Running now.
    _classic(world, rng, now - 240, now, batches=40, state="Open", operation="insert", content_type="CSV")
    _classic(
        world, rng, now - 600, now, batches=26, state="Closed", operation="upsert", content_type="XML", fail_one=True
    )
    _classic(world, rng, now - 180, now, batches=0, state="Closed", operation="query", content_type="CSV", pk_chunks=12)
    _v2_ingest(world, rng, now - 90, "Open", now, sobject="Contact")
    _v2_ingest(
        world,
        rng,
        now - 420,
        "UploadComplete",
        now,
        total=400_000,
        rate=260,
        fail_permille=25,
        sobject="Account",
        retries_every=90,
    )
    _v2_ingest(
        world, rng, now - 150, "UploadComplete", now, total=150_000, rate=420, fail_permille=6, sobject="Opportunity"
    )
    _v2_ingest(world, rng, now - 20, "UploadComplete", now, total=60_000, rate=300, sobject="Lead")
    _v2_query(world, rng, now - 100, now, total=2_400_000)
    world.spawner = spawn_job


def spawn_job(world: World, t: float) -> None:
    """Another integration starts a load: keeps a long-running demo (or soak) alive."""
    rng = world.rng
    roll = rng.random()
    if roll < 0.45:
        _v2_ingest(
            world,
            rng,
            t,
            "UploadComplete",
            t,
            total=rng.choice((2_000, 10_000, 40_000)),
            fail_permille=rng.choice((0, 5, 30)),
        )
    elif roll < 0.65:
        _v2_query(world, rng, t, t, total=rng.choice((500, 20_000, 200_000)))
    else:
        _classic(world, rng, t, t, batches=rng.randint(2, 15))
