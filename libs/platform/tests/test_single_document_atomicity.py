"""Single-document writes are atomic, also on the local FerretDB (see FERRETDB_PATCHES):
the outbox design and every `expect=` condition rely on it."""

from __future__ import annotations

import asyncio

import pytest
from pymongo import AsyncMongoClient

pytestmark = pytest.mark.integration


async def test_concurrent_updates_of_one_document_lose_nothing(stack, unique):  # type: ignore[no-untyped-def]
    clients = [AsyncMongoClient(stack.mongodb_url) for _ in range(6)]
    try:
        collections = [c[f"atomic_{unique}"]["docs"] for c in clients]
        await collections[0].insert_one({"_id": "d", "n": 0})

        async def writer(index: int) -> None:
            col = collections[index]
            for step in range(40):
                await col.update_one({"_id": "d"}, {"$inc": {"n": 1}, "$set": {f"w{index}.s{step}": True}})
                await col.find_one_and_update({"_id": "d"}, {"$inc": {"n": 1}})

        await asyncio.gather(*(writer(i) for i in range(6)))
        doc = await collections[0].find_one({"_id": "d"})
        assert doc["n"] == 6 * 40 * 2
        assert all(len(doc[f"w{i}"]) == 40 for i in range(6))
    finally:
        await clients[0].drop_database(f"atomic_{unique}")
        for client in clients:
            await client.close()


async def test_a_condition_decides_exactly_one_of_many_concurrent_writers(stack, unique):  # type: ignore[no-untyped-def]
    clients = [AsyncMongoClient(stack.mongodb_url) for _ in range(8)]
    try:
        collections = [c[f"atomic_{unique}"]["docs"] for c in clients]
        await collections[0].insert_one({"_id": "r", "status": "open"})
        results = await asyncio.gather(
            *(
                col.update_one({"_id": "r", "status": "open"}, {"$set": {"status": "closed", "by": i}})
                for i, col in enumerate(collections)
            )
        )
        assert sum(r.modified_count for r in results) == 1
    finally:
        await clients[0].drop_database(f"atomic_{unique}")
        for client in clients:
            await client.close()
