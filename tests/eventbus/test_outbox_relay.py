"""The outbox relay: every event reaches the consumer, applied once, even when the relay dies."""

from __future__ import annotations

import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition
from spiegel_dev.probe import TOPIC
from spiegel_dev.waiting import eventually

from tests.eventbus.probe_support import ProbeWorld

pytestmark = [pytest.mark.integration, pytest.mark.chaos]


@pytest.fixture
async def world(stack, unique):  # type: ignore[no-untyped-def]
    probe = ProbeWorld(stack.mongodb_url, f"probe_{unique}")
    yield probe
    await probe.close()


async def _published(stack, topic: str) -> int:  # type: ignore[no-untyped-def]
    consumer = AIOKafkaConsumer(topic, bootstrap_servers=stack.kafka_bootstrap)
    await consumer.start()
    try:
        partitions = [TopicPartition(topic, p) for p in (consumer.partitions_for_topic(topic) or [])]
        return sum((await consumer.end_offsets(partitions)).values()) if partitions else 0
    finally:
        await consumer.stop()


async def test_relay_killed_between_publish_and_mark_sent(stack, processes, world, unique):  # type: ignore[no-untyped-def]
    prefix = f"probe_{unique}"
    database = {"MONGODB_DATABASE": prefix, "KAFKA_TOPIC_PREFIX": f"{prefix}."}  # this test's own topics
    topic = f"{prefix}.{TOPIC}"
    before = 0  # the topic is this test's own, new
    await world.write_ticks(300, counters=7)
    assert await world.pending_events() == 300

    crashing = processes.start(
        "probe", "relay-kill-after-publish", prefix, wait=False, module="spiegel_dev.probe", **database
    )
    assert crashing.handle is not None
    assert crashing.handle.wait(timeout=60) == -9  # it published, then died by SIGKILL
    assert await world.pending_events() == 300  # nothing was marked sent
    first_pass = await _published(stack, topic) - before
    assert first_pass >= 1  # its first pass reached the broker before it died

    processes.start("probe", "relay", prefix, module="spiegel_dev.probe", **database)
    consumer = processes.start("probe", "consumer", prefix, module="spiegel_dev.probe", **database)
    counts = await world.wait_for_counts(timeout=120)
    assert counts == dict(world.expected)
    await eventually(world.outbox_drained, timeout=60, what="the outbox to drain")
    # The first relay's publications stay on the broker and are published again: the
    # events of its pass were delivered twice, and applied once.
    assert await _published(stack, topic) - before >= 300 + first_pass
    assert consumer.running


async def test_relay_killed_after_deleting_its_hints_before_removing_the_events(  # type: ignore[no-untyped-def]
    stack, processes, world, unique
):
    prefix = f"probe_{unique}"
    database = {"MONGODB_DATABASE": prefix, "KAFKA_TOPIC_PREFIX": f"{prefix}."}
    topic = f"{prefix}.{TOPIC}"
    await world.write_ticks(300, counters=7)
    hints_before = {h["_id"] async for h in world.db["outbox_hints"].find({}, {"_id": 1})}

    crashing = processes.start(
        "probe", "relay-kill-before-removal", prefix, wait=False, module="spiegel_dev.probe", **database
    )
    assert crashing.handle is not None
    assert crashing.handle.wait(timeout=60) == -9
    first_pass = await _published(stack, topic)
    assert first_pass >= 1
    # Its pass was published and its hints deleted, but its events are still in their
    # documents, now without a hint: only the sweep of the next relay can find them.
    hints_after = {h["_id"] async for h in world.db["outbox_hints"].find({}, {"_id": 1})}
    assert hints_before - hints_after  # (the relay's start-up sweep also hinted them anew)
    assert await world.pending_events() == 300

    processes.start("probe", "relay", prefix, module="spiegel_dev.probe", **database)
    processes.start("probe", "consumer", prefix, module="spiegel_dev.probe", **database)
    assert await world.wait_for_counts(timeout=120) == dict(world.expected)
    await eventually(world.outbox_drained, timeout=60, what="the outbox to drain")
    assert await _published(stack, topic) >= 300 + first_pass  # the first pass's events twice


async def test_events_written_without_a_hint_are_found_by_the_sweep(processes, world, unique):  # type: ignore[no-untyped-def]
    prefix = f"probe_{unique}"
    await world.write_ticks(20, counters=2)
    # A crash between the document write and its hint: drop the hints.
    await world.db["outbox_hints"].delete_many({})
    database = {"MONGODB_DATABASE": prefix, "KAFKA_TOPIC_PREFIX": f"{prefix}."}
    processes.start("probe", "relay", prefix, module="spiegel_dev.probe", **database)
    processes.start("probe", "consumer", prefix, module="spiegel_dev.probe", **database)
    assert await world.wait_for_counts(timeout=60) == dict(world.expected)
