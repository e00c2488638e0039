"""The api process's readings of its service's backlog (`spiegel_platform.backlog`), against the
real broker and database: consumer lag per group and topic from the committed offsets, dead
letters of the service's own groups only (a dead-letter topic is shared by every consumer of the
topic), the outbox hints; exported as `spiegel_backlog_*` on /metrics."""

from __future__ import annotations

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from prometheus_client import generate_latest
from prometheus_client.parser import text_string_to_metric_families
from spiegel_platform import kafka
from spiegel_platform.backlog import Backlog, lag
from spiegel_platform.events.outbox import HINTS_COLLECTION
from spiegel_platform.settings import KafkaSettings

pytestmark = pytest.mark.integration


def test_lag_counts_from_the_commit_or_the_beginning() -> None:
    assert lag(10, 4, 0) == 6
    assert lag(10, None, 3) == 7  # nothing committed: the consumers start at the beginning
    assert lag(10, 1, 3) == 7  # committed before what retention kept
    assert lag(10, 12, 0) == 0


def exported() -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    found = {}
    for family in text_string_to_metric_families(generate_latest().decode()):
        if family.name.startswith("spiegel_backlog_"):
            for sample in family.samples:
                found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


class Settings(KafkaSettings):
    pass


async def test_lag_dead_letters_and_outbox_are_read_from_the_broker_and_the_database(
    stack, db, unique
) -> None:  # type: ignore[no-untyped-def]
    settings = Settings(
        kafka_bootstrap_servers=stack.kafka_bootstrap,
        kafka_topic_prefix=f"bl{unique}.",
        kafka_topic_partitions=2,
    )
    topic = kafka.topic_name(settings, "spiegel.test.ticks.v1")
    await kafka.ensure_topics(settings, ["spiegel.test.ticks.v1"])
    ours, idle, other = f"svc-{unique}.a", f"svc-{unique}.b", f"else-{unique}"
    producer = AIOKafkaProducer(bootstrap_servers=stack.kafka_bootstrap, acks="all")
    await producer.start()
    try:
        for n in range(5):
            await producer.send_and_wait(topic, f"tick {n}".encode(), partition=0)
        for group in (ours, ours, other):
            await producer.send_and_wait(
                kafka.dead_letter_topic(topic), b"poison", headers=[("dlq.consumer", group.encode())]
            )
        committer = AIOKafkaConsumer(
            bootstrap_servers=stack.kafka_bootstrap, group_id=ours, enable_auto_commit=False
        )
        await committer.start()
        try:
            committer.assign([TopicPartition(topic, 0)])
            await committer.commit({TopicPartition(topic, 0): 2})
        finally:
            await committer.stop()
        await db[HINTS_COLLECTION].insert_many([{"_id": f"h{n}", "at": n} for n in range(3)])

        backlog = Backlog(
            settings=settings,
            db=db,
            service=f"svc-{unique}",
            groups={ours: ["spiegel.test.ticks.v1"], idle: ["spiegel.test.ticks.v1"]},
            outbox=True,
        )
        try:
            await backlog.read()
            found = exported()
            contract = (("topic", "spiegel.test.ticks.v1"),)
            assert found[("spiegel_backlog_consumer_lag", (("group", ours), *contract))] == 3, found
            assert found[("spiegel_backlog_consumer_lag", (("group", idle), *contract))] == 5
            assert found[("spiegel_backlog_dead_letters", (("group", ours), *contract))] == 2
            assert found[("spiegel_backlog_dead_letters", (("group", idle), *contract))] == 0
            assert found[("spiegel_backlog_outbox", (("service", f"svc-{unique}"),))] == 3

            # Read on from where it stopped: one more letter is one more, not all of them again.
            await producer.send_and_wait(
                kafka.dead_letter_topic(topic), b"poison", headers=[("dlq.consumer", ours.encode())]
            )
            await db[HINTS_COLLECTION].delete_many({})
            await backlog.read()
            found = exported()
            assert found[("spiegel_backlog_dead_letters", (("group", ours), *contract))] == 3
            assert found[("spiegel_backlog_outbox", (("service", f"svc-{unique}"),))] == 0
        finally:
            await backlog.close()
    finally:
        await producer.stop()
