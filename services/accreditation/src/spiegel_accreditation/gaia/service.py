"""The steps on accreditation in GAIA: the accreditation a session (or its series) refers to, the
attendance exports, the registration status per participant, and the sessions still to register.

Storage: `accreditations` (id `session/<session id>` or `series/<series id>`: a session's own
record wins over its series'), `associations` (id: the association's key,
`model.association_key`: the hospital's deadline per association, read whenever an
accreditation's deadline is), `registrations` (id `<session>/<person>`: the status of one
participant's attendance in GAIA). Each write is one single-document write; nothing here is in
an event (the BIG numbers never leave this service's database). The coordinator reads the BIG
numbers only in the exports made for GAIA, which is what they are kept for.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from google.protobuf.timestamp_pb2 import Timestamp
from pymongo.errors import DuplicateKeyError
from spiegel.accreditation.v1 import events_pb2
from spiegel_platform.errors import ApiError
from spiegel_platform.events import new_event
from spiegel_platform.storage.stores import Stores

from spiegel_accreditation.attendance.model import PARTIAL, PRESENT
from spiegel_accreditation.gaia import model
from spiegel_accreditation.gaia.exports import Certificate, Row
from spiegel_accreditation.sessions.model import CANCELLED, RuleError
from spiegel_accreditation.sessions.service import PRODUCER, participants_of
from spiegel_accreditation.settings import AccreditationSettings
from spiegel_accreditation.storage import Document, Store, participant_key

# Reads of many documents by id go in batches of this many (`$in`).
BATCH = 500
LOOK_BACK = timedelta(days=model.MAX_DEADLINE_DAYS + 31)


def aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def session_key(session_id: str) -> str:
    return f"session/{session_id}"


def series_key(series_id: str) -> str:
    return f"series/{series_id}"


def gaia_refused(error: RuleError) -> ApiError:
    return ApiError(
        422, "gaia_invalid", extra={"field": error.field}, field=error.field, problem=error.reason
    )


@dataclass(frozen=True)
class Attendee:
    person_id: str
    name: str
    status: str  # present, partial, absent, unknown
    minutes: int
    big_number: str
    registration: Document


class Gaia:
    def __init__(self, stores: Stores[Store], settings: AccreditationSettings) -> None:
        self.stores = stores
        self.default_deadline_days = settings.gaia_deadline_days
        self.reminder_days_before = settings.gaia_reminder_days_before

    def store(self, tenant_id: str) -> Store:
        return self.stores.tenant(tenant_id)

    async def session(self, tenant_id: str, session_id: str) -> Document:
        doc = await self.store(tenant_id).sessions.get(session_id)
        if doc is None:
            raise ApiError(404, "session_not_found", session_id=session_id)
        return doc

    # -- the accreditation ---------------------------------------------------------------------
    async def set_accreditation(
        self, tenant_id: str, doc: Document, fields: dict[str, Any], *, for_series: bool, by: str
    ) -> Document:
        if doc["state"] == CANCELLED:
            raise ApiError(409, "session_cancelled", extra={"field": "session"}, session_id=doc["id"])
        if for_series and not doc.get("series_id"):
            raise ApiError(422, "gaia_no_series", extra={"field": "scope"}, session_id=doc["id"])
        try:
            record = model.check_accreditation(
                fields["activity_number"],
                fields["points"],
                fields["association"],
                fields["valid_from"],
                fields["valid_until"],
                fields.get("deadline_days"),
                fields.get("provider") or "",
                session_day=None if for_series else aware(doc["starts_at"]).date(),
            )
        except RuleError as error:
            raise gaia_refused(error) from None
        key = series_key(doc["series_id"]) if for_series else session_key(doc["id"])
        await self.store(tenant_id).accreditations.update(
            key,
            {"$set": {**record.document(), "updated_by": by, "updated_at": datetime.now(UTC)}},
            upsert=True,
        )
        return await self.accreditation_of(tenant_id, doc) or {}

    async def accreditation_of(self, tenant_id: str, doc: Document) -> Document | None:
        store = self.store(tenant_id)
        own = await store.accreditations.get(session_key(doc["id"]))
        if own is None and doc.get("series_id"):
            own = await store.accreditations.get(series_key(doc["series_id"]))
        if own is None:
            return None
        own["scope"] = "session" if own["id"].startswith("session/") else "series"
        # The deadline: the accreditation's own, else its association's (read now, so a changed
        # rule applies to every session naming it), else the default.
        rule = None
        if own.get("deadline_days") is None:
            found = await store.associations.get(model.association_key(str(own.get("association") or "")))
            rule = None if found is None else int(found["deadline_days"])
        own["deadline_days_own"] = own.get("deadline_days")
        own["deadline_days"], own["deadline_from"] = model.deadline_days_of(
            own.get("deadline_days"), rule, self.default_deadline_days
        )
        return own

    # -- the associations ----------------------------------------------------------------------
    async def associations(self, tenant_id: str) -> list[Document]:
        found = await self.store(tenant_id).associations.find(
            {}, projection={"id": 1, "name": 1, "deadline_days": 1, "updated_at": 1}
        )
        return sorted(found, key=lambda a: str(a["name"]).casefold())

    async def set_association(self, tenant_id: str, name: str, deadline_days: int, *, by: str) -> Document:
        """One association's deadline (a single-document upsert by its key: setting it again, in
        any spelling of the same name, changes the one rule)."""
        try:
            association = model.check_association(name, deadline_days)
        except RuleError as error:
            raise gaia_refused(error) from None
        fields = {
            "name": association.name,
            "deadline_days": association.deadline_days,
            "updated_by": by,
            "updated_at": datetime.now(UTC),
        }
        await self.store(tenant_id).associations.update(association.key, {"$set": fields}, upsert=True)
        return {"id": association.key, **fields}

    async def remove_association(self, tenant_id: str, association_id: str) -> None:
        """Its sessions go back to the default deadline (twice: the same answer)."""
        await self.store(tenant_id).associations.delete(association_id)

    async def required_accreditation(self, tenant_id: str, doc: Document) -> Document:
        found = await self.accreditation_of(tenant_id, doc)
        if found is None:
            raise ApiError(
                409, "gaia_no_accreditation", extra={"field": "activity_number"}, session_id=doc["id"]
            )
        return found

    # -- attendance --------------------------------------------------------------------------
    async def _by_id(
        self, collection: Any, ids: Sequence[str], projection: dict[str, int]
    ) -> dict[str, Document]:
        found: dict[str, Document] = {}
        for start in range(0, len(ids), BATCH):
            for d in await collection.find(
                {"id": {"$in": list(ids[start : start + BATCH])}}, projection=projection
            ):
                found[d["id"]] = d
        return found

    async def attendees(self, tenant_id: str, doc: Document) -> list[Attendee]:
        """Every participant with their attendance, BIG number and registration: a few batched
        reads, whatever the size of the session."""
        store = self.store(tenant_id)
        participants = participants_of(doc)
        keys = [participant_key(doc["id"], p.person_id) for p in participants]
        records = await self._by_id(store.attendance, keys, {"id": 1, "status": 1, "minutes": 1})
        registrations = await self._by_id(
            store.registrations, keys, {"id": 1, "status": 1, "registered_on": 1, "reason": 1}
        )
        numbers = await self._by_id(
            store.big_numbers, [p.person_id for p in participants], {"id": 1, "big_number": 1}
        )
        rounds = await self._by_id(
            store.rounds,
            sorted({p.round_id for p in participants}),
            {"id": 1, "subject_id": 1, "subject_name": 1},
        )
        out = []
        for p, key in zip(participants, keys, strict=True):
            record = records.get(key) or {}
            round_doc = rounds.get(p.round_id) or {}
            name = (
                str(round_doc.get("subject_name") or "") if round_doc.get("subject_id") == p.person_id else ""
            )
            out.append(
                Attendee(
                    person_id=p.person_id,
                    name=name,
                    status=str(record.get("status") or "unknown"),
                    minutes=int(record.get("minutes") or 0),
                    big_number=str((numbers.get(p.person_id) or {}).get("big_number") or ""),
                    registration=registrations.get(key) or {"status": model.TO_REGISTER},
                )
            )
        return out

    async def export_rows(self, tenant_id: str, doc: Document) -> tuple[Document, list[Row]]:
        accreditation = await self.required_accreditation(tenant_id, doc)
        day = aware(doc["starts_at"]).date()
        rows = [
            Row(a.big_number, a.name, day, float(accreditation["points"]), accreditation["activity_number"])
            for a in await self.attendees(tenant_id, doc)
            if a.status == PRESENT
        ]
        return accreditation, rows

    async def certificate(self, tenant_id: str, doc: Document, person_id: str) -> Certificate:
        accreditation = await self.required_accreditation(tenant_id, doc)
        found = [a for a in await self.attendees(tenant_id, doc) if a.person_id == person_id]
        if not found:
            raise ApiError(404, "gaia_not_participant", extra={"field": "person_id"}, person=person_id)
        attendee = found[0]
        if attendee.status != PARTIAL:
            raise ApiError(409, "gaia_not_partial", extra={"field": "person_id"}, person=person_id)
        minutes = (aware(doc["ends_at"]) - aware(doc["starts_at"])).total_seconds() / 60
        return Certificate(
            name=attendee.name,
            big_number=attendee.big_number,
            hospital=str(accreditation.get("provider") or ""),
            day=aware(doc["starts_at"]).date(),
            hours_present=round(attendee.minutes / 60, 2),
            session_hours=round(minutes / 60, 2),
            activity_number=accreditation["activity_number"],
            association=accreditation["association"],
            points=float(accreditation["points"]),
        )

    # -- registration status -----------------------------------------------------------------
    async def set_registrations(
        self,
        tenant_id: str,
        doc: Document,
        person_ids: list[str] | None,
        status: str,
        registered_on: date | None,
        reason: str,
        *,
        by: str,
    ) -> list[Attendee]:
        """One, some or (None) every participant who attended the whole session. Everything is
        checked before the first write; each participant's status is one write (a retry sets the
        same status again)."""
        if doc["state"] == CANCELLED:
            raise ApiError(409, "session_cancelled", extra={"field": "session"}, session_id=doc["id"])
        if aware(doc["ends_at"]) > datetime.now(UTC):
            raise ApiError(409, "gaia_not_ended", extra={"field": "session"}, session_id=doc["id"])
        await self.required_accreditation(tenant_id, doc)
        try:
            registration = model.check_registration(
                status,
                registered_on,
                reason,
                session_day=aware(doc["starts_at"]).date(),
                today=datetime.now(UTC).date(),
            )
        except RuleError as error:
            raise gaia_refused(error) from None
        attendees = await self.attendees(tenant_id, doc)
        present = {a.person_id for a in attendees if a.status == PRESENT}
        if person_ids is None:
            chosen = [a.person_id for a in attendees if a.person_id in present]
        else:
            known = {a.person_id for a in attendees}
            for person in person_ids:
                if person not in known:
                    raise ApiError(422, "gaia_not_participant", extra={"field": "person_ids"}, person=person)
                if person not in present:
                    raise ApiError(422, "gaia_not_present", extra={"field": "person_ids"}, person=person)
            chosen = list(dict.fromkeys(person_ids))
        store = self.store(tenant_id)
        now = datetime.now(UTC)
        fields = {
            "session_id": doc["id"],
            "status": registration.status,
            "registered_on": registration.registered_on.isoformat() if registration.registered_on else None,
            "reason": registration.reason,
            "updated_by": by,
            "updated_at": now,
        }
        await store.registrations.update_many_by_id(
            [(participant_key(doc["id"], p), {"$set": {**fields, "person_id": p}}) for p in chosen],
            upsert=True,
        )
        return await self.attendees(tenant_id, doc)

    async def waiting(self, tenant_id: str, doc: Document, now: datetime) -> dict[str, Any] | None:
        """A session's entry in "still to register", or None (no accreditation, nobody waiting)."""
        accreditation = await self.accreditation_of(tenant_id, doc)
        if accreditation is None:
            return None
        attendees = await self.attendees(tenant_id, doc)
        waiting = [
            a for a in attendees if a.status == PRESENT and a.registration.get("status") == model.TO_REGISTER
        ]
        if not waiting:
            return None
        due = model.deadline(aware(doc["ends_at"]), int(accreditation["deadline_days"]))
        return {
            "session_id": doc["id"],
            "kind": doc.get("kind"),
            "starts_at": aware(doc["starts_at"]).isoformat(),
            "activity_number": accreditation["activity_number"],
            "association": accreditation["association"],
            "deadline": due.isoformat(),
            "overdue": due < now.date(),
            "to_register": len(waiting),
            "present": sum(1 for a in attendees if a.status == PRESENT),
        }

    @staticmethod
    def ended_filter(now: datetime) -> dict[str, Any]:
        return {"state": {"$ne": CANCELLED}, "ends_at": {"$lt": now, "$gt": now - LOOK_BACK}}

    async def pending(self, tenant_id: str, *, now: datetime | None = None) -> list[dict[str, Any]]:
        """The sessions that have ended, with an accreditation, whose attendance is not (all)
        registered yet: the earliest deadline first. A session none attended whole is not listed.
        Computed on every read (attendance may still change after a registration); sessions that
        ended more than LOOK_BACK ago are past any association's deadline and not listed."""
        now = now or datetime.now(UTC)
        ended = await self.store(tenant_id).sessions.find(
            self.ended_filter(now),
            projection={
                "id": 1,
                "state": 1,
                "starts_at": 1,
                "ends_at": 1,
                "series_id": 1,
                "participants": 1,
                "kind": 1,
            },
        )
        out = [item for doc in ended if (item := await self.waiting(tenant_id, doc, now)) is not None]
        out.sort(key=lambda item: (item["deadline"], item["session_id"]))
        return out

    async def remind_due(self, now: datetime | None = None) -> int:
        """The periodic job: for every session whose deadline is `reminder_days_before` days away
        or less (and not passed) with attendees still to register, one GaiaRegistrationDue, once
        per session and deadline; and on the deadline day itself one more (`last_day`), when the
        first came on an earlier day (a first reminder on the deadline day is the only one). Each
        is a unique insert of the reminder with the event in its outbox, so a second pass, a
        second process or a restart adds none. Returns how many were new."""
        now = now or datetime.now(UTC)
        made = 0
        async for found in self.stores.across_tenants(Store.sessions).find(
            self.ended_filter(now), {"tenant_id": 1, "id": 1}
        ):
            tenant_id = str(found["tenant_id"])
            store = self.store(tenant_id)
            doc = await store.sessions.get(str(found["id"]))
            if doc is None:
                continue
            # Cheap checks first (a few reads by id): the deadline's window, a reminder made already.
            accreditation = await self.accreditation_of(tenant_id, doc)
            if accreditation is None:
                continue
            due = model.deadline(aware(doc["ends_at"]), int(accreditation["deadline_days"]))
            days_left = (due - now.date()).days
            if not 0 <= days_left <= self.reminder_days_before:
                continue
            first_id = f"{doc['id']}/{due.isoformat()}"
            first = await store.gaia_reminders.get(first_id)
            if first is None:
                reminder_id, last_day = first_id, False
            elif model.remind_on_deadline_day(aware(first["created_at"]).date(), due, now.date()):
                reminder_id, last_day = f"{first_id}/last", True
                if await store.gaia_reminders.get(reminder_id) is not None:
                    continue
            else:
                continue
            item = await self.waiting(tenant_id, doc, now)
            if item is None:
                continue
            stamp = Timestamp()
            stamp.FromDatetime(datetime(due.year, due.month, due.day))
            event = new_event(
                events_pb2.GaiaRegistrationDue(
                    session_id=doc["id"],
                    deadline=stamp,
                    to_register=int(item["to_register"]),
                    last_day=last_day,
                ),
                tenant_id=tenant_id,
                producer=PRODUCER,
            )
            try:
                await store.gaia_reminders.insert(
                    {
                        "id": reminder_id,
                        "session_id": doc["id"],
                        "deadline": due.isoformat(),
                        "last_day": last_day,
                        "to_register": item["to_register"],
                        "created_at": now,
                    },
                    [event],
                )
                made += 1
            except DuplicateKeyError:
                continue
        return made
