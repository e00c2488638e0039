"""Batch handlers: consecutive events of one type go together, in order; a failing batch falls back."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

import pytest
from aiokafka import ConsumerRecord, TopicPartition
from spiegel.platform.v1 import events_pb2
from spiegel_platform.events import EventConsumer, ReceivedEvent, new_event, settle
from spiegel_platform.settings import KafkaSettings

PROBE = "spiegel.platform.v1.ProbeTicked"


def _record(offset: int, counter: str, *, headers: bool = True) -> ConsumerRecord[Any, Any]:
    event = new_event(
        events_pb2.ProbeTicked(counter_id=counter, sequence=offset), tenant_id="t1", producer="test"
    )
    return ConsumerRecord(
        topic="spiegel.platform.probe.v1",
        partition=0,
        offset=offset,
        timestamp=0,
        timestamp_type=0,
        key=counter.encode(),
        value=event.envelope,
        checksum=None,
        serialized_key_size=1,
        serialized_value_size=1,
        headers=event.headers() if headers else [],
    )


class FakeKafka:
    def __init__(self, records: list[ConsumerRecord[Any, Any]]) -> None:
        self.records = records
        self.committed: dict[TopicPartition, int] = {}
        self.dead: list[tuple[str, bytes]] = []

    async def getmany(self, timeout_ms: int, max_records: int) -> dict[TopicPartition, list[Any]]:
        records, self.records = self.records, []
        return {TopicPartition("spiegel.platform.probe.v1", 0): records} if records else {}

    def highwater(self, tp: TopicPartition) -> int:
        return 0

    async def commit(self, offsets: dict[TopicPartition, int]) -> None:
        self.committed.update(offsets)

    async def send_and_wait(self, topic: str, value: bytes, key: bytes, headers: list[Any]) -> None:
        self.dead.append((topic, dict(headers)["dlq.reason"]))


def _consumer(records: list[ConsumerRecord[Any, Any]], batch: Any) -> tuple[EventConsumer, FakeKafka]:
    settings = KafkaSettings(kafka_bootstrap_servers="127.0.0.1:1")
    consumer = EventConsumer(
        settings,
        group_id="test",
        handlers={},
        topics=["spiegel.platform.probe.v1"],
        batch_handlers={PROBE: batch},
        max_retries=1,
        retry_backoff=0.001,
    )
    fake = FakeKafka(records)
    consumer.consumer = fake  # type: ignore[assignment]
    consumer.dead_letters = fake  # type: ignore[assignment]
    return consumer, fake


async def test_a_run_of_events_is_handed_over_at_once_and_committed() -> None:
    seen: list[list[int]] = []

    async def batch(events: Sequence[ReceivedEvent]) -> None:
        seen.append([e.payload.sequence for e in events])

    records = [_record(i, f"c{i % 3}") for i in range(7)]
    consumer, fake = _consumer(records, batch)
    assert await consumer.poll_once() == 7
    assert seen == [[0, 1, 2, 3, 4, 5, 6]]
    assert fake.committed == {TopicPartition("spiegel.platform.probe.v1", 0): 7}


async def test_a_failing_batch_is_retried_one_by_one_and_only_the_bad_event_is_dead_lettered() -> None:
    applied: list[int] = []

    async def batch(events: Sequence[ReceivedEvent]) -> None:
        if any(e.payload.counter_id == "bad" for e in events):
            raise RuntimeError("cannot apply")
        applied.extend(e.payload.sequence for e in events)

    records = [_record(0, "a"), _record(1, "bad"), _record(2, "b")]
    consumer, fake = _consumer(records, batch)
    assert await consumer.poll_once() == 3
    assert applied == [0, 2]
    assert len(fake.dead) == 1 and fake.dead[0][0] == "spiegel.platform.probe.v1.dlq"


async def test_settle_waits_for_every_write_before_the_failure_reaches_the_retry() -> None:

    finished: list[str] = []

    async def fails() -> None:
        raise RuntimeError("database away")

    async def slow_write() -> str:
        await asyncio.sleep(0.2)
        finished.append("write")
        return "write"

    with pytest.raises(RuntimeError, match="database away"):
        await settle(fails(), slow_write())
    # The write of the failed attempt is over before anyone could retry.
    assert finished == ["write"]
    assert await settle(slow_write(), slow_write()) == ["write", "write"]
