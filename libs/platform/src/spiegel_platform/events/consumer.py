"""Consuming events: at-least-once delivery, idempotent handlers, a dead-letter topic.

- Offsets are committed explicitly, after the records of a batch are handled.
- aiokafka rebalances in the background: a commit can fail with
  CommitFailedError when partitions moved meanwhile. Then we seek back to the
  committed offsets of what we still own; the redelivered events are harmless
  because handlers record event ids atomically with their change.
- A message that cannot be decoded, fails validation (PermanentError) or still
  fails after `max_retries` attempts goes to `<topic>.dlq` with the reason and
  the original headers; consumption continues behind it.
- Infrastructure errors (the database unreachable) are retried without limit
  and without committing: an outage never floods the dead-letter topic.
- SIGTERM (the `stop` event) finishes the batch at hand, commits and leaves.
"""

from __future__ import annotations

import asyncio
import traceback
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any, TypeVar

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, ConsumerRecord, TopicPartition
from aiokafka.errors import CommitFailedError, IllegalStateError, KafkaError
from pymongo.errors import AutoReconnect, ConnectionFailure, NetworkTimeout, ServerSelectionTimeoutError

from spiegel_platform.events.envelope import DecodeError, ReceivedEvent, decode
from spiegel_platform.kafka import dead_letter_topic
from spiegel_platform.logging import bind_context, get_logger, unbind_context
from spiegel_platform.metrics import CONSUMER_LAG, EVENTS_PROCESSED
from spiegel_platform.settings import KafkaSettings

log = get_logger(__name__)
T = TypeVar("T")

Handler = Callable[[ReceivedEvent], Awaitable[None]]
# Optional: applies a run of consecutive events of one type (same partition, in
# order) in fewer writes. Must be idempotent like a Handler; if it raises, the run
# is handled event by event (by the Handler, or as batches of one), so one bad
# event cannot block the rest.
BatchHandler = Callable[[list[ReceivedEvent]], Awaitable[None]]
TRANSIENT = (AutoReconnect, ConnectionFailure, NetworkTimeout, ServerSelectionTimeoutError)


async def settle(*work: Awaitable[T]) -> list[T]:
    """Run concurrently and wait for every one to finish, then raise the first failure.

    For handlers that write concurrently: a failed run is retried (or replayed event by
    event) at once, and that retry must never overlap a write still in flight from the
    failed attempt (two updates of one document are not atomic on every server).
    `asyncio.gather` alone returns at the first failure and leaves the rest running.
    """
    results = await asyncio.gather(*work, return_exceptions=True)
    for result in results:
        if isinstance(result, BaseException):
            raise result
    return results  # type: ignore[return-value]


def _one_at_a_time(batch: BatchHandler) -> Handler:
    async def handle(event: ReceivedEvent) -> None:
        await batch([event])

    return handle


class PermanentError(Exception):
    """The event is valid protobuf but cannot be applied (e.g. fails validation): no retry."""


class EventConsumer:
    def __init__(
        self,
        settings: KafkaSettings,
        *,
        group_id: str,
        handlers: Mapping[str, Handler],
        topics: Sequence[str],
        max_retries: int | None = None,
        retry_backoff: float = 0.2,
        max_records: int = 500,
        batch_handlers: Mapping[str, BatchHandler] | None = None,
    ) -> None:
        self.settings = settings
        self.group_id = group_id
        self.handlers = dict(handlers)
        self.batch_handlers = dict(batch_handlers or {})
        for event_type, batch in self.batch_handlers.items():
            # Without a handler of its own, an event is a batch of one.
            self.handlers.setdefault(event_type, _one_at_a_time(batch))
        self.topics = [settings.kafka_topic_prefix + t for t in topics]  # in this deployment's namespace
        self.max_retries = settings.kafka_consumer_max_retries if max_retries is None else max_retries
        self.retry_backoff = retry_backoff
        self.max_records = max_records
        self.consumer: AIOKafkaConsumer | None = None
        self.dead_letters: AIOKafkaProducer | None = None
        self.handled = 0

    async def start(self) -> None:
        self.consumer = AIOKafkaConsumer(
            *self.topics,
            bootstrap_servers=self.settings.kafka_bootstrap_servers,
            group_id=self.group_id,
            client_id=self.group_id,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            isolation_level="read_committed",
            max_poll_records=self.max_records,
            session_timeout_ms=6000,  # the broker's minimum: a killed member is replaced soon
            heartbeat_interval_ms=1000,
            request_timeout_ms=self.settings.kafka_request_timeout_ms,
        )
        self.dead_letters = AIOKafkaProducer(
            bootstrap_servers=self.settings.kafka_bootstrap_servers,
            client_id=f"{self.group_id}-dlq",
            enable_idempotence=True,
            acks="all",
        )
        await self.dead_letters.start()
        await self.consumer.start()

    async def stop(self) -> None:
        if self.consumer is not None:
            await self.consumer.stop()
        if self.dead_letters is not None:
            await self.dead_letters.stop()

    async def run(self, stop: asyncio.Event) -> None:
        await self.start()
        log.info("consumer_started", group=self.group_id, topics=self.topics)
        try:
            while not stop.is_set():
                await self.poll_once(stop)
        finally:
            await self.stop()
            log.info("consumer_stopped", group=self.group_id, handled=self.handled)

    async def poll_once(self, stop: asyncio.Event | None = None) -> int:
        assert self.consumer is not None
        batches = await self.consumer.getmany(timeout_ms=500, max_records=self.max_records)
        if not batches:
            return 0
        offsets: dict[TopicPartition, int] = {}
        count = 0
        for tp, records in batches.items():
            await self._process_partition(records)
            offsets[tp] = records[-1].offset + 1
            count += len(records)
            self._record_lag(tp, records[-1].offset)
        await self._commit(offsets)
        self.handled += count
        return count

    async def _process_partition(self, records: list[ConsumerRecord[Any, Any]]) -> None:
        """Handle one partition's records in order; consecutive events with a batch handler go together."""
        run: list[tuple[ConsumerRecord[Any, Any], ReceivedEvent]] = []

        async def flush() -> None:
            if run:
                await self._handle_run(list(run))
                run.clear()

        for record in records:
            if not self.batch_handlers:
                await self._process(record)
                continue
            try:
                event = decode(
                    record.value,
                    topic=record.topic,
                    partition=record.partition,
                    offset=record.offset,
                    headers=tuple(record.headers or ()),
                )
            except DecodeError:
                await flush()
                await self._process(record)  # dead-letters it with the reason
                continue
            if event.event_type in self.batch_handlers and (
                not run or run[0][1].event_type == event.event_type
            ):
                run.append((record, event))
                continue
            await flush()
            if event.event_type in self.batch_handlers:
                run.append((record, event))
            else:
                await self._process(record)
        await flush()

    async def _handle_run(self, run: list[tuple[ConsumerRecord[Any, Any], ReceivedEvent]]) -> None:
        event_type = run[0][1].event_type
        handler = self.batch_handlers[event_type]
        wait = self.retry_backoff
        while True:
            try:
                await handler([event for _, event in run])
                EVENTS_PROCESSED.labels(self.group_id, event_type, "applied").inc(len(run))
                return
            except TRANSIENT as error:
                log.warning("batch_waiting_for_database", events=len(run), error=repr(error))
                await asyncio.sleep(wait)
                wait = min(wait * 2, 5.0)
            except Exception as error:
                log.warning("batch_failed_falling_back", events=len(run), error=repr(error))
                break
        for record, _ in run:
            await self._process(record)

    async def _commit(self, offsets: dict[TopicPartition, int]) -> None:
        assert self.consumer is not None
        try:
            await self.consumer.commit(offsets)
        except (CommitFailedError, IllegalStateError) as error:
            # Partitions moved while we worked: re-read from what is committed.
            log.warning("commit_failed_rebalance", error=str(error))
            assigned = list(self.consumer.assignment())
            if assigned:
                try:
                    await self.consumer.seek_to_committed(*assigned)
                except (IllegalStateError, KafkaError) as seek_error:
                    log.warning("seek_to_committed_failed", error=str(seek_error))

    def _record_lag(self, tp: TopicPartition, last_offset: int) -> None:
        assert self.consumer is not None
        highwater = self.consumer.highwater(tp)
        if highwater is not None:
            CONSUMER_LAG.labels(self.group_id, tp.topic, str(tp.partition)).set(
                max(0, highwater - last_offset - 1)
            )

    async def _process(self, record: ConsumerRecord[Any, Any]) -> None:
        headers = tuple(record.headers or ())
        try:
            event = decode(
                record.value,
                topic=record.topic,
                partition=record.partition,
                offset=record.offset,
                headers=headers,
            )
        except DecodeError as error:
            await self._dead_letter(record, "undecodable", str(error))
            return
        handler = self.handlers.get(event.event_type)
        if handler is None:
            EVENTS_PROCESSED.labels(self.group_id, event.event_type, "ignored").inc()
            return
        bind_context(tenant_id=event.tenant_id, correlation_id=event.correlation_id)
        try:
            await self._handle_with_retries(record, event, handler)
        finally:
            unbind_context("tenant_id", "correlation_id")

    async def _handle_with_retries(
        self, record: ConsumerRecord[Any, Any], event: ReceivedEvent, handler: Handler
    ) -> None:
        attempt = 0
        transient_wait = self.retry_backoff
        while True:
            try:
                await handler(event)
                EVENTS_PROCESSED.labels(self.group_id, event.event_type, "applied").inc()
                return
            except PermanentError as error:
                await self._dead_letter(record, "rejected", str(error), event)
                return
            except TRANSIENT as error:
                # The database is away: wait for it, never dead-letter for this.
                log.warning("handler_waiting_for_database", event_id=event.event_id, error=repr(error))
                await asyncio.sleep(transient_wait)
                transient_wait = min(transient_wait * 2, 5.0)
            except Exception as error:
                attempt += 1
                if attempt > self.max_retries:
                    detail = "".join(traceback.format_exception_only(error)).strip()
                    await self._dead_letter(record, f"failed after {attempt} attempts", detail, event)
                    return
                EVENTS_PROCESSED.labels(self.group_id, event.event_type, "retried").inc()
                await asyncio.sleep(self.retry_backoff * 2 ** (attempt - 1))

    async def _dead_letter(
        self, record: ConsumerRecord[Any, Any], reason: str, detail: str, event: ReceivedEvent | None = None
    ) -> None:
        assert self.dead_letters is not None
        headers = list(record.headers or ()) + [
            ("dlq.reason", reason.encode()),
            ("dlq.detail", detail[:2000].encode(errors="replace")),
            ("dlq.consumer", self.group_id.encode()),
            ("dlq.source", f"{record.topic}/{record.partition}/{record.offset}".encode()),
        ]
        await self.dead_letters.send_and_wait(
            dead_letter_topic(record.topic), value=record.value, key=record.key, headers=headers
        )
        EVENTS_PROCESSED.labels(
            self.group_id, event.event_type if event else "unknown", "dead_lettered"
        ).inc()
        log.warning(
            "event_dead_lettered",
            reason=reason,
            detail=detail[:300],
            source=f"{record.topic}/{record.partition}/{record.offset}",
        )
