"""The repository base cannot read or change another tenant's documents, whatever the filter."""

from __future__ import annotations

import pytest
from spiegel_platform.storage.repository import TenantRepository, TenantViolation

pytestmark = pytest.mark.integration


@pytest.fixture
async def two_tenants(db):  # type: ignore[no-untyped-def]
    a = TenantRepository(db["things"], "hospital-a")
    b = TenantRepository(db["things"], "hospital-b")
    await a.insert({"id": "x1", "name": "A's secret", "round_id": "r1"})
    await b.insert({"id": "x1", "name": "B's secret", "round_id": "r1"})
    await b.insert({"id": "x2", "name": "B only", "round_id": "r2"})
    return a, b


HOSTILE_FILTERS = [
    {},
    {"tenant_id": "hospital-b"},
    {"tenant_id": {"$ne": "hospital-a"}},
    {"tenant_id": {"$in": ["hospital-a", "hospital-b"]}},
    {"$or": [{"tenant_id": "hospital-b"}, {"name": "B only"}]},
    {"name": "B only"},
    {"id": "x2"},
    {"round_id": "r2"},
    {"$and": [{"tenant_id": "hospital-b"}]},
    {"name": {"$regex": "B"}},
]


@pytest.mark.parametrize("hostile", HOSTILE_FILTERS)
async def test_find_never_returns_another_tenants_document(two_tenants, hostile):  # type: ignore[no-untyped-def]
    a, _ = two_tenants
    found = await a.find(hostile)
    assert all(doc["tenant_id"] == "hospital-a" for doc in found)
    assert "B's secret" not in {d["name"] for d in found}
    assert await a.count(hostile) == len(found)


async def test_get_by_id_is_scoped(two_tenants):  # type: ignore[no-untyped-def]
    a, b = two_tenants
    assert (await a.get("x1"))["name"] == "A's secret"
    assert (await b.get("x1"))["name"] == "B's secret"
    assert await a.get("x2") is None
    assert await a.get("hospital-b:x2") is None


async def test_filter_by_raw_id_is_refused(two_tenants):  # type: ignore[no-untyped-def]
    a, _ = two_tenants
    with pytest.raises(TenantViolation):
        await a.find({"_id": "hospital-b:x2"})


async def test_updates_cannot_reach_or_move_documents(two_tenants):  # type: ignore[no-untyped-def]
    a, b = two_tenants
    assert await a.update("x2", {"$set": {"name": "hacked"}}) is None
    assert (await b.get("x2"))["name"] == "B only"
    for field in ("tenant_id", "_id", "id", "_outbox.x"):
        with pytest.raises(TenantViolation):
            await a.update("x1", {"$set": {field: "hospital-b"}})
    with pytest.raises(TenantViolation):
        await a.update("x1", {"$set": {"name": "x"}}, expect={"tenant_id": "hospital-b"})
    assert (await a.get("x1"))["tenant_id"] == "hospital-a"


async def test_apply_once_and_idempotent_stay_in_tenant(two_tenants):  # type: ignore[no-untyped-def]
    a, b = two_tenants
    assert await a.apply_once("x2", "e1", {"$inc": {"n": 1}})  # creates A's own x2
    assert await a.apply_once("x2", "e1", {"$inc": {"n": 1}}) is False
    assert (await a.get("x2"))["n"] == 1
    assert "n" not in await b.get("x2")
    await a.apply_idempotent("x1", "e2", {"$set": {"flag": True}})
    assert "flag" not in await b.get("x1")
    with pytest.raises(ValueError, match="not idempotent"):
        await a.apply_idempotent("x1", "e3", {"$inc": {"n": 1}})


async def test_insert_for_another_tenant_is_refused(two_tenants):  # type: ignore[no-untyped-def]
    a, _ = two_tenants
    with pytest.raises(TenantViolation):
        await a.insert({"id": "x9", "tenant_id": "hospital-b"})
    with pytest.raises(TenantViolation):
        await a.insert({"id": "x9", "_id": "hospital-b:x9"})


async def test_a_foreign_document_in_results_is_detected(db):  # type: ignore[no-untyped-def]
    # Even if a document of another tenant were stored under this tenant's key
    # (a bug elsewhere), the repository refuses to hand it out.
    await db["things"].insert_one({"_id": "hospital-a:evil", "id": "evil", "tenant_id": "hospital-b"})
    a = TenantRepository(db["things"], "hospital-a")
    with pytest.raises(TenantViolation):
        await a.get("evil")


def test_invalid_tenant_ids_are_refused(db):  # type: ignore[no-untyped-def]
    for bad in ("", "a:b"):
        with pytest.raises(TenantViolation):
            TenantRepository(db["things"], bad)


async def test_insert_many_skips_existing_ids_and_stays_in_the_tenant(two_tenants):  # type: ignore[no-untyped-def]
    a, b = two_tenants
    docs = [{"id": f"n{i}", "n": i} for i in range(120)] + [{"id": "x1", "name": "overwrite?"}]
    inserted = await a.insert_many(docs)
    assert inserted == [f"n{i}" for i in range(120)]
    assert (await a.get("x1"))["name"] == "A's secret"
    assert await b.get("n5") is None
    again = await a.insert_many([{"id": "n5"}, {"id": "fresh"}])
    assert again == ["fresh"]
    with pytest.raises(TenantViolation):
        await a.insert_many([{"id": "y", "tenant_id": "hospital-b"}])


async def test_update_many_by_id_touches_only_own_documents(two_tenants):  # type: ignore[no-untyped-def]
    a, b = two_tenants
    await a.update_many_by_id([("x1", {"$set": {"seen": True}}), ("x2", {"$set": {"seen": True}})])
    assert (await a.get("x1"))["seen"] is True
    assert "seen" not in (await b.get("x2"))
    await a.update_many_by_id([(f"u{i}", {"$set": {"v": i}}) for i in range(110)], upsert=True)
    assert (await a.get("u109"))["v"] == 109
    assert (await a.get("u109"))["tenant_id"] == "hospital-a"
    with pytest.raises(TenantViolation):
        await a.update_many_by_id([("x1", {"$set": {"tenant_id": "hospital-b"}})])


async def test_delete_many_by_id_deletes_only_own_documents(two_tenants):  # type: ignore[no-untyped-def]
    a, b = two_tenants
    await a.delete_many_by_id(["x1", "x2"])
    assert await a.get("x1") is None
    assert (await b.get("x1"))["name"] == "B's secret"
    assert (await b.get("x2"))["name"] == "B only"


async def test_insert_many_stores_each_documents_events_with_it(two_tenants):  # type: ignore[no-untyped-def]
    from spiegel.platform.v1 import events_pb2
    from spiegel_platform.events import new_event
    from spiegel_platform.events.outbox import HINTS_COLLECTION, hint_items

    a, _ = two_tenants

    def tick(n: int):  # type: ignore[no-untyped-def]
        payload = events_pb2.ProbeTicked(counter_id="c", sequence=n)
        return new_event(payload, tenant_id="hospital-a", producer="t")

    inserted = await a.insert_many(
        [{"id": "e1"}, {"id": "x1"}, {"id": "e2"}], events=[[tick(1)], [tick(2)], []]
    )
    assert inserted == ["e1", "e2"]
    raw = a.collection
    e1 = await raw.find_one({"_id": "hospital-a:e1"})
    x1 = await raw.find_one({"_id": "hospital-a:x1"})
    e2 = await raw.find_one({"_id": "hospital-a:e2"})
    assert len(e1["_outbox"]) == 1
    assert "_outbox" not in x1  # an existing document gets no events
    assert "_outbox" not in e2
    hinted = [
        item
        async for hint in raw.database[HINTS_COLLECTION].find({"c": raw.name})
        for item in hint_items(hint)
        if item["d"] == "hospital-a:e1"
    ]
    assert len(hinted) == 1 and len(hinted[0]["e"]) == 1  # the hint carries a copy of its event
