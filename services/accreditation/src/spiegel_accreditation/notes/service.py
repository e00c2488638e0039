"""The steps on the facilitator's notes: drafts, release, the due date's reminder, and readers.

One document per session and participant (`notes`, `<session>/<person>`): the text, its
version, who saved it last and when, and once released when and by whom, with the
NotesReleased event in the same single-document write (the outbox). Every save is conditional
on the version the writer started from and on the notes not being released, so two tabs (or
two facilitators) never overwrite each other unseen, and released notes are final.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from google.protobuf.timestamp_pb2 import Timestamp
from pymongo.errors import DuplicateKeyError
from spiegel.accreditation.v1 import events_pb2
from spiegel_platform.errors import ApiError
from spiegel_platform.events import OutgoingEvent, new_event
from spiegel_platform.storage.stores import Stores

from spiegel_accreditation.attendance.service import aware
from spiegel_accreditation.notes import model
from spiegel_accreditation.sessions.model import CANCELLED, RuleError
from spiegel_accreditation.sessions.service import PRODUCER, participants_of
from spiegel_accreditation.settings import AccreditationSettings
from spiegel_accreditation.storage import Document, Store, participant_key


def notes_refused(error: RuleError) -> ApiError:
    status = 409 if error.field == "version" else 422
    return ApiError(
        status, "notes_invalid", extra={"field": error.field}, field=error.field, problem=error.reason
    )


def _stamp(moment: datetime) -> Timestamp:
    stamp = Timestamp()
    stamp.FromDatetime(moment.astimezone(UTC).replace(tzinfo=None))
    return stamp


@dataclass(frozen=True)
class Reader:
    """Who reads a session's notes: a facilitator of it (every participant's), or a participant
    (their own, once released)."""

    leads: bool
    person_id: str


class Notes:
    """The steps, for every tenant of the process (stores from the wiring)."""

    def __init__(self, stores: Stores[Store], settings: AccreditationSettings) -> None:
        self.stores = stores
        self.holidays = settings.notes_due_skip_holidays

    def store(self, tenant_id: str) -> Store:
        return self.stores.tenant(tenant_id)

    async def session(self, tenant_id: str, session_id: str) -> Document:
        doc = await self.store(tenant_id).sessions.get(session_id)
        if doc is None:
            raise ApiError(404, "session_not_found", session_id=session_id)
        return doc

    def due_on(self, doc: Document) -> str:
        return model.due_on(aware(doc["ends_at"]), holidays=self.holidays).isoformat()

    async def led_session(
        self, tenant_id: str, session_id: str, facilitator_id: str, roles_ok: bool
    ) -> Document:
        """The session, for one of its facilitators; anyone else: 404 (as if it did not exist)."""
        doc = await self.session(tenant_id, session_id)
        if not roles_ok or facilitator_id not in doc.get("facilitator_ids", ()):
            raise ApiError(404, "session_not_found", session_id=session_id)
        return doc

    @staticmethod
    def _participant(doc: Document, person_id: str) -> None:
        if person_id not in {p.person_id for p in participants_of(doc)}:
            raise ApiError(422, "notes_not_participant", extra={"field": "person_id"}, person=person_id)

    # -- the facilitator ---------------------------------------------------------------------
    async def save(
        self, tenant_id: str, doc: Document, person_id: str, text: str, version: int, *, by: str
    ) -> Document:
        """A draft saved as the facilitator types; `version`: the one the page started from."""
        session_id = doc["id"]
        self._participant(doc, person_id)
        if doc["state"] == CANCELLED:
            raise ApiError(409, "session_cancelled", extra={"field": "session"}, session_id=session_id)
        if aware(doc["starts_at"]) > datetime.now(UTC):
            raise ApiError(409, "notes_not_started", extra={"field": "session"}, session_id=session_id)
        try:
            kept = model.check_text(text)
        except RuleError as error:
            raise notes_refused(error) from None
        store = self.store(tenant_id)
        key = participant_key(session_id, person_id)
        now = datetime.now(UTC)
        if version == 0:
            try:
                return await store.notes.insert(
                    {
                        "id": key,
                        "session_id": session_id,
                        "person_id": person_id,
                        "text": kept,
                        "version": 1,
                        "updated_at": now,
                        "updated_by": by,
                        "released_at": None,
                    }
                )
            except DuplicateKeyError:
                pass
        else:
            saved = await store.notes.update(
                key,
                {"$set": {"text": kept, "updated_at": now, "updated_by": by}, "$inc": {"version": 1}},
                expect={"version": version, "released_at": None},
            )
            if saved is not None:
                return saved
        raise await self._conflict(store, key, version)

    async def _conflict(self, store: Store, key: str, version: int) -> ApiError:
        current = await store.notes.get(key, projection={"version": 1, "released_at": 1})
        if current and current.get("released_at"):
            return ApiError(409, "notes_released", extra={"field": "text"})
        try:
            model.check_version(version, int((current or {}).get("version", 0)))
        except RuleError as error:
            return notes_refused(error)
        return ApiError(409, "session_changed_meanwhile", session_id=key.split("/", 1)[0])

    async def release(
        self,
        tenant_id: str,
        doc: Document,
        person_id: str,
        version: int | None,
        *,
        by: str,
        correlation_id: str,
    ) -> tuple[Document, bool]:
        """Release a participant's notes to them: (the notes, whether this call released them).
        Twice is the same answer, announced once."""
        session_id = doc["id"]
        self._participant(doc, person_id)
        store = self.store(tenant_id)
        key = participant_key(session_id, person_id)
        for _ in range(3):
            current = await store.notes.get(key)
            if current and current.get("released_at"):
                return current, False
            try:
                model.check_releasable((current or {}).get("text", ""))
                if version is not None:
                    model.check_version(version, int((current or {}).get("version", 0)))
            except RuleError as error:
                raise notes_refused(error) from None
            assert current is not None
            now = datetime.now(UTC)
            event = new_event(
                events_pb2.NotesReleased(session_id=session_id, person_id=person_id, released_at=_stamp(now)),
                tenant_id=tenant_id,
                producer=PRODUCER,
                correlation_id=correlation_id or None,
            )
            released = await store.notes.update(
                key,
                {"$set": {"released_at": now, "released_by": by}},
                [event],
                expect={"version": current["version"], "released_at": None},
            )
            if released is not None:
                return released, True
        raise ApiError(409, "session_changed_meanwhile", session_id=session_id)

    async def of_session(self, tenant_id: str, doc: Document) -> list[Document]:
        """Every participant's notes (one lookup by id each), drafts included."""
        store = self.store(tenant_id)
        found = []
        for participant in participants_of(doc):
            record = await store.notes.get(participant_key(doc["id"], participant.person_id))
            found.append(record or {"person_id": participant.person_id, "text": "", "version": 0})
        return found

    # -- the participant ---------------------------------------------------------------------
    async def own(self, tenant_id: str, session_id: str, person_id: str) -> tuple[Document, Document]:
        """A participant's released notes and the session; anything else (drafts included): 404."""
        doc = await self.session(tenant_id, session_id)
        record = await self.store(tenant_id).notes.get(participant_key(session_id, person_id))
        if record is None or not record.get("released_at"):
            raise ApiError(404, "notes_not_found", session_id=session_id)
        return record, doc

    async def mine(self, tenant_id: str, person_id: str) -> list[tuple[Document, Document | None]]:
        store = self.store(tenant_id)
        found = await store.notes.find(
            {"person_id": person_id, "released_at": {"$ne": None}},
            projection={"session_id": 1, "released_at": 1, "person_id": 1},
        )
        out = []
        for record in found:
            out.append((record, await store.sessions.get(record["session_id"])))
        return out

    # -- the due date ------------------------------------------------------------------------
    async def remind_if_overdue(self, tenant_id: str, doc: Document, now: datetime) -> bool:
        """Announce NotesOverdue once for a session past its due date with notes not released.

        The decision is one unique insert (`notes_reminders`, by session id) with its event in
        the same write: a second pass, another process or a crash after it announces nothing
        more. A session whose notes were all released in time gets the same document without an
        event (so later passes skip it)."""
        store = self.store(tenant_id)
        session_id = doc["id"]
        if doc.get("state") == CANCELLED or not model.overdue(
            aware(doc["ends_at"]), now, holidays=self.holidays
        ):
            return False
        if await store.notes_reminders.get(session_id, projection={"id": 1}) is not None:
            return False
        records = await self.of_session(tenant_id, doc)
        waiting = [r["person_id"] for r in records if not r.get("released_at")]
        events: list[OutgoingEvent] = []
        if waiting:
            events.append(
                new_event(
                    events_pb2.NotesOverdue(
                        session_id=session_id,
                        facilitator_ids=list(doc.get("facilitator_ids", ())),
                        person_ids=waiting,
                        due_on=self.due_on(doc),
                    ),
                    tenant_id=tenant_id,
                    producer=PRODUCER,
                )
            )
        try:
            await store.notes_reminders.insert(
                {"id": session_id, "checked_at": now, "waiting": len(waiting)}, events
            )
        except DuplicateKeyError:
            return False
        return bool(waiting)


def session_out(doc: Document | None) -> dict[str, Any]:
    if doc is None:
        return {}
    return {
        "starts_at": aware(doc["starts_at"]).isoformat(),
        "ends_at": aware(doc["ends_at"]).isoformat(),
        "facilitator_ids": list(doc.get("facilitator_ids", ())),
    }
