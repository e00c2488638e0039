"""The tenant-scoped repository base every service's storage builds on.

Every document carries `tenant_id`; its `_id` is "<tenant_id>:<id>", so a read
by id can only ever find the tenant's own document (and, on FerretDB, is the one
filter shape that uses the primary key instead of scanning). Every other query
gets `tenant_id` added by this class, whatever the caller's filter says, and
every result is checked again. Updates may not touch `_id`, `id` or `tenant_id`.

Events caused by a write are stored in the written document itself (`_outbox`),
in the same single-document write: the transactional outbox without
multi-document transactions. See spiegel_platform.events.outbox.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from pymongo import ASCENDING, DeleteOne, ReturnDocument, UpdateOne
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import BulkWriteError, DuplicateKeyError

from spiegel_platform.events.envelope import OutgoingEvent
from spiegel_platform.events.outbox import OUTBOX_FIELD, write_hints
from spiegel_platform.logging import get_logger
from spiegel_platform.storage.mongo import bulk_write_chunked

Document = dict[str, Any]
PROTECTED = ("_id", "id", "tenant_id", OUTBOX_FIELD)
IDEMPOTENT_OPERATORS = {"$set", "$unset", "$setOnInsert", "$max", "$min", "$addToSet"}

log = get_logger(__name__)
_seq = itertools.count()


class TenantViolation(RuntimeError):
    """A caller tried to reach outside its tenant."""


def _next_seq() -> int:
    # Orders a document's events: time first, then a per-process counter.
    return time.time_ns() // 1000 * 1000 + next(_seq) % 1000


@dataclass(frozen=True)
class IndexSpec:
    """An index of a collection; `tenant_id` is always its first key."""

    keys: Sequence[tuple[str, int]]
    unique: bool = False
    name: str | None = None
    partial: Mapping[str, Any] | None = None

    def document(self) -> dict[str, Any]:
        keys = [("tenant_id", ASCENDING), *self.keys]
        spec: dict[str, Any] = {"keys": keys, "unique": self.unique}
        spec["name"] = self.name or "tenant_" + "_".join(f"{k}_{d}" for k, d in self.keys)
        if self.partial:
            spec["partialFilterExpression"] = dict(self.partial)
        return spec


async def ensure_indexes(db: AsyncDatabase[Document], indexes: Mapping[str, Iterable[IndexSpec]]) -> None:
    for collection, specs in indexes.items():
        for spec in specs:
            doc = spec.document()
            keys = doc.pop("keys")
            await db[collection].create_index(keys, **doc)


@dataclass
class TenantRepository:
    collection: AsyncCollection[Document]
    tenant_id: str
    hints: AsyncCollection[Document] | None = field(default=None)

    def __post_init__(self) -> None:
        if not self.tenant_id or ":" in self.tenant_id:
            raise TenantViolation(f"invalid tenant id {self.tenant_id!r}")
        if self.hints is None:
            from spiegel_platform.events.outbox import HINTS_COLLECTION

            self.hints = self.collection.database[HINTS_COLLECTION]

    # -- ids and filters ---------------------------------------------------
    def key(self, local_id: str) -> str:
        if not isinstance(local_id, str) or not local_id:
            raise ValueError("an id must be a non-empty string")
        return f"{self.tenant_id}:{local_id}"

    def scoped(self, filter: Mapping[str, Any] | None = None) -> Document:
        filter = dict(filter or {})
        if "_id" in filter:
            raise TenantViolation("filter by `id`, never by `_id`")
        if set(filter) == {"id"} and isinstance(filter["id"], str):
            return {"_id": self.key(filter["id"])}
        # Ours wins over anything the caller put under tenant_id; $or/$and of the
        # caller stay inside this conjunction.
        filter["tenant_id"] = self.tenant_id
        return filter

    def _own(self, doc: Document | None) -> Document | None:
        if doc is None:
            return None
        if doc.get("tenant_id") != self.tenant_id:
            log.error("tenant_mismatch", collection=self.collection.name, doc_tenant=doc.get("tenant_id"))
            raise TenantViolation("a document of another tenant reached the repository")
        return doc

    @staticmethod
    def _check_update(update: Mapping[str, Any]) -> None:
        for operator, fields in update.items():
            if not operator.startswith("$"):
                raise ValueError("use update operators ($set, ...), not a replacement document")
            if not isinstance(fields, Mapping):
                continue
            for name in fields:
                root = str(name).split(".", 1)[0]
                if root in PROTECTED:
                    raise TenantViolation(f"{operator} may not change {name!r}")

    # -- reads -------------------------------------------------------------
    async def get(self, local_id: str, projection: Mapping[str, Any] | None = None) -> Document | None:
        doc = await self.collection.find_one({"_id": self.key(local_id)}, projection=_projection(projection))
        return self._own(doc)

    async def find(
        self,
        filter: Mapping[str, Any] | None = None,
        *,
        sort: Sequence[tuple[str, int]] | None = None,
        limit: int = 0,
        skip: int = 0,
        projection: Mapping[str, Any] | None = None,
    ) -> list[Document]:
        cursor = self.collection.find(self.scoped(filter), projection=_projection(projection))
        if sort:
            cursor = cursor.sort(list(sort))
        if skip:
            cursor = cursor.skip(skip)
        if limit:
            cursor = cursor.limit(limit)
        return [d for d in [self._own(doc) async for doc in cursor] if d is not None]

    async def find_one(self, filter: Mapping[str, Any], **kwargs: Any) -> Document | None:
        found = await self.find(filter, limit=1, **kwargs)
        return found[0] if found else None

    async def count(self, filter: Mapping[str, Any] | None = None) -> int:
        return await self.collection.count_documents(self.scoped(filter))

    # -- writes ------------------------------------------------------------
    def _new(self, doc: Mapping[str, Any], events: Sequence[OutgoingEvent]) -> Document:
        """A new document as stored: its key, its tenant, its pending events (the outbox)."""
        local_id = doc.get("id")
        if not isinstance(local_id, str):
            raise ValueError("a new document needs a string `id`")
        if "_id" in doc or OUTBOX_FIELD in doc:
            raise TenantViolation("`_id` and the outbox are set by the repository")
        if doc.get("tenant_id", self.tenant_id) != self.tenant_id:
            raise TenantViolation("cannot insert a document of another tenant")
        stored = {**doc, "_id": self.key(local_id), "tenant_id": self.tenant_id}
        if events:
            self._check_events(events)
            stored[OUTBOX_FIELD] = {e.event_id: e.to_outbox(_next_seq()) for e in events}
        return stored

    async def insert(self, doc: Mapping[str, Any], events: Sequence[OutgoingEvent] = ()) -> Document:
        """Insert a new document (its `id` given) with the events it causes, atomically."""
        stored = self._new(doc, events)
        await self.collection.insert_one(stored)
        if events:
            await self._hint(stored["_id"], list(stored[OUTBOX_FIELD].values()))
        return stored

    async def update(
        self,
        local_id: str,
        update: Mapping[str, Any],
        events: Sequence[OutgoingEvent] = (),
        *,
        expect: Mapping[str, Any] | None = None,
        upsert: bool = False,
    ) -> Document | None:
        """Change one document and store the events it causes, in one atomic write.

        `expect` adds conditions (optimistic concurrency); returns the document
        after the change, or None when it does not exist or `expect` did not hold.
        """
        self._check_update(update)
        filter: Document = {"_id": self.key(local_id)}
        for name, value in (expect or {}).items():
            if name.split(".", 1)[0] in PROTECTED:
                raise TenantViolation(f"cannot condition on {name!r}")
            filter[name] = value
        change = {op: dict(fields) for op, fields in update.items()}
        if upsert:
            change.setdefault("$setOnInsert", {}).update({"tenant_id": self.tenant_id, "id": local_id})
        if events:
            self._check_events(events)
            entries = {e.event_id: e.to_outbox(_next_seq()) for e in events}
            change.setdefault("$set", {}).update(
                {f"{OUTBOX_FIELD}.{event_id}": entry for event_id, entry in entries.items()}
            )
        doc = await self.collection.find_one_and_update(
            filter, change, upsert=upsert, return_document=ReturnDocument.AFTER
        )
        if doc is None:
            return None
        if events:
            await self._hint(doc["_id"], list(entries.values()))
        # (FerretDB's findAndModify takes no projection: strip the bookkeeping here.)
        doc.pop(OUTBOX_FIELD, None)
        doc.pop("_applied", None)
        return self._own(doc)

    async def insert_many(
        self,
        docs: Sequence[Mapping[str, Any]],
        events: Sequence[Sequence[OutgoingEvent]] | None = None,
    ) -> list[str]:
        """Insert new documents, each atomically with its own events (`events[i]` for `docs[i]`).

        Ids that exist already are skipped, and so are their events: a document
        is inserted with its events or not at all. Returns the local ids actually
        inserted. A unique insert is the one write that is atomic everywhere
        (FerretDB included), so callers may use it as a claim.
        """
        if events is not None and len(events) != len(docs):
            raise ValueError("events must have one entry per document")
        stored = [self._new(doc, events[i] if events is not None else ()) for i, doc in enumerate(docs)]
        inserted: list[str] = []
        hinted: list[Document] = []
        for start in range(0, len(stored), 50):
            chunk = stored[start : start + 50]
            duplicates: set[int] = set()
            try:
                await self.collection.insert_many(chunk, ordered=False)
            except BulkWriteError as error:
                for problem in error.details.get("writeErrors", []):
                    if problem.get("code") != 11000:
                        raise
                    duplicates.add(int(problem["index"]))
            for i, item in enumerate(chunk):
                if i not in duplicates:
                    inserted.append(item["id"])
                    if OUTBOX_FIELD in item:
                        hinted.append(item)
        if hinted:
            assert self.hints is not None
            await write_hints(
                self.hints,
                self.collection.name,
                [d["_id"] for d in hinted],
                [list(d[OUTBOX_FIELD].values()) for d in hinted],
            )
        return inserted

    async def keep_newest(
        self, local_id: str, fields: Mapping[str, Any], *, version: str = "version"
    ) -> bool:
        """Keep a consumer's copy of another service's object unless this document already holds
        the same or a newer `version` (the newest wins, whatever the order of arrival): one
        conditional upsert. True when written; False for an older or repeated version."""
        try:
            written = await self.update(
                local_id, {"$set": dict(fields)}, expect={version: {"$lt": fields[version]}}, upsert=True
            )
        except DuplicateKeyError:
            return False  # the document holds this version or a newer one
        return written is not None

    async def update_many_by_id(
        self, changes: Sequence[tuple[str, Mapping[str, Any]]], *, upsert: bool = False
    ) -> None:
        """Apply one update per document id (no events), in chunks of at most 50 statements."""
        operations = []
        for local_id, update in changes:
            self._check_update(update)
            change = {op: dict(fields) for op, fields in update.items()}
            if upsert:
                change.setdefault("$setOnInsert", {}).update({"tenant_id": self.tenant_id, "id": local_id})
            operations.append(UpdateOne({"_id": self.key(local_id)}, change, upsert=upsert))
        await bulk_write_chunked(self.collection, operations)

    async def delete_many_by_id(self, local_ids: Sequence[str]) -> None:
        """Delete documents by id (documents without pending events), in chunks."""
        await bulk_write_chunked(self.collection, [DeleteOne({"_id": self.key(i)}) for i in local_ids])

    async def _hint(self, doc_id: str, entries: list[Document]) -> None:
        assert self.hints is not None
        await write_hints(self.hints, self.collection.name, [doc_id], [entries])

    async def apply_once(
        self, local_id: str, event_id: str, update: Mapping[str, Any], *, upsert: bool = True
    ) -> bool:
        """Apply a consumed event's change unless this document already records it.

        The event id is recorded in the same single-document write as the change
        (`_applied.<event id>`), so a redelivered event changes nothing. Returns
        False when the event had been applied before.
        """
        self._check_update(update)
        marker = f"_applied.{event_id}"
        change = {op: dict(fields) for op, fields in update.items()}
        change.setdefault("$set", {})[marker] = True
        if upsert:
            change.setdefault("$setOnInsert", {}).update({"tenant_id": self.tenant_id, "id": local_id})
        try:
            result = await self.collection.update_one(
                {"_id": self.key(local_id), marker: {"$exists": False}}, change, upsert=upsert
            )
        except DuplicateKeyError:
            return False  # the document exists and already has this event
        return bool(result.modified_count or result.upserted_id is not None)

    async def apply_idempotent(
        self, local_id: str, event_id: str | Sequence[str], update: Mapping[str, Any], *, upsert: bool = True
    ) -> bool:
        """Apply a change that is idempotent by construction ($set of keyed entries, ...).

        Filters by id only (the fast path on FerretDB); refuses non-idempotent
        operators such as $inc or $push, which need `apply_once`. Several events may be
        applied to one document in one write (batch consumers). Returns False when
        nothing changed: the events had been applied before (a redelivery).
        """
        self._check_update(update)
        bad = set(update) - IDEMPOTENT_OPERATORS
        if bad:
            raise ValueError(f"{sorted(bad)} are not idempotent: use apply_once")
        change = {op: dict(fields) for op, fields in update.items()}
        for one in [event_id] if isinstance(event_id, str) else event_id:
            change.setdefault("$set", {})[f"_applied.{one}"] = True
        if upsert:
            change.setdefault("$setOnInsert", {}).update({"tenant_id": self.tenant_id, "id": local_id})
        result = await self.collection.update_one({"_id": self.key(local_id)}, change, upsert=upsert)
        return bool(result.modified_count or result.upserted_id is not None)

    async def delete(self, local_id: str) -> bool:
        doc = await self.get(local_id, projection={OUTBOX_FIELD: 1})
        if doc and doc.get(OUTBOX_FIELD):
            raise RuntimeError("refusing to delete a document whose events are not yet published")
        result = await self.collection.delete_one({"_id": self.key(local_id)})
        return result.deleted_count == 1

    def _check_events(self, events: Sequence[OutgoingEvent]) -> None:
        for event in events:
            if event.tenant_id != self.tenant_id:
                raise TenantViolation("an event of another tenant cannot be stored here")


def _projection(projection: Mapping[str, Any] | None) -> dict[str, Any] | None:
    if projection is None:
        return {OUTBOX_FIELD: 0, "_applied": 0}
    projection = dict(projection)
    if any(v for v in projection.values()):
        projection.setdefault("tenant_id", 1)
    return projection
