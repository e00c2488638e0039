"""What a service has waiting, read by its api process: consumer lag, dead letters, outbox backlog.

The relay and the consumers are processes of their own (each with its /metrics: their own
`spiegel_consumer_lag` and `spiegel_outbox_backlog`, per process and partition). One place that
says how far behind a *service* is, wherever and however often its workers run, is the broker
and the database themselves; every `backlog_metrics_interval_s` the api process reads

- per consumer group of the service and topic: the end offsets minus the group's committed
  offsets (nothing committed yet: minus the beginning, as the consumers start "earliest");
- the dead letters: the messages in `<topic>.dlq` of each consumed topic whose `dlq.consumer`
  header names one of the service's groups (several services consume one topic and share its
  dead-letter topic). Read on from where the last reading stopped; what retention removed from a
  dead-letter topic is no longer counted;
- the outbox backlog: the relay's hints (documents with events not yet published).

and sets the `spiegel_backlog_*` gauges (`metrics.py`). A failed reading (broker or database
away) leaves the last values and is logged; `/readyz` says what is unreachable.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import KafkaError
from pymongo.errors import PyMongoError

from spiegel_platform import kafka
from spiegel_platform.events.outbox import HINTS_COLLECTION
from spiegel_platform.logging import get_logger
from spiegel_platform.metrics import BACKLOG_CONSUMER_LAG, BACKLOG_DEAD_LETTERS, BACKLOG_OUTBOX
from spiegel_platform.periodic import every

log = get_logger(__name__)
DLQ_CONSUMER_HEADER = "dlq.consumer"


def lag(end: int, committed: int | None, beginning: int) -> int:
    """Messages of one partition a group has still to commit. Pure."""
    start = beginning if committed is None or committed < 0 else max(committed, beginning)
    return max(0, end - start)


def of(runtime: Any) -> Backlog | None:
    """The readings of a service's api process (None: it has no consumers and no outbox)."""
    definition = runtime.definition
    if not definition.storage or not (definition.consumers or definition.outbox_collections):
        return None
    return Backlog(
        settings=runtime.settings,
        db=runtime.db,
        service=definition.name,
        groups={spec.group_id: list(spec.topics) for spec in definition.consumers},
        outbox=bool(definition.outbox_collections),
    )


@dataclass
class Backlog:
    """The readings of one service (its name, consumer groups with their topics, whether it has
    an outbox); `read()` once, `run()` every interval."""

    settings: Any  # ServiceSettings
    db: Any
    service: str
    groups: dict[str, Sequence[str]]  # group id -> contract topics
    outbox: bool
    _admin: AIOKafkaAdminClient | None = None
    _reader: AIOKafkaConsumer | None = None
    _dead_seen: dict[TopicPartition, int] = field(default_factory=dict)
    _dead: Counter[tuple[str, str]] = field(default_factory=Counter)

    def _topics(self, group: str) -> list[str]:
        return [kafka.topic_name(self.settings, t) for t in self.groups[group]]

    async def _clients(self) -> tuple[AIOKafkaAdminClient, AIOKafkaConsumer]:
        if self._admin is None or self._reader is None:
            bootstrap = self.settings.kafka_bootstrap_servers
            timeout = self.settings.kafka_request_timeout_ms
            admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=timeout)
            # No group: it only reads offsets and the dead letters' headers; it commits nothing.
            reader = AIOKafkaConsumer(
                bootstrap_servers=bootstrap,
                group_id=None,
                enable_auto_commit=False,
                request_timeout_ms=timeout,
                client_id=f"{self.service}-backlog",
            )
            await admin.start()
            try:
                await reader.start()
            except BaseException:
                await admin.close()
                raise
            self._admin, self._reader = admin, reader
        return self._admin, self._reader

    async def close(self) -> None:
        if self._reader is not None:
            await self._reader.stop()
        if self._admin is not None:
            await self._admin.close()
        self._admin = self._reader = None

    async def _partitions(self, topics: Sequence[str]) -> list[TopicPartition]:
        """The partitions of the topics that exist (a topic not made yet has none)."""
        admin, _ = await self._clients()
        found: list[TopicPartition] = []
        for described in await admin.describe_topics(list(topics)):
            if described.get("error_code", 0) == 0:
                found += [TopicPartition(described["topic"], p["partition"]) for p in described["partitions"]]
        return sorted(found, key=lambda tp: (tp.topic, tp.partition))

    async def read_lag(self) -> dict[tuple[str, str], int]:
        admin, reader = await self._clients()
        result: dict[tuple[str, str], int] = {}
        for group in self.groups:
            partitions = await self._partitions(self._topics(group))
            if not partitions:
                continue
            committed = await admin.list_consumer_group_offsets(group, partitions=partitions)
            ends = await reader.end_offsets(partitions)
            beginnings = await reader.beginning_offsets(partitions)
            for tp in partitions:
                done = committed.get(tp)
                behind = lag(ends[tp], done.offset if done is not None else None, beginnings[tp])
                result[(group, tp.topic)] = result.get((group, tp.topic), 0) + behind
        return result

    async def read_dead_letters(self) -> Counter[tuple[str, str]]:
        """Counted on from where the last reading stopped (the dead-letter topics are small)."""
        _, reader = await self._clients()
        topics = sorted({kafka.dead_letter_topic(t) for g in self.groups for t in self._topics(g)})
        partitions = await self._partitions(topics)
        if not partitions:
            return self._dead
        ends = await reader.end_offsets(partitions)
        beginnings = await reader.beginning_offsets(partitions)
        todo = {tp for tp in partitions if max(self._dead_seen.get(tp, 0), beginnings[tp]) < ends[tp]}
        if not todo:
            return self._dead
        reader.assign(sorted(todo, key=lambda tp: (tp.topic, tp.partition)))
        for tp in todo:
            reader.seek(tp, max(self._dead_seen.get(tp, 0), beginnings[tp]))
        ours = set(self.groups)
        while todo:
            batches = await reader.getmany(*todo, timeout_ms=1000)
            if not batches:
                break
            for tp, records in batches.items():
                for record in records:
                    headers = dict(record.headers or ())
                    group = (headers.get(DLQ_CONSUMER_HEADER) or b"").decode(errors="replace")
                    if group in ours:
                        # The topic the letter came from: the dead-letter topic without ".dlq".
                        self._dead[(group, tp.topic.removesuffix(kafka.DEAD_LETTER_SUFFIX))] += 1
                    self._dead_seen[tp] = record.offset + 1
                if self._dead_seen.get(tp, 0) >= ends[tp]:
                    todo.discard(tp)
        return self._dead

    async def read_outbox(self) -> int:
        return int(await self.db[HINTS_COLLECTION].count_documents({}))

    async def read(self) -> None:
        try:
            await self._read()
        except (KafkaError, OSError, TimeoutError):
            await self.close()  # made anew for the next reading: a client may be left half broken
            raise

    async def _read(self) -> None:
        if self.groups:
            for (group, topic), behind in (await self.read_lag()).items():
                BACKLOG_CONSUMER_LAG.labels(group, self._contract(topic)).set(behind)
            dead = await self.read_dead_letters()
            for group in self.groups:
                for topic in self.groups[group]:
                    count = dead.get((group, kafka.topic_name(self.settings, topic)), 0)
                    BACKLOG_DEAD_LETTERS.labels(group, topic).set(count)
        if self.outbox:
            BACKLOG_OUTBOX.labels(self.service).set(await self.read_outbox())

    def _contract(self, topic: str) -> str:
        prefix = self.settings.kafka_topic_prefix
        return topic[len(prefix) :] if prefix and topic.startswith(prefix) else topic

    async def run(self, stop: asyncio.Event) -> None:
        try:
            await every(
                self.settings.backlog_metrics_interval_s,
                self.read,
                stop,
                name="backlog_reading",
                failures=(KafkaError, PyMongoError, OSError, TimeoutError),
                log=log,
            )
        finally:
            await self.close()
