"""The steps on RGS declarations: what each participant of a session may get, signing, the PDF,
a participant's own declarations, and verification by code.

Storage (see storage.py): `declarations` (id `<session>/<person>`: what the declaration says,
fixed when it was signed, with its DeclarationSigned in the same document's outbox),
`declaration_codes` (id: the SHA-256 of the code: which declaration it verifies) and
`confirmations` (id: the gateway's confirmation id, used once).

Signing, three single-document writes, all checked before the first:
1. the confirmation is used up (a unique insert of its id: a replayed token signs nothing);
2. the code's index entry (a unique insert; a clash of 80 random bits is retried);
3. the declaration with its event (a unique insert: signed once; a second signing is 409).
A crash after 1 costs the facilitator a second password entry; after 2 it leaves a code that
verifies nothing (404). Nothing is half-signed.
"""

from __future__ import annotations

import time
from datetime import UTC, date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from google.protobuf.timestamp_pb2 import Timestamp
from pymongo.errors import DuplicateKeyError
from spiegel.accreditation.v1 import events_pb2
from spiegel_platform.errors import ApiError
from spiegel_platform.events import new_event
from spiegel_platform.storage.stores import Stores

from spiegel_accreditation.declarations import model
from spiegel_accreditation.declarations.pdf import Declaration
from spiegel_accreditation.sessions.model import CANCELLED
from spiegel_accreditation.sessions.service import PRODUCER, participants_of
from spiegel_accreditation.settings import AccreditationSettings
from spiegel_accreditation.storage import Document, Store, participant_key

AMSTERDAM = ZoneInfo("Europe/Amsterdam")
VERIFY_PATH = "/verklaring/"
# Refusals of the rules and their HTTP status.
STATUS = {
    "group_monitor": 409,
    "not_attended": 409,
    "employment_unknown": 409,
    "no_big_number": 409,
    "not_ended": 409,
    "confirmation_required": 403,
    "confirmation_stale": 403,
    "confirmation_used": 403,
    "password_wrong": 403,
    "too_many_attempts": 429,
    "no_password": 403,
}


def aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def refused(error: model.Refused) -> ApiError:
    return ApiError(STATUS.get(error.code, 422), f"declaration_{error.code}", extra={"field": error.field})


def day_of(doc: Document) -> date:
    """The day of the discussion, in the hospital's calendar."""
    return aware(doc["starts_at"]).astimezone(AMSTERDAM).date()


class Declarations:
    def __init__(self, stores: Stores[Store], settings: AccreditationSettings) -> None:
        self.stores = stores
        self.base_url_template = settings.public_base_url_template

    def store(self, tenant_id: str) -> Store:
        return self.stores.tenant(tenant_id)

    async def session(self, tenant_id: str, session_id: str) -> Document:
        doc = await self.store(tenant_id).sessions.get(session_id)
        if doc is None:
            raise ApiError(404, "session_not_found", session_id=session_id)
        return doc

    async def led_session(self, tenant_id: str, session_id: str, facilitator_id: str) -> Document:
        """The session, for one of its facilitators; anyone else: unknown (404)."""
        doc = await self.session(tenant_id, session_id)
        if facilitator_id not in doc.get("facilitator_ids", ()):
            raise ApiError(404, "session_not_found", session_id=session_id)
        return doc

    async def verify_url(self, tenant_id: str, code: str) -> str:
        hospital = await self.store(tenant_id).hospitals.get(tenant_id) or {}
        slug = str(hospital.get("slug") or "")
        base = self.base_url_template.replace("{slug}", slug).rstrip("/") if slug else ""
        return f"{base}{VERIFY_PATH}{model.grouped(code)}"

    # -- the facilitator's list ----------------------------------------------------------------
    async def overview(self, tenant_id: str, doc: Document) -> list[dict[str, Any]]:
        """Per participant: name, attendance, the form they would get or why none, signed or not."""
        store = self.store(tenant_id)
        out = []
        for p in participants_of(doc):
            key = participant_key(doc["id"], p.person_id)
            record = await store.attendance.get(key) or {}
            person = await store.people.get(p.person_id) or {}
            signed = await store.declarations.get(key)
            item: dict[str, Any] = {
                "person_id": p.person_id,
                "name": await self._name(store, p.person_id, p.round_id, person),
                "attendance": record.get("status") or "unknown",
                "employment": person.get("employment") or "",
                "signed": signed is not None,
                "signed_at": aware(signed["signed_at"]).isoformat() if signed else None,
                "signed_by": signed.get("facilitator_name") if signed else None,
                "form": signed.get("form") if signed else None,
                "refusal": None,
            }
            if signed is None:
                try:
                    await self._check(store, doc, p.person_id, record, person)
                    item["form"] = model.form_for(person.get("employment"))
                except model.Refused as error:
                    item["refusal"] = {"code": f"declaration_{error.code}", "field": error.field}
            out.append(item)
        return out

    async def _name(self, store: Store, person_id: str, round_id: str, person: Document) -> str:
        if person.get("display_name"):
            return str(person["display_name"])
        round_doc = await store.rounds.get(round_id) or {}
        return str(round_doc.get("subject_name") or "") if round_doc.get("subject_id") == person_id else ""

    async def _check(
        self, store: Store, doc: Document, person_id: str, record: Document, person: Document
    ) -> str:
        """The rules in order; the BIG number when they all pass."""
        if doc["state"] == CANCELLED or aware(doc["ends_at"]) > datetime.now(UTC):
            raise model.Refused("session", "not_ended")
        model.check_eligible(str(doc.get("kind")), record.get("status"))
        model.form_for(person.get("employment"))
        number = await store.big_numbers.get(person_id)
        if not number or not number.get("big_number"):
            raise model.Refused("big_number", "no_big_number")
        return str(number["big_number"])

    # -- signing ---------------------------------------------------------------------------------
    async def sign(
        self,
        tenant_id: str,
        session_id: str,
        person_id: str,
        *,
        facilitator_id: str,
        facilitator_name: str,
        claims: dict[str, Any],
    ) -> tuple[Document, bool]:
        """Signs a participant's declaration; (the declaration, whether it was signed just now).
        A declaration signed before is answered as it is (no second confirmation is used up)."""
        doc = await self.led_session(tenant_id, session_id, facilitator_id)
        if person_id not in {p.person_id for p in participants_of(doc)}:
            raise ApiError(404, "declaration_not_participant", extra={"field": "person_id"}, person=person_id)
        store = self.store(tenant_id)
        key = participant_key(session_id, person_id)
        existing = await store.declarations.get(key)
        if existing is not None:
            return existing, False
        record = await store.attendance.get(key) or {}
        person = await store.people.get(person_id) or {}
        try:
            big_number = await self._check(store, doc, person_id, record, person)
            form = model.form_for(person.get("employment"))
            confirmation = model.check_confirmation(claims, facilitator_id, time.time())
        except model.Refused as error:
            raise refused(error) from None
        try:
            await store.confirmations.insert(
                {"id": confirmation.id, "person_id": facilitator_id, "used_at": datetime.now(UTC)}
            )
        except DuplicateKeyError:
            raise refused(model.Refused("password", "confirmation_used")) from None
        code = await self._new_code(store, session_id, person_id)
        hospital = await store.hospitals.get(tenant_id) or {}
        now = datetime.now(UTC)
        declaration = {
            "id": key,
            "session_id": session_id,
            "person_id": person_id,
            "form": form,
            "name": await self._name(store, person_id, self._round_of(doc, person_id), person),
            "big_number": big_number,
            "specialism": person.get("specialism") or "",
            "hospital": hospital.get("name") or "",
            "day": day_of(doc).isoformat(),
            "system": model.SYSTEM,
            "facilitator_id": facilitator_id,
            "facilitator_name": facilitator_name,
            "signed_at": now,
            "confirmation_id": confirmation.id,
            "code": code,
        }
        stamp = Timestamp()
        stamp.FromDatetime(now.replace(tzinfo=None))
        event = new_event(
            events_pb2.DeclarationSigned(
                session_id=session_id,
                person_id=person_id,
                facilitator_id=facilitator_id,
                signed_at=stamp,
                form=form,
            ),
            tenant_id=tenant_id,
            producer=PRODUCER,
        )
        try:
            stored = await store.declarations.insert(declaration, [event])
        except DuplicateKeyError:
            # Signed at the same moment by the session's other facilitator: theirs stands.
            await store.declaration_codes.delete(model.code_key(code))
            found = await store.declarations.get(key)
            if found is None:
                raise
            return found, False
        return stored, True

    @staticmethod
    def _round_of(doc: Document, person_id: str) -> str:
        return next((p.round_id for p in participants_of(doc) if p.person_id == person_id), "")

    async def _new_code(self, store: Store, session_id: str, person_id: str) -> str:
        for _ in range(5):
            code = model.new_code()
            try:
                await store.declaration_codes.insert(
                    {"id": model.code_key(code), "session_id": session_id, "person_id": person_id}
                )
                return code
            except DuplicateKeyError:
                continue
        raise ApiError(503, "declaration_code_unavailable")

    # -- reading -------------------------------------------------------------------------------
    async def readable(self, tenant_id: str, session_id: str, person_id: str, reader: str) -> Document:
        """A signed declaration, for its participant or one of the session's facilitators; anyone
        else, or not signed (yet): 404."""
        doc = await self.session(tenant_id, session_id)
        if reader != person_id and reader not in doc.get("facilitator_ids", ()):
            raise ApiError(404, "declaration_not_found", session_id=session_id)
        found = await self.store(tenant_id).declarations.get(participant_key(session_id, person_id))
        if found is None:
            raise ApiError(404, "declaration_not_found", session_id=session_id)
        return found

    async def as_pdf_data(self, tenant_id: str, found: Document) -> Declaration:
        return Declaration(
            form=found["form"],
            name=found["name"],
            big_number=found["big_number"],
            specialism=found["specialism"],
            hospital=found["hospital"],
            day=date.fromisoformat(found["day"]),
            system=found["system"],
            facilitator=found["facilitator_name"],
            signed_at=aware(found["signed_at"]),
            code=found["code"],
            verify_url=await self.verify_url(tenant_id, found["code"]),
        )

    async def mine(self, tenant_id: str, person_id: str) -> list[Document]:
        found = await self.store(tenant_id).declarations.find({"person_id": person_id})
        return sorted(found, key=lambda d: d["day"], reverse=True)

    async def verify(self, tenant_id: str, text: str) -> Document:
        """Name, day and facilitator of the declaration a code belongs to; anything else 404."""
        code = model.normalise_code(text)
        store = self.store(tenant_id)
        entry = await store.declaration_codes.get(model.code_key(code)) if code else None
        found = (
            await store.declarations.get(participant_key(entry["session_id"], entry["person_id"]))
            if entry
            else None
        )
        if found is None or found.get("code") != code:
            raise ApiError(404, "declaration_unknown_code")
        return found
