"""Helpers for the aggregation tests: send envelopes to the broker, read the service's database."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from spiegel_aggregation.storage import unpack_json
from spiegel_platform.events import OutgoingEvent


async def send(bootstrap: str, events: Sequence[OutgoingEvent]) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, enable_idempotence=True, acks="all", linger_ms=5)
    await producer.start()
    try:
        batch = [
            await producer.send(e.topic, value=e.envelope, key=e.key.encode(), headers=e.headers())
            for e in events
        ]
        await asyncio.gather(*batch)
    finally:
        await producer.stop()


async def lag(bootstrap: str, group: str, topics: Sequence[str]) -> int:
    """Messages the consumer group has not yet committed."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap)
    await admin.start()
    await consumer.start()
    try:
        committed = await admin.list_consumer_group_offsets(group)
        partitions = [TopicPartition(t, p) for t in topics for p in (consumer.partitions_for_topic(t) or ())]
        if not partitions:
            await consumer.topics()
            partitions = [
                TopicPartition(t, p) for t in topics for p in (consumer.partitions_for_topic(t) or ())
            ]
        ends = await consumer.end_offsets(partitions)
        return sum(max(0, end - (committed[tp].offset if tp in committed else 0)) for tp, end in ends.items())
    finally:
        await consumer.stop()
        await admin.close()


def report_body(doc: dict[str, Any]) -> dict[str, Any]:
    body: dict[str, Any] = unpack_json(doc["body"])
    return body
