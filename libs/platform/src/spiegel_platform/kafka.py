"""Kafka clients and topics, built from KafkaSettings."""

from __future__ import annotations

from collections.abc import Iterable

from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError

from spiegel_platform.logging import get_logger
from spiegel_platform.settings import KafkaSettings

log = get_logger(__name__)

DEAD_LETTER_SUFFIX = ".dlq"


def producer(settings: KafkaSettings, *, client_id: str) -> AIOKafkaProducer:
    """Idempotent producer: acks=all, no duplicates or reordering on retries."""
    return AIOKafkaProducer(
        bootstrap_servers=settings.kafka_bootstrap_servers,
        client_id=client_id,
        enable_idempotence=True,
        acks="all",
        linger_ms=5,
        max_batch_size=256 * 1024,
        request_timeout_ms=settings.kafka_request_timeout_ms,
    )


def topic_name(settings: KafkaSettings, topic: str) -> str:
    """The topic on the broker: the contract's name in this deployment's namespace."""
    return settings.kafka_topic_prefix + topic


def dead_letter_topic(topic: str) -> str:
    return topic + DEAD_LETTER_SUFFIX


async def ensure_topics(
    settings: KafkaSettings, topics: Iterable[str], *, with_dead_letter: bool = True
) -> None:
    """Create the topics (contract names; and their dead-letter topics) with the configured partitions."""
    wanted = {topic_name(settings, t) for t in topics}
    if with_dead_letter:
        wanted |= {dead_letter_topic(t) for t in set(wanted) if not t.endswith(DEAD_LETTER_SUFFIX)}
    admin = AIOKafkaAdminClient(
        bootstrap_servers=settings.kafka_bootstrap_servers,
        request_timeout_ms=settings.kafka_request_timeout_ms,
    )
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        missing = sorted(wanted - existing)
        if not missing:
            return
        new = [
            NewTopic(
                name=t,
                num_partitions=1 if t.endswith(DEAD_LETTER_SUFFIX) else settings.kafka_topic_partitions,
                replication_factor=settings.kafka_replication_factor,
            )
            for t in missing
        ]
        try:
            await admin.create_topics(new)
        except TopicAlreadyExistsError:
            pass  # another process created them first
        log.info("topics_created", topics=missing)
    finally:
        await admin.close()


async def kafka_reachable(settings: KafkaSettings) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=settings.kafka_bootstrap_servers, request_timeout_ms=3000)
    await admin.start()
    try:
        await admin.list_topics()
    finally:
        await admin.close()
