"""Consumers under faults: kill -9 while events flow, poison messages."""

from __future__ import annotations

import asyncio
import random
import time

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from spiegel_dev.probe import TOPIC

from tests.eventbus.probe_support import ProbeWorld, committed_events

pytestmark = [pytest.mark.integration, pytest.mark.chaos]


@pytest.fixture
async def world(stack, unique):  # type: ignore[no-untyped-def]
    probe = ProbeWorld(stack.mongodb_url, f"probe_{unique}")
    yield probe
    await probe.close()


async def test_consumer_killed_repeatedly_applies_every_event_once(stack, processes, world, unique):  # type: ignore[no-untyped-def]
    prefix = f"probe_{unique}"
    env = {"MONGODB_DATABASE": prefix, "KAFKA_TOPIC_PREFIX": f"{prefix}."}  # this test's own topics
    total = 10_000
    await world.write_ticks(total, counters=40, batch=50)
    processes.start("probe", "relay", prefix, module="spiegel_dev.probe", **env)

    # Kill points close enough together that at least five kills fit in the flow, even when the
    # consumer runs fast between polls. Progress is read from the committed offsets (cheap to
    # poll); a kill lands on a batch applied but not yet committed, or half applied.
    topic = f"{prefix}.{TOPIC}"
    kills = 0
    next_kill_at = random.randint(200, 600)
    deadline = time.monotonic() + 480
    consumer = processes.start("probe", "consumer", prefix, module="spiegel_dev.probe", **env)
    while time.monotonic() < deadline:
        applied = await committed_events(stack.kafka_bootstrap, topic)
        if applied >= total:
            break
        if applied >= next_kill_at and applied < total - 300:
            await asyncio.sleep(random.uniform(0, 0.2))
            consumer.kill()  # kill -9 mid-batch: uncommitted offsets, half-applied batch
            kills += 1
            next_kill_at = applied + random.randint(200, 700)
            consumer = processes.start("probe", "consumer", prefix, module="spiegel_dev.probe", **env)
        await asyncio.sleep(0.05)
    counts = await world.counts()
    assert kills >= 5, f"only {kills} kills while {total} events flowed"
    assert sum(counts.values()) == total
    assert counts == dict(world.expected)


async def test_poison_messages_go_to_the_dead_letter_topic_and_the_rest_flows(
    stack, processes, world, unique
):  # type: ignore[no-untyped-def]
    prefix = f"probe_{unique}"
    env = {"MONGODB_DATABASE": prefix, "KAFKA_TOPIC_PREFIX": f"{prefix}."}  # this test's own topics
    good, poison = 1980, 20
    consumer = processes.start("probe", "consumer", prefix, module="spiegel_dev.probe", **env)
    processes.start("probe", "relay", prefix, module="spiegel_dev.probe", **env)

    # Watch the dead-letter topic from its current end.
    dlq = AIOKafkaConsumer(bootstrap_servers=stack.kafka_bootstrap, enable_auto_commit=False)
    await dlq.start()
    topic = f"{prefix}.{TOPIC}"
    partition = TopicPartition(topic + ".dlq", 0)
    dlq.assign([partition])
    await dlq.seek_to_end(partition)
    start_offset = await dlq.position(partition)

    raw = AIOKafkaProducer(bootstrap_servers=stack.kafka_bootstrap, acks="all")
    await raw.start()
    poison_values = [b"", b"\x00not protobuf", b"\xff" * 40, b'{"json": true}']
    try:
        per_batch = good // poison
        for index in range(poison):
            await world.write_ticks(per_batch, counters=9, batch=50)
            value = poison_values[index % len(poison_values)] + str(index).encode()
            await raw.send_and_wait(
                topic, value=value, key=b"c1", headers=[("origin", f"poison-{index}".encode())]
            )
    finally:
        await raw.stop()

    counts = await world.wait_for_counts(timeout=180)
    assert counts == dict(world.expected)

    letters = []
    deadline = time.monotonic() + 60
    while len(letters) < poison and time.monotonic() < deadline:
        batch = await dlq.getmany(partition, timeout_ms=1000)
        letters += batch.get(partition, [])
    await asyncio.sleep(2)
    letters += (await dlq.getmany(partition, timeout_ms=500)).get(partition, [])
    await dlq.stop()
    assert len(letters) == poison
    for letter in letters:
        headers = dict(letter.headers)
        assert headers["dlq.reason"] == b"undecodable"
        assert headers["dlq.consumer"] == b"probe.counters"
        assert headers["origin"].startswith(b"poison-")  # original headers kept
        assert headers["dlq.source"].startswith(topic.encode())
    assert start_offset + poison == (await _end(stack, partition))
    assert consumer.running


async def test_handler_failing_after_retries_is_dead_lettered(stack, processes, world, unique):  # type: ignore[no-untyped-def]
    prefix = f"probe_{unique}"
    env = {
        "MONGODB_DATABASE": prefix,
        "KAFKA_TOPIC_PREFIX": f"{prefix}.",
        "PROBE_FAIL_COUNTER": "c0",
        "KAFKA_CONSUMER_MAX_RETRIES": "2",
    }
    consumer = processes.start("probe", "consumer", prefix, module="spiegel_dev.probe", **env)
    processes.start("probe", "relay", prefix, module="spiegel_dev.probe", **env)
    await world.write_ticks(30, counters=3)
    expected = {k: v for k, v in world.expected.items() if k != "c0"}
    deadline = time.monotonic() + 60
    counts: dict[str, int] = {}
    while time.monotonic() < deadline:
        counts = await world.counts()
        if counts == expected and consumer.log.read_text().count("event_dead_lettered") >= 10:
            break
        await asyncio.sleep(0.5)
    assert counts == expected
    log = consumer.log.read_text()
    assert log.count("event_dead_lettered") == world.expected["c0"]
    assert "failed after 3 attempts" in log


async def _end(stack, partition: TopicPartition) -> int:  # type: ignore[no-untyped-def]
    consumer = AIOKafkaConsumer(bootstrap_servers=stack.kafka_bootstrap)
    await consumer.start()
    try:
        return (await consumer.end_offsets([partition]))[partition]
    finally:
        await consumer.stop()
