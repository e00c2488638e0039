"""Helpers for driving the probe service (spiegel_dev.probe) from tests and benchmarks."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from typing import Any

from pymongo import AsyncMongoClient
from spiegel_dev.probe import tick
from spiegel_platform.storage.repository import TenantRepository

TENANT = "probe-hospital"


class ProbeWorld:
    """The probe's database seen from the test: writes ticks, reads counters."""

    def __init__(self, mongodb_url: str, database: str) -> None:
        self.client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(mongodb_url, tz_aware=True)
        self.db = self.client[database]
        self.expected: Counter[str] = Counter()
        self._seq = 0

    async def write_ticks(self, count: int, counters: int = 10, *, batch: int = 1) -> None:
        """The application side: each tick is a state change with its event, one atomic write."""
        repo = TenantRepository(self.db["ticks"], TENANT)
        pending: list[tuple[dict[str, Any], list[Any]]] = []
        for _ in range(count):
            self._seq += 1
            counter = f"c{self._seq % counters}"
            self.expected[counter] += 1
            event = tick(TENANT, counter, self._seq)
            pending.append(({"id": f"t{self._seq}", "counter": counter}, [event]))
            if len(pending) >= batch:
                await self._flush(repo, pending)
                pending = []
        if pending:
            await self._flush(repo, pending)

    @staticmethod
    async def _flush(repo: TenantRepository, pending: list[tuple[dict[str, Any], list[Any]]]) -> None:
        if len(pending) == 1:
            await repo.insert(*pending[0])
        else:
            await repo.insert_many([doc for doc, _ in pending], [events for _, events in pending])

    async def counts(self) -> dict[str, int]:
        repo = TenantRepository(self.db["counters"], TENANT)
        return {
            doc["id"]: len(doc.get("ticks", {}))
            for doc in await repo.find({}, projection={"ticks": 1, "id": 1})
        }

    async def pending_events(self) -> int:
        total = 0
        async for doc in self.db["ticks"].find({"_outbox": {"$exists": True, "$ne": {}}}, {"_outbox": 1}):
            total += len(doc["_outbox"])
        return total

    async def wait_for_counts(self, timeout: float) -> dict[str, int]:
        deadline = time.monotonic() + timeout
        counts: dict[str, int] = {}
        while time.monotonic() < deadline:
            counts = await self.counts()
            if counts == dict(self.expected):
                return counts
            await asyncio.sleep(0.5)
        return counts

    async def close(self) -> None:
        await self.client.drop_database(self.db.name)
        await self.client.close()
