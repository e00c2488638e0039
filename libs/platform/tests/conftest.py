from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from pymongo import AsyncMongoClient
from spiegel_dev.servers import Stack


@pytest.fixture
async def db(stack: Stack, unique: str) -> AsyncIterator[object]:
    client: AsyncMongoClient[dict[str, object]] = AsyncMongoClient(stack.mongodb_url, tz_aware=True)
    database = client[f"platform_{unique}"]
    try:
        yield database
    finally:
        await client.drop_database(database.name)
        await client.close()
