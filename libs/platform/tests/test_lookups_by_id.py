"""A filter naming `_id` among other conditions (a conditional update, an idempotent apply):
the right document or none, and on the local FerretDB a lookup by its primary key rather than
a read of the whole collection (patch 3 of FERRETDB_PATCHES)."""

from __future__ import annotations

from typing import Any

import pytest
from pymongo import AsyncMongoClient, ReturnDocument

pytestmark = pytest.mark.integration


@pytest.fixture
async def docs(stack, unique):  # type: ignore[no-untyped-def]
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(stack.mongodb_url)
    collection = client[f"byid_{unique}"]["docs"]
    await collection.insert_many(
        [
            {"_id": f"t:{n}", "tenant_id": "t", "status": "draft" if n % 2 else "open", "n": n}
            for n in range(60)
        ]
    )
    yield collection
    await client.drop_database(f"byid_{unique}")
    await client.close()


async def test_every_condition_beside_the_id_still_holds(docs) -> None:  # type: ignore[no-untyped-def]
    assert (await docs.find_one({"_id": "t:7", "tenant_id": "t", "status": "draft"}))["n"] == 7
    assert await docs.find_one({"_id": "t:7", "status": "open"}) is None
    assert await docs.find_one({"_id": "t:7", "tenant_id": "other"}) is None
    assert await docs.find_one({"_id": "t:7", "$or": [{"n": 7}, {"n": 8}]}) is not None
    assert await docs.find_one({"_id": "t:7", "$or": [{"n": 8}, {"n": 9}]}) is None
    assert await docs.count_documents({"_id": "t:7", "status": "draft"}) == 1
    assert await docs.count_documents({"_id": "t:7", "status": "open"}) == 0
    assert await docs.count_documents({"status": "draft"}) == 30  # no `_id`: every document is read


async def test_conditional_writes_touch_only_the_named_document(docs) -> None:  # type: ignore[no-untyped-def]
    refused = await docs.update_one({"_id": "t:3", "status": "open"}, {"$set": {"status": "closed"}})
    assert refused.matched_count == 0
    done = await docs.update_one({"_id": "t:3", "status": "draft"}, {"$set": {"status": "closed"}})
    assert done.modified_count == 1
    assert await docs.count_documents({"status": "closed"}) == 1

    marker = "_applied.event-1"
    first = await docs.update_one({"_id": "t:4", marker: {"$exists": False}}, {"$set": {marker: True}})
    again = await docs.update_one({"_id": "t:4", marker: {"$exists": False}}, {"$set": {marker: True}})
    assert (first.modified_count, again.modified_count) == (1, 0)

    after = await docs.find_one_and_update(
        {"_id": "t:5", "n": 5}, {"$inc": {"n": 100}}, return_document=ReturnDocument.AFTER
    )
    assert after is not None and after["n"] == 105
    assert await docs.find_one_and_update({"_id": "t:5", "n": 5}, {"$inc": {"n": 100}}) is None

    assert (await docs.delete_one({"_id": "t:6", "status": "draft"})).deleted_count == 0
    assert (await docs.delete_one({"_id": "t:6", "status": "open"})).deleted_count == 1
    assert await docs.count_documents({}) == 59

    upserted = await docs.update_one({"_id": "t:new", "status": "draft"}, {"$set": {"n": -1}}, upsert=True)
    assert upserted.upserted_id == "t:new"
    assert (await docs.find_one({"_id": "t:new"}))["status"] == "draft"


async def test_ferretdb_looks_the_document_up_by_its_primary_key(docs) -> None:  # type: ignore[no-untyped-def]
    info = await docs.database.command("buildInfo")
    if "ferretdbVersion" not in info:
        pytest.skip("not the local FerretDB (MongoDB plans this with its own _id index)")
    explained = await docs.database.command(
        "explain", {"find": docs.name, "filter": {"_id": "t:7", "status": "draft"}}
    )
    assert explained["filterPushdown"] is True
    plan = " ".join(explained["queryPlanner"]["Plan"])
    assert "SEARCH" in plan and "SCAN" not in plan, plan
    without_id = await docs.database.command("explain", {"find": docs.name, "filter": {"status": "draft"}})
    assert without_id["filterPushdown"] is False
