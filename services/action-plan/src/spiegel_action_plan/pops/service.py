"""The steps on POPs: the rules (model.py), the sealing (sealing.py), a tenant's store and the
events a change causes.

Privacy: every step takes the caller's person id and answers `NotYours` (the api's 404) for a
POP that is not theirs, whatever their roles: the same answer as for a POP that does not exist,
so nobody learns whether a colleague has one. The content is sealed with the owner's data key
before it is written and opened only for the owner; the document keeps ids, states and dates.

Every change is one conditional single-document write on the POP's version (two tabs: the
second save gets 409 and keeps its input on the page), carrying its event in the document's
outbox where it causes one.
"""

from __future__ import annotations

import json
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from bson import Binary
from google.protobuf.timestamp_pb2 import Timestamp
from pymongo.errors import DuplicateKeyError
from spiegel.action_plan.v1 import events_pb2
from spiegel_platform.errors import ApiError
from spiegel_platform.events import OutgoingEvent, new_event
from spiegel_platform.logging import get_logger
from spiegel_platform.storage.stores import Stores

from spiegel_action_plan.pops import model, sealing
from spiegel_action_plan.pops.model import COMPLETE, DRAFT, Content, Goal, ReviewItem, RuleError
from spiegel_action_plan.storage import Document, Store

PRODUCER = "action-plan"
KEY_CACHE_SIZE = 10_000
IFMS = "IFMS"
log = get_logger(__name__)


class NotYours(Exception):
    """No POP of the caller's by this id (it does not exist, or it is someone else's)."""


def refused(error: RuleError) -> ApiError:
    return ApiError(422, "pop_invalid", extra={"field": error.field}, field=error.field, problem=error.reason)


def plan_id_of(tenant_id: str, owner_id: str, round_id: str) -> str:
    """One POP per owner and round: starting twice finds the same one (a unique insert)."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"spiegel-pop:{tenant_id}:{owner_id}:{round_id}"))


@dataclass(frozen=True)
class Opened:
    """A POP as its owner sees it: the document's ids and states, and the content (None when
    the owner's data key was erased)."""

    doc: Document
    content: Content | None


def _stamp(moment: datetime) -> Timestamp:
    stamp = Timestamp()
    stamp.FromDatetime(moment.astimezone(UTC).replace(tzinfo=None))
    return stamp


class Pops:
    """The steps, for every tenant of the process (stores and keyring from the wiring)."""

    def __init__(self, stores: Stores[Store], keyring: sealing.Keyring, key_cache_s: float = 0.0) -> None:
        self.stores = stores
        self.keyring = keyring
        # Unwrapped data keys kept in this process for `key_cache_s` (0: none), so a read or a
        # save costs no extra database round trip for the key. The price: after an erasure,
        # another api replica may open that owner's POPs until its entry expires (this one
        # forgets at once). Bounded; never written anywhere.
        self.key_cache_s = key_cache_s
        self._keys: dict[tuple[str, str], tuple[str, bytes, float]] = {}

    def _remember(self, tenant_id: str, owner_id: str, key_id: str, key: bytes) -> tuple[str, bytes]:
        if self.key_cache_s > 0:
            if len(self._keys) >= KEY_CACHE_SIZE:
                self._keys.pop(next(iter(self._keys)))  # the oldest entry
            self._keys[(tenant_id, owner_id)] = (key_id, key, time.monotonic() + self.key_cache_s)
        return key_id, key

    def _cached(self, tenant_id: str, owner_id: str) -> tuple[str, bytes] | None:
        entry = self._keys.get((tenant_id, owner_id))
        if entry is None:
            return None
        if entry[2] < time.monotonic():
            self._keys.pop((tenant_id, owner_id), None)
            return None
        return entry[0], entry[1]

    def store(self, tenant_id: str) -> Store:
        return self.stores.tenant(tenant_id)

    # -- keys ------------------------------------------------------------------------------
    async def data_key(self, store: Store, owner_id: str, *, create: bool) -> tuple[str, bytes] | None:
        """The owner's data key (its id and the key), made and wrapped on first use."""
        tenant_id = store.pops.tenant_id
        cached = self._cached(tenant_id, owner_id)
        if cached is not None:
            return cached
        doc = await store.data_keys.get(owner_id)
        if doc is None and create:
            key_id = uuid.uuid4().hex
            key = sealing.new_data_key()
            wrapped = self.keyring.wrap(key, sealing.key_context(store.pops.tenant_id, owner_id, key_id))
            try:
                await store.data_keys.insert(
                    {
                        "id": owner_id,
                        "data_key_id": key_id,
                        "kek_id": wrapped.kek_id,
                        "wrapped": Binary(wrapped.blob),
                        "created_at": datetime.now(UTC),
                    }
                )
                return self._remember(tenant_id, owner_id, key_id, key)
            except DuplicateKeyError:  # made meanwhile by the owner's other request
                doc = await store.data_keys.get(owner_id)
        if doc is None:
            return None
        wrapped = sealing.Wrapped(doc["kek_id"], bytes(doc["wrapped"]))
        context = sealing.key_context(store.pops.tenant_id, owner_id, doc["data_key_id"])
        try:
            return self._remember(
                tenant_id, owner_id, doc["data_key_id"], self.keyring.unwrap(wrapped, context)
            )
        except sealing.Unreadable as error:
            # The deployment's keyring lacks the KEK that wrapped this key (removed before the
            # rotation finished) or the key was tampered with: the operators' problem, not a 500.
            log.error("pop_data_key_unreadable", subject=owner_id, kek_id=doc["kek_id"], reason=str(error))
            raise ApiError(503, "pop_key_unavailable") from None

    async def _seal(
        self,
        store: Store,
        owner_id: str,
        plan_id: str,
        content: Content,
        found: tuple[str, bytes] | None = None,
    ) -> dict[str, Any]:
        # `found`: the owner's key read once already in this step (one database read fewer).
        found = found or await self.data_key(store, owner_id, create=True)
        assert found is not None
        key_id, key = found
        plain = json.dumps(content.as_dict(), ensure_ascii=False, separators=(",", ":")).encode()
        blob = sealing.seal(key, plain, sealing.plan_context(store.pops.tenant_id, owner_id, plan_id))
        return {"data_key_id": key_id, "sealed": Binary(blob)}

    async def _open(
        self, store: Store, doc: Document, found: tuple[str, bytes] | None = None
    ) -> Content | None:
        if doc.get("sealed") is None:
            return None  # erased (or read without its content: a caller's mistake, shown as erased)
        found = found or await self.data_key(store, doc["owner_id"], create=False)
        if found is None or found[0] != doc.get("data_key_id"):
            return None  # erased: the data key that sealed it is gone
        key = found[1]
        plain = sealing.open_sealed(
            key, bytes(doc["sealed"]), sealing.plan_context(store.pops.tenant_id, doc["owner_id"], doc["id"])
        )
        return Content.of(json.loads(plain))

    # -- reading ---------------------------------------------------------------------------
    async def own(self, store: Store, owner_id: str, plan_id: str) -> Document:
        doc = await store.pops.get(plan_id)
        if doc is None or doc.get("owner_id") != owner_id:
            log.warning("pop_refused", subject=owner_id, plan_id=plan_id, exists=doc is not None)
            raise NotYours(plan_id)
        return doc

    async def read(self, tenant_id: str, owner_id: str, plan_id: str) -> Opened:
        store = self.store(tenant_id)
        doc = await self.own(store, owner_id, plan_id)
        return Opened(doc, await self._open(store, doc))

    async def mine(self, tenant_id: str, owner_id: str) -> list[Document]:
        docs = await self.store(tenant_id).pops.find({"owner_id": owner_id}, projection={"sealed": 0})
        return sorted(docs, key=lambda d: (d["created_at"], d["id"]), reverse=True)

    async def previous(self, tenant_id: str, owner_id: str, plan_id: str) -> Opened | None:
        """The POP this one reviews (the owner's latest before it), opened."""
        store = self.store(tenant_id)
        doc = await self.own(store, owner_id, plan_id)
        if not doc.get("previous_plan_id"):
            return None
        before = await self.own(store, owner_id, doc["previous_plan_id"])
        return Opened(before, await self._open(store, before))

    # -- changes ---------------------------------------------------------------------------
    async def start(
        self, tenant_id: str, owner_id: str, round_id: str, correlation_id: str
    ) -> tuple[Document, bool]:
        """The owner's POP for their own IFMS round: made (with PersonalPlanStarted), or the one
        made before. A round that is not the caller's own IFMS round is refused as unknown."""
        store = self.store(tenant_id)
        known = await store.rounds.get(round_id)
        if known is None or known.get("kind") != IFMS or known.get("subject_id") != owner_id:
            log.warning("pop_start_refused", subject=owner_id, round_id=round_id, known=known is not None)
            raise ApiError(404, "round_not_yours", round_id=round_id)
        plan_id = plan_id_of(tenant_id, owner_id, round_id)
        existing = await store.pops.get(plan_id, projection={"sealed": 0})
        if existing is not None:
            return existing, False
        earlier = [d for d in await self.mine(tenant_id, owner_id) if d["round_id"] != round_id]
        previous = earlier[0] if earlier else None
        review_needed = False
        if previous is not None:
            opened = await self._open(store, await self.own(store, owner_id, previous["id"]))
            review_needed = bool(opened and opened.goals)
        now = datetime.now(UTC)
        doc: Document = {
            "id": plan_id,
            "owner_id": owner_id,
            "round_id": round_id,
            "state": DRAFT,
            "version": 1,
            "created_at": now,
            "updated_at": now,
            "previous_plan_id": previous["id"] if previous else "",
            "review_done": not review_needed,
            **(await self._seal(store, owner_id, plan_id, Content())),
        }
        event = events_pb2.PersonalPlanStarted(plan_id=plan_id, person_id=owner_id, round_id=round_id)
        try:
            inserted = await store.pops.insert(doc, [self._event(tenant_id, event, correlation_id)])
        except DuplicateKeyError:  # started meanwhile (a double click)
            again = await store.pops.get(plan_id, projection={"sealed": 0})
            assert again is not None
            return again, False
        inserted.pop("sealed", None)
        return inserted, True

    async def _write(
        self,
        store: Store,
        doc: Document,
        version: int,
        change: dict[str, Any],
        events: list[OutgoingEvent] | None = None,
    ) -> Document:
        if doc["version"] != version:
            raise ApiError(409, "pop_changed_meanwhile", version=doc["version"])
        written = await store.pops.update(
            doc["id"],
            {"$set": {**change, "version": version + 1, "updated_at": datetime.now(UTC)}},
            events or [],
            expect={"version": version, "owner_id": doc["owner_id"]},
        )
        if written is None:
            current = await store.pops.get(doc["id"], projection={"sealed": 0})
            raise ApiError(409, "pop_changed_meanwhile", version=current["version"] if current else version)
        return written

    async def save(
        self,
        tenant_id: str,
        owner_id: str,
        plan_id: str,
        version: int,
        keep_and_extend: str,
        goals: list[Goal],
        today: date | None = None,
    ) -> Opened:
        store = self.store(tenant_id)
        doc = await self.own(store, owner_id, plan_id)
        key = await self.data_key(store, owner_id, create=True)
        before = await self._open(store, doc, key) or Content()
        try:
            kept_text = model.check_text("keep_and_extend", keep_and_extend)
            kept_goals = model.check_goals(goals, before.goals, today or datetime.now(UTC).date())
        except RuleError as error:
            raise refused(error) from None
        new_goals = [g for g in kept_goals if g.id not in {b.id for b in before.goals}]
        if new_goals and not doc.get("review_done", True):
            raise ApiError(409, "pop_review_first")
        content = Content(keep_and_extend=kept_text, goals=kept_goals, review=before.review)
        written = await self._write(
            store, doc, version, await self._seal(store, owner_id, plan_id, content, key)
        )
        return Opened(written, content)

    async def review(
        self, tenant_id: str, owner_id: str, plan_id: str, version: int, items: list[ReviewItem]
    ) -> Opened:
        store = self.store(tenant_id)
        doc = await self.own(store, owner_id, plan_id)
        previous = await self.previous(tenant_id, owner_id, plan_id)
        if previous is None or not previous.content or not previous.content.goals:
            raise ApiError(409, "pop_nothing_to_review")
        try:
            review = model.check_review(previous.content.goals, items)
        except RuleError as error:
            raise refused(error) from None
        before = await self._open(store, doc) or Content()
        goals = model.carried_forward(previous.content.goals, review, before.goals)
        content = Content(keep_and_extend=before.keep_and_extend, goals=goals, review=review)
        change = {**(await self._seal(store, owner_id, plan_id, content)), "review_done": True}
        written = await self._write(store, doc, version, change)
        return Opened(written, content)

    async def complete(
        self, tenant_id: str, owner_id: str, plan_id: str, version: int, correlation_id: str
    ) -> Document:
        """Marks the POP complete and announces it (ids only). Completing again changes nothing."""
        store = self.store(tenant_id)
        doc = await self.own(store, owner_id, plan_id)
        if doc["state"] == COMPLETE:
            return doc
        content = await self._open(store, doc)
        if content is None:
            raise ApiError(410, "pop_erased")
        if not doc.get("review_done", True):
            raise ApiError(409, "pop_review_first")
        if not content.goals:
            raise ApiError(422, "pop_without_goals", extra={"field": "goals"})
        now = datetime.now(UTC)
        event = events_pb2.PersonalPlanCompleted(
            plan_id=plan_id, person_id=owner_id, round_id=doc["round_id"], completed_at=_stamp(now)
        )
        return await self._write(
            store,
            doc,
            version,
            {"state": COMPLETE, "completed_at": now},
            [self._event(tenant_id, event, correlation_id)],
        )

    async def erase(self, tenant_id: str, owner_id: str) -> int:
        """Crypto-erasure: the owner's data key is deleted, so every POP it sealed, in the
        database and in every copy of it, is unreadable. The ciphertext is removed from the live
        documents too; ids and states stay (a complete POP stays complete for the coordinator)."""
        store = self.store(tenant_id)
        self._keys.pop((tenant_id, owner_id), None)
        await store.data_keys.delete(owner_id)
        docs = await store.pops.find({"owner_id": owner_id}, projection={"sealed": 0})
        for doc in docs:
            await store.pops.update(doc["id"], {"$set": {"sealed": None, "erased_at": datetime.now(UTC)}})
        log.info("pop_keys_erased", subject=owner_id, plans=len(docs))
        return len(docs)

    def _event(self, tenant_id: str, payload: Any, correlation_id: str) -> OutgoingEvent:
        return new_event(
            payload, tenant_id=tenant_id, producer=PRODUCER, correlation_id=correlation_id or None
        )
