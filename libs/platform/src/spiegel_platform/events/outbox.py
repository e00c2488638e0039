"""The transactional outbox and its relay.

A state change and the events it causes are one single-document write: the
events sit in the changed document under `_outbox.<event id>` (see
storage.repository). Before that write, a *hint* (a tiny document naming the
collection and document id, with a unique id of its own) is inserted into
`outbox_hints`. The relay reads hints, publishes the pending events of each
hinted document with an idempotent producer (acks=all, awaiting the broker's
acknowledgement), deletes exactly the hints it read, and removes exactly those
events from their documents. The removal (one update per document, the
costliest step on FerretDB) overlaps the next pass: a pass does not wait for
the previous pass's removals, up to `max_pending_removals` events.

Why hints: on FerretDB's SQLite backend only a filter naming `_id` uses the
primary key; any other query scans the collection. With hints the relay never
scans a large collection on its hot path: every step is a read or write by
`_id`. A hint is written right *after* its document, so the relay always finds
the events a hint points at; a hint written while the relay worked has an id the
relay did not read and survives. A crash between the document write and its
hint leaves events without a hint: the relay's sweep (at start and every
`sweep_interval` seconds) scans the service's outbox collections once and hints
them. A crash after a pass deleted its hints but before its events were removed
from their documents leaves the same: published events without a hint, found by
the sweep and published again. A crash at any point therefore loses nothing and
at worst publishes an event twice (consumers are idempotent).
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import bson
from aiokafka import AIOKafkaProducer
from bson import Binary
from pymongo import DeleteOne, UpdateOne
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase

from spiegel_platform.events.envelope import OutgoingEvent
from spiegel_platform.logging import get_logger
from spiegel_platform.metrics import OUTBOX_BACKLOG, OUTBOX_FAILURES, OUTBOX_PUBLISHED
from spiegel_platform.periodic import sleep_or_stop
from spiegel_platform.storage.mongo import bulk_write_chunked

OUTBOX_FIELD = "_outbox"
HINTS_COLLECTION = "outbox_hints"
PACKED_ITEMS = "p"
MAX_HINTS_PER_PASS = 500

log = get_logger(__name__)

Document = dict[str, Any]


async def write_hints(
    hints: AsyncCollection[Document],
    collection: str,
    doc_ids: Sequence[str],
    entries: Sequence[Sequence[Document]] | None = None,
) -> None:
    """One hint for a write of one or many documents.

    The hint names the documents and carries a copy of their new events, so the
    relay can publish without reading them (the documents stay the source of
    truth: a hint without events, from the sweep, makes the relay read them).
    The items are packed into one BSON binary: FerretDB then stores, reads and
    deletes a hint as one value instead of decoding every field of every event.
    """
    items: list[Document] = []
    for index, doc_id in enumerate(doc_ids):
        item: Document = {"d": doc_id}
        if entries is not None:
            item["e"] = list(entries[index])
        items.append(item)
    hint: Document = {
        "_id": f"{collection}|{uuid.uuid4().hex}",
        "c": collection,
        "at": datetime.now(UTC),
        PACKED_ITEMS: Binary(bson.encode({"items": items})),
    }
    await hints.insert_one(hint)


def hint_items(hint: Document) -> list[Document]:
    """The documents (and copies of their events) a hint names, packed or, as written before, plain."""
    if PACKED_ITEMS in hint:
        return list(bson.decode(bytes(hint[PACKED_ITEMS]))["items"])
    return list(hint.get("items", ()))


@dataclass
class RelayStats:
    published: int = 0
    passes: int = 0


class OutboxRelay:
    """Publishes pending outbox events; its own process type (`<service> relay`)."""

    def __init__(
        self,
        db: AsyncDatabase[Document],
        producer: AIOKafkaProducer,
        *,
        service: str,
        collections: Sequence[str] = (),
        sweep_interval: float = 300.0,
        batch_size: int = 500,
        idle_interval: float = 0.05,
        max_backoff: float = 5.0,
        send_timeout: float = 30.0,
        read_concurrency: int = 8,
        topic_prefix: str = "",
        max_pending_removals: int | None = None,
    ) -> None:
        self.db = db
        self.topic_prefix = topic_prefix
        self.producer = producer
        self.service = service
        self.batch_size = batch_size
        self.idle_interval = idle_interval
        self.max_backoff = max_backoff
        self.send_timeout = send_timeout
        self.read_concurrency = read_concurrency
        self.collections = list(collections)
        self.sweep_interval = sweep_interval
        self.hints = db[HINTS_COLLECTION]
        self.stats = RelayStats()
        self._wake = asyncio.Event()
        self._hint_limit = 1  # then adapted after each pass to the size of the hints
        # Published events whose hints are deleted, still to be removed from their documents:
        # (collection, document id, event ids). Their ids, so no pass publishes them again;
        # an id leaves that set only when a pass begins after its removal (`_removed`), so a
        # read of its document that began before the removal cannot bring it back.
        self.max_pending_removals = max_pending_removals or 4 * batch_size
        self._removals: list[tuple[str, str, list[str]]] = []
        self._removing: set[str] = set()
        self._removed: set[str] = set()
        self._removal_lock = asyncio.Lock()
        self._removals_queued = asyncio.Event()

    def wake(self) -> None:
        self._wake.set()

    async def run(self, stop: asyncio.Event) -> None:
        backoff = 0.1
        log.info("relay_started", service=self.service)
        next_sweep = 0.0
        loop = asyncio.get_running_loop()
        remover = asyncio.create_task(self._remove_continuously())
        try:
            while not stop.is_set():
                try:
                    if loop.time() >= next_sweep:
                        await self.remove_published()  # the sweep must not find them
                        await self.sweep()
                        next_sweep = loop.time() + self.sweep_interval
                    if self.pending_removals() > self.max_pending_removals:
                        await self.remove_published()  # the removals fell behind: wait for them
                    published = await self.publish_pass()
                    backoff = 0.1
                except Exception as error:  # broker or database away: keep everything, retry
                    OUTBOX_FAILURES.labels(self.service).inc()
                    log.warning("relay_pass_failed", error=repr(error), retry_in=backoff)
                    await sleep_or_stop(stop, backoff)
                    backoff = min(backoff * 2, self.max_backoff)
                    continue
                if published == 0:
                    self._wake.clear()
                    waiter = asyncio.create_task(self._wake.wait())
                    stopper = asyncio.create_task(stop.wait())
                    await asyncio.wait(
                        {waiter, stopper}, timeout=self.idle_interval, return_when=asyncio.FIRST_COMPLETED
                    )
                    waiter.cancel()
                    stopper.cancel()
        finally:
            remover.cancel()
            try:
                await remover
            except asyncio.CancelledError:
                pass
            try:
                await self.remove_published()  # a clean stop leaves no published event behind
            except Exception as error:  # the sweep of the next start publishes them again
                log.warning("relay_removals_left", error=repr(error), events=self.pending_removals())
        log.info("relay_stopped", service=self.service, published=self.stats.published)

    async def run_once(self) -> int:
        """One whole pass: publish, delete the hints, remove the events from their documents.
        Returns the number of events sent."""
        sent = await self.publish_pass()
        await self.remove_published()
        return sent

    async def publish_pass(self) -> int:
        """Publish what the hints point at and delete the hints; the events' removal from
        their documents is queued (`remove_published`). Returns the number of events sent."""
        self.stats.passes += 1
        self._removing -= self._removed  # removed before this pass began: no read of it is older
        self._removed.clear()
        # Natural order is insertion order: oldest hints first. A limit, never a cursor left
        # half read: FerretDB reads and decodes every document a query without a limit
        # matches (a backlog of large hints made each pass cost the whole backlog), and a
        # sort would do the same. The limit follows the hints' size: about `batch_size`
        # events' worth (a first pass reads one hint to learn it).
        oldest = [hint async for hint in self.hints.find({}, limit=self._hint_limit)]
        if not oldest:
            OUTBOX_BACKLOG.labels(self.service).set(0)
            return 0
        # Whole hints, oldest first, up to `batch_size` events (at least one hint); the
        # rest of what was read stays for the next pass.
        hints: list[Document] = []
        docs: dict[tuple[str, str], list[Document]] = {}
        items = 0
        for hint in oldest:
            found = hint_items(hint)
            if hints and items + len(found) > self.batch_size:
                break
            hints.append(hint)
            for item in found:
                docs.setdefault((hint["c"], item["d"]), []).append(item)
            items += len(found)
        OUTBOX_BACKLOG.labels(self.service).set(len(oldest))
        per_hint = max(1.0, items / len(hints))
        self._hint_limit = max(1, min(MAX_HINTS_PER_PASS, round(self.batch_size / per_hint)))
        # Hints carry their events; only hints without (from the sweep) need the
        # document, read by id (the fast path), several at a time.
        gate = asyncio.Semaphore(self.read_concurrency)

        async def read(
            collection: str, doc_id: str, found: list[Document]
        ) -> tuple[str, str, list[OutgoingEvent]]:
            entries = {e["event_id"]: e for item in found for e in item.get("e", ())}
            if any("e" not in item for item in found):
                async with gate:
                    entries.update(await self.read_outbox(collection, doc_id))
            # Published already, only not yet removed from the document: not again.
            ordered = sorted(
                (e for event_id, e in entries.items() if event_id not in self._removing),
                key=lambda e: e["seq"],
            )
            return collection, doc_id, [OutgoingEvent.from_outbox(e) for e in ordered]

        pending = list(await asyncio.gather(*(read(c, d, found) for (c, d), found in docs.items())))
        futures = []
        for _, _, events in pending:
            for event in events:
                futures.append(
                    await self.producer.send(
                        self.topic_prefix + event.topic,
                        value=event.envelope,
                        key=event.key.encode(),
                        headers=event.headers(),
                        timestamp_ms=event.timestamp_ms,
                    )
                )
        if futures:
            # acks=all: every event is on the broker before anything is marked sent.
            await asyncio.wait_for(asyncio.gather(*futures), timeout=self.send_timeout)

        await self.mark_sent(pending, hints)
        sent = sum(len(events) for _, _, events in pending)
        self.stats.published += sent
        return sent

    async def read_outbox(self, collection: str, doc_id: str) -> dict[str, Document]:
        """The pending events of one document, read by id (the fast path)."""
        doc = await self.db[collection].find_one({"_id": doc_id}, projection={OUTBOX_FIELD: 1})
        return dict((doc or {}).get(OUTBOX_FIELD, {}))

    async def mark_sent(
        self, pending: list[tuple[str, str, list[OutgoingEvent]]], hints: list[Document]
    ) -> None:
        """The events are on the broker: queue their removal from their documents, then
        delete the hints read (a crash in between leaves them to the sweep)."""
        for collection, doc_id, events in pending:
            if events:
                self._removals.append((collection, doc_id, [e.event_id for e in events]))
                self._removing.update(e.event_id for e in events)
                for event in events:
                    OUTBOX_PUBLISHED.labels(self.service, event.topic).inc()
        await bulk_write_chunked(self.hints, [DeleteOne({"_id": h["_id"]}) for h in hints])
        self._removals_queued.set()

    async def remove_published(self) -> None:
        """Remove exactly the published events queued so far from their documents."""
        async with self._removal_lock:
            taken, self._removals = self._removals, []
            if not taken:
                return
            by_collection: dict[str, list[UpdateOne]] = {}
            for collection, doc_id, event_ids in taken:
                unset = {f"{OUTBOX_FIELD}.{event_id}": "" for event_id in event_ids}
                by_collection.setdefault(collection, []).append(UpdateOne({"_id": doc_id}, {"$unset": unset}))
            try:
                for collection, updates in by_collection.items():
                    await bulk_write_chunked(self.db[collection], updates)
            except BaseException:
                self._removals[:0] = taken  # tried again (an $unset repeated changes nothing)
                raise
            self._removed.update(e for _, _, event_ids in taken for e in event_ids)

    def pending_removals(self) -> int:
        """Published events still in their documents (queued or being removed)."""
        return len(self._removing) - len(self._removed)

    async def _remove_continuously(self) -> None:
        """The removals of one pass while the next pass publishes."""
        backoff = 0.1
        while True:
            await self._removals_queued.wait()
            self._removals_queued.clear()
            try:
                await self.remove_published()
                backoff = 0.1
            except Exception as error:  # the database away: the events stay queued
                log.warning("relay_removal_failed", error=repr(error), retry_in=backoff)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, self.max_backoff)
                self._removals_queued.set()

    async def sweep(self) -> int:
        """Hint every document with pending events (after a crash between write and hint)."""
        found = 0
        for collection in self.collections:
            cursor = self.db[collection].find(
                {OUTBOX_FIELD: {"$exists": True, "$ne": {}}}, projection={"_id": 1}
            )
            ids = [doc["_id"] async for doc in cursor]
            for start in range(0, len(ids), 500):
                await write_hints(self.hints, collection, ids[start : start + 500])
            found += len(ids)
        if found:
            log.info("relay_sweep_hinted", documents=found)
        return found
