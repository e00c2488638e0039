"""The MongoDB client. Nothing connects at import; callers build it at start-up."""

from __future__ import annotations

from typing import Any

from pymongo import AsyncMongoClient
from pymongo.asynchronous.database import AsyncDatabase

from spiegel_platform.settings import MongoSettings

Document = dict[str, Any]

# FerretDB v1.24 (SQLite) hangs, and then blocks every later write, on an update
# or delete command with 100 or more statements; pymongo's own split is far
# larger. Every bulk write goes through `bulk_write_chunked`.
MAX_WRITE_STATEMENTS = 50


async def bulk_write_chunked(collection: Any, operations: list[Any]) -> None:
    for start in range(0, len(operations), MAX_WRITE_STATEMENTS):
        await collection.bulk_write(operations[start : start + MAX_WRITE_STATEMENTS], ordered=False)


def connect(settings: MongoSettings, *, app_name: str) -> AsyncMongoClient[Document]:
    return AsyncMongoClient(
        settings.mongodb_url,
        appname=app_name,
        serverSelectionTimeoutMS=settings.mongodb_timeout_ms,
        connectTimeoutMS=settings.mongodb_timeout_ms,
        tz_aware=True,
    )


def database(client: AsyncMongoClient[Document], settings: MongoSettings) -> AsyncDatabase[Document]:
    return client[settings.mongodb_database]


async def ping(db: AsyncDatabase[Document]) -> None:
    await db.command("ping")
