"""Helpers for driving the probe service (spiegel_dev.probe) from tests and benchmarks."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from typing import Any

from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import CoordinatorLoadInProgressError, GroupCoordinatorNotAvailableError
from pymongo import AsyncMongoClient
from spiegel_dev.probe import APPLIED, GROUP, tick
from spiegel_platform.storage.repository import TenantRepository

TENANT = "probe-hospital"


async def committed_events(bootstrap: str, topic: str, group: str = GROUP) -> int:
    """How many events of `topic` the probe consumer has applied and committed, read from Kafka.

    Cheap to poll often: counting the applied documents instead would cost FerretDB a
    scan of every one of them each time, competing with the flow being watched.
    """
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        offsets = await admin.list_consumer_group_offsets(group)
    except (GroupCoordinatorNotAvailableError, CoordinatorLoadInProgressError):
        return 0  # the group has no coordinator yet: nothing committed
    finally:
        await admin.close()
    return sum(meta.offset for tp, meta in offsets.items() if tp.topic == topic and meta.offset > 0)


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
        """Ticks applied per counter (one document per applied event)."""
        cursor = await self.db[APPLIED].aggregate(
            [{"$match": {"tenant_id": TENANT}}, {"$group": {"_id": "$counter", "n": {"$sum": 1}}}]
        )
        return {doc["_id"]: doc["n"] async for doc in cursor}

    async def applied_at(self) -> dict[int, int]:
        """When each tick was applied (time.time_ns of the consumer), by its sequence number."""
        repo = TenantRepository(self.db[APPLIED], TENANT)
        return {
            doc["sequence"]: doc["applied_ns"]
            for doc in await repo.find({}, projection={"sequence": 1, "applied_ns": 1})
        }

    async def pending_events(self) -> int:
        total = 0
        async for doc in self.db["ticks"].find({"_outbox": {"$exists": True, "$ne": {}}}, {"_outbox": 1}):
            total += len(doc["_outbox"])
        return total

    async def outbox_drained(self) -> bool:
        """Every event removed from its document. That follows its delivery, not at once: the relay
        removes an event after the broker confirmed it, and a pass cut off (by an outage, say)
        publishes its events again on the next pass before removing them."""
        return await self.pending_events() == 0

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
