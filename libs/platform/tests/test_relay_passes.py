"""How the relay reads its hints: a backlog is taken about `batch_size` events at a time, in order.

The database is the real FerretDB; the producer is a small fake that acknowledges at
once (these tests are about which hints a pass reads, not about Kafka, which the
event-bus tests in tests/eventbus cover with the real broker).
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from spiegel.platform.v1 import events_pb2
from spiegel_platform.events import new_event
from spiegel_platform.events.envelope import decode
from spiegel_platform.events.outbox import HINTS_COLLECTION, OutboxRelay, hint_items, write_hints
from spiegel_platform.storage.repository import TenantRepository

pytestmark = pytest.mark.integration


class AckingProducer:
    """Records what is sent and acknowledges it at once."""

    def __init__(self) -> None:
        self.sent: list[bytes] = []

    async def send(self, topic: str, *, value: bytes, **kwargs: Any) -> asyncio.Future[None]:
        self.sent.append(value)
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        done.set_result(None)
        return done


def tick(n: int):  # type: ignore[no-untyped-def]
    return new_event(events_pb2.ProbeTicked(counter_id="c", sequence=n), tenant_id="hospital-a", producer="t")


async def test_a_backlog_is_published_a_batch_at_a_time_oldest_first(db):  # type: ignore[no-untyped-def]
    repo = TenantRepository(db["ticks"], "hospital-a")
    for start in range(0, 2000, 50):  # 40 hints of 50 events each
        await repo.insert_many(
            [{"id": f"t{n}"} for n in range(start, start + 50)], [[tick(n)] for n in range(start, start + 50)]
        )
    producer = AckingProducer()
    relay = OutboxRelay(db, producer, service="test", batch_size=500)  # type: ignore[arg-type]

    passes = []
    while sent := await relay.run_once():
        passes.append(sent)
    # The first pass takes one hint to learn their size, then 500 events each.
    assert sum(passes) == 2000
    assert passes[0] == 50
    assert all(sent <= 500 for sent in passes)
    assert passes[1:-1] and all(sent == 500 for sent in passes[1:-1])
    received = [decode(v, topic="t", partition=0, offset=0, headers=()) for v in producer.sent]
    sequences = [event.payload.sequence for event in received]
    assert sequences == sorted(sequences)  # oldest hints first
    assert await db[HINTS_COLLECTION].count_documents({}) == 0
    assert await db["ticks"].count_documents({"_outbox": {"$exists": True, "$ne": {}}}) == 0


async def test_hints_written_before_packing_still_publish(db):  # type: ignore[no-untyped-def]
    repo = TenantRepository(db["ticks"], "hospital-a")
    await repo.insert({"id": "t1"}, [tick(1)])
    packed = await db[HINTS_COLLECTION].find_one({})
    items = hint_items(packed)
    assert [item["d"] for item in items] == ["hospital-a:t1"]
    # The same hint as an earlier version wrote it: plain items, no packed copy.
    await db[HINTS_COLLECTION].delete_many({})
    await db[HINTS_COLLECTION].insert_one({"_id": "ticks|old", "c": "ticks", "items": items})

    producer = AckingProducer()
    assert await OutboxRelay(db, producer, service="test").run_once() == 1  # type: ignore[arg-type]
    assert await db[HINTS_COLLECTION].count_documents({}) == 0


class HeldRemovals(OutboxRelay):
    """A relay whose removals of published events wait until the test lets them go."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.let_go = asyncio.Event()

    async def remove_published(self) -> None:
        await self.let_go.wait()
        await super().remove_published()


async def _until(condition, timeout: float = 20.0) -> None:  # type: ignore[no-untyped-def]
    deadline = asyncio.get_running_loop().time() + timeout
    while not await condition():
        assert asyncio.get_running_loop().time() < deadline, "timed out"
        await asyncio.sleep(0.02)


async def test_a_pass_publishes_while_the_last_ones_events_are_still_being_removed(db):  # type: ignore[no-untyped-def]
    repo = TenantRepository(db["ticks"], "hospital-a")
    for start in range(0, 1000, 50):
        await repo.insert_many(
            [{"id": f"t{n}"} for n in range(start, start + 50)], [[tick(n)] for n in range(start, start + 50)]
        )
    producer = AckingProducer()
    relay = HeldRemovals(db, producer, service="test", batch_size=100, max_pending_removals=300)  # type: ignore[arg-type]
    relay.let_go.set()  # the start-up sweep first drains what is queued (nothing yet)
    stop = asyncio.Event()
    running = asyncio.create_task(relay.run(stop))
    try:

        async def sent_some() -> bool:
            return len(producer.sent) > 0

        await _until(sent_some)
        relay.let_go.clear()

        async def stalled() -> bool:
            before = len(producer.sent)
            await asyncio.sleep(0.3)
            return len(producer.sent) == before

        await _until(stalled)
        # Passes went on without their removals, until the removals fell too far behind.
        pending = await db["ticks"].count_documents({"_outbox": {"$exists": True, "$ne": {}}})
        published_but_pending = len(producer.sent) - (1000 - pending)
        assert published_but_pending > 100  # more than one pass of 100 published ahead of its removal
        assert published_but_pending <= 300 + 100  # the bound, plus the pass that reached it
        assert len(producer.sent) < 1000

        relay.let_go.set()

        async def all_removed() -> bool:
            return await db["ticks"].count_documents({"_outbox": {"$exists": True, "$ne": {}}}) == 0

        await _until(all_removed)
    finally:
        stop.set()
        await asyncio.wait_for(running, 20)
    assert len(producer.sent) == 1000  # each event once: a queued removal is never published again
    sequences = sorted(
        decode(v, topic="t", partition=0, offset=0, headers=()).payload.sequence for v in producer.sent
    )
    assert sequences == list(range(1000))
    assert await db[HINTS_COLLECTION].count_documents({}) == 0


class RemovalDuringRead(OutboxRelay):
    """A document read that began before its events' removal and ends after it."""

    async def read_outbox(self, collection: str, doc_id: str) -> dict[str, Any]:
        stale = await super().read_outbox(collection, doc_id)
        await self.remove_published()
        return stale


async def test_an_event_removed_while_its_document_was_read_is_not_published_again(db):  # type: ignore[no-untyped-def]
    repo = TenantRepository(db["ticks"], "hospital-a")
    await repo.insert({"id": "t1"}, [tick(1)])
    producer = AckingProducer()
    relay = RemovalDuringRead(db, producer, service="test")  # type: ignore[arg-type]
    assert await relay.publish_pass() == 1  # published, hint deleted, removal queued
    await write_hints(db[HINTS_COLLECTION], "ticks", ["hospital-a:t1"])  # as the sweep would
    assert await relay.publish_pass() == 0  # its read saw the event; the removal ran meanwhile
    assert await db["ticks"].count_documents({"_outbox": {"$exists": True, "$ne": {}}}) == 0
    assert await relay.publish_pass() == 0
    assert len(producer.sent) == 1
