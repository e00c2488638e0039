"""The steps on attendance: check-in with the BIG number and the evaluation, a facilitator's
marks, and what each reader sees.

A check-in writes three things, each a single-document write, in this order, and checks
everything before the first (nothing half-saved on a refusal):
1. the person's BIG number (`big_numbers`, by person id: remembered for next time);
2. their attendance (`attendance`, `<session>/<person>`) with its AttendanceRecorded in the same
   document's outbox, and `evaluated: true` when they gave an evaluation: the one place that
   says THAT they answered (so a second check-in adds none), never WHAT;
3. the evaluation itself (`evaluations`, a random id, the session id, the answers, no person
   and no time).
A crash between 2 and 3 loses that one evaluation (never counts one twice): the evaluation is
at most once by design, since nothing may link it back to retry it.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from pymongo.errors import DuplicateKeyError
from spiegel.accreditation.v1 import events_pb2
from spiegel_platform import anonymity
from spiegel_platform.errors import ApiError
from spiegel_platform.events import OutgoingEvent, new_event
from spiegel_platform.storage.stores import Stores

from spiegel_accreditation.attendance import model
from spiegel_accreditation.attendance.model import CHECK_IN, FACILITATOR, PRESENT, Mark
from spiegel_accreditation.sessions.model import CANCELLED, Participant, RuleError
from spiegel_accreditation.sessions.service import PRODUCER, participants_of, refused
from spiegel_accreditation.settings import AccreditationSettings
from spiegel_accreditation.storage import Document, Store, participant_key

STATUS_CODES = {
    model.PRESENT: events_pb2.ATTENDANCE_STATUS_PRESENT,
    model.PARTIAL: events_pb2.ATTENDANCE_STATUS_PARTIAL,
    model.ABSENT: events_pb2.ATTENDANCE_STATUS_ABSENT,
}
SOURCE_CODES = {
    CHECK_IN: events_pb2.ATTENDANCE_SOURCE_CHECK_IN,
    FACILITATOR: events_pb2.ATTENDANCE_SOURCE_FACILITATOR,
}


def aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


@dataclass(frozen=True)
class CheckedIn:
    already: bool
    big_number: str
    evaluated: bool
    evaluation_saved: bool


class Attendance:
    """The steps, for every tenant of the process (stores from the wiring)."""

    def __init__(self, stores: Stores[Store], settings: AccreditationSettings) -> None:
        self.stores = stores
        self.window = timedelta(days=settings.checkin_window_days)

    def store(self, tenant_id: str) -> Store:
        return self.stores.tenant(tenant_id)

    async def session(self, tenant_id: str, session_id: str) -> Document:
        doc = await self.store(tenant_id).sessions.get(session_id)
        if doc is None:
            raise ApiError(404, "session_not_found", session_id=session_id)
        return doc

    async def participant_session(self, tenant_id: str, session_id: str, person_id: str) -> Document:
        """The session, for one of its own participants; anyone else is refused (a photographed QR
        code gets nobody else in)."""
        doc = await self.session(tenant_id, session_id)
        if person_id not in {p.person_id for p in participants_of(doc)}:
            raise ApiError(403, "checkin_not_participant", extra={"field": "session"}, session_id=session_id)
        return doc

    def window_of(self, doc: Document) -> tuple[datetime, datetime]:
        return aware(doc["starts_at"]), model.closes_at(aware(doc["ends_at"]), self.window)

    # -- the participant ----------------------------------------------------------------------
    async def status(self, tenant_id: str, session_id: str, person_id: str) -> dict[str, Any]:
        doc = await self.participant_session(tenant_id, session_id, person_id)
        store = self.store(tenant_id)
        record = await store.attendance.get(participant_key(session_id, person_id))
        remembered = await store.big_numbers.get(person_id)
        opens, closes = self.window_of(doc)
        now = datetime.now(UTC)
        return {
            "session_id": session_id,
            "state": doc["state"],
            "starts_at": aware(doc["starts_at"]).isoformat(),
            "ends_at": aware(doc["ends_at"]).isoformat(),
            "location": doc.get("location", ""),
            "opens_at": opens.isoformat(),
            "closes_at": closes.isoformat(),
            "open": doc["state"] != CANCELLED and opens <= now <= closes,
            "checked_in": bool(record and record.get("checked_in_at")),
            "evaluated": bool(record and record.get("evaluated")),
            "big_number": (remembered or {}).get("big_number", ""),
            "statements": list(model.STATEMENTS),
            "threshold": anonymity.threshold(),
        }

    async def check_in(
        self,
        tenant_id: str,
        session_id: str,
        person_id: str,
        big_number: str | None,
        answers: Mapping[str, Any],
        remark: str,
        correlation_id: str,
    ) -> CheckedIn:
        """Checks, in this order, who (403), the session's state and the window (409), the BIG
        number and the evaluation (422): a refusal names the field, and nothing is written."""
        store = self.store(tenant_id)
        doc = await self.participant_session(tenant_id, session_id, person_id)
        if doc["state"] == CANCELLED:
            raise ApiError(409, "session_cancelled", extra={"field": "session"}, session_id=session_id)
        now = datetime.now(UTC)
        remembered = await store.big_numbers.get(person_id)
        try:
            model.check_window(aware(doc["starts_at"]), aware(doc["ends_at"]), now=now, window=self.window)
            number = model.parse_big_number(big_number, (remembered or {}).get("big_number"))
            evaluation = model.parse_evaluation(answers, remark)
        except RuleError as error:
            raise checkin_refused(error) from None
        # 1. The BIG number, remembered for next time.
        if (remembered or {}).get("big_number") != number:
            await store.big_numbers.update(
                person_id, {"$set": {"big_number": number, "updated_at": now}}, upsert=True
            )
        # 2. The attendance (and whether an evaluation is given), with its event.
        key = participant_key(session_id, person_id)
        wants_evaluation = not evaluation.empty
        minutes = model.session_minutes(aware(doc["starts_at"]), aware(doc["ends_at"]))
        record: Document = {
            "id": key,
            "session_id": session_id,
            "person_id": person_id,
            "status": PRESENT,
            "minutes": minutes,
            "source": CHECK_IN,
            "reason": "",
            "checked_in_at": now,
            "evaluated": wants_evaluation,
            "version": 1,
        }
        try:
            await store.attendance.insert(record, [self._event(tenant_id, record, correlation_id)])
            already, claimed, evaluated = False, wants_evaluation, wants_evaluation
        except DuplicateKeyError:
            already, claimed, evaluated = await self._again(store, key, wants_evaluation, now)
        # 3. The evaluation, apart from who gave it.
        if claimed:
            await store.evaluations.insert(
                {
                    "id": str(uuid.uuid4()),
                    "session_id": session_id,
                    "answers": dict(evaluation.answers),
                    "remark": evaluation.remark,
                }
            )
        return CheckedIn(already=already, big_number=number, evaluated=evaluated, evaluation_saved=claimed)

    async def _again(
        self, store: Store, key: str, wants_evaluation: bool, now: datetime
    ) -> tuple[bool, bool, bool]:
        """A second check-in (or the first after a facilitator's mark): (already checked in,
        whether this one's evaluation is to be stored, whether they have evaluated now). Each step
        is conditional, so two at once store at most one evaluation."""
        current = await store.attendance.get(key)
        assert current is not None
        already = bool(current.get("checked_in_at"))
        if not already:
            await store.attendance.update(
                key, {"$set": {"checked_in_at": now}}, expect={"checked_in_at": None}
            )
        claimed = False
        if wants_evaluation and not current.get("evaluated"):
            claimed = (
                await store.attendance.update(key, {"$set": {"evaluated": True}}, expect={"evaluated": False})
                is not None
            )
        return already, claimed, claimed or bool(current.get("evaluated"))

    # -- the facilitator -------------------------------------------------------------------------
    async def mark(
        self,
        tenant_id: str,
        session_id: str,
        person_id: str,
        status: str,
        hours: float | None,
        reason: str,
        *,
        by: str,
        correlation_id: str,
    ) -> Document:
        store = self.store(tenant_id)
        doc = await self.session(tenant_id, session_id)
        if doc["state"] == CANCELLED:
            raise ApiError(409, "session_cancelled", extra={"field": "session"}, session_id=session_id)
        if person_id not in {p.person_id for p in participants_of(doc)}:
            raise ApiError(422, "attendance_not_participant", extra={"field": "person_id"}, person=person_id)
        if aware(doc["starts_at"]) > datetime.now(UTC):
            raise ApiError(409, "attendance_not_started", extra={"field": "session"}, session_id=session_id)
        minutes = model.session_minutes(aware(doc["starts_at"]), aware(doc["ends_at"]))
        try:
            mark = model.check_mark(status, hours, reason, minutes_in_session=minutes)
        except RuleError as error:
            raise checkin_refused(error) from None
        key = participant_key(session_id, person_id)
        for _ in range(5):
            current = await store.attendance.get(key)
            if current is None:
                record = self._marked(
                    {
                        "id": key,
                        "session_id": session_id,
                        "person_id": person_id,
                        "checked_in_at": None,
                        "evaluated": False,
                        "version": 1,
                    },
                    mark,
                    by,
                )
                try:
                    return await store.attendance.insert(
                        record, [self._event(tenant_id, record, correlation_id)]
                    )
                except DuplicateKeyError:
                    continue
            after = self._marked({**current, "version": int(current["version"]) + 1}, mark, by)
            fields = {
                k: after[k]
                for k in ("status", "minutes", "source", "reason", "marked_by", "marked_at", "version")
            }
            updated = await store.attendance.update(
                key,
                {"$set": fields},
                [self._event(tenant_id, after, correlation_id)],
                expect={"version": current["version"]},
            )
            if updated is not None:
                return updated
        raise ApiError(409, "session_changed_meanwhile", session_id=session_id)

    @staticmethod
    def _marked(record: Document, mark: Mark, by: str) -> Document:
        return {
            **record,
            "status": mark.status,
            "minutes": mark.minutes,
            "source": FACILITATOR,
            "reason": mark.reason,
            "marked_by": by,
            "marked_at": datetime.now(UTC),
        }

    # -- readers ----------------------------------------------------------------------------------
    async def records(self, tenant_id: str, doc: Document) -> list[Document]:
        """Every participant's attendance (one lookup by id each: the fast path on FerretDB)."""
        store = self.store(tenant_id)
        found = []
        for participant in participants_of(doc):
            record = await store.attendance.get(participant_key(doc["id"], participant.person_id))
            found.append(
                {
                    **(record or {"person_id": participant.person_id}),
                    "name": await self._name(store, participant),
                }
            )
        return found

    @staticmethod
    async def _name(store: Store, participant: Participant) -> str:
        """A participant's name: an IFMS subject's as the survey announced their round; otherwise
        (a Groepsmonitor's members, whose round names the group) the display name of the gateway's
        PersonRegistered (`people`, kept for the declarations). "" when neither is known."""
        round_doc = await store.rounds.get(
            participant.round_id, projection={"subject_id": 1, "subject_name": 1}
        )
        if (
            round_doc
            and round_doc.get("subject_id") == participant.person_id
            and round_doc.get("subject_name")
        ):
            return str(round_doc["subject_name"])
        person = await store.people.get(participant.person_id, projection={"display_name": 1})
        return str((person or {}).get("display_name") or "")

    async def evaluations(self, tenant_id: str, session_id: str) -> list[Document]:
        return await self.store(tenant_id).evaluations.find(
            {"session_id": session_id}, projection={"answers": 1, "remark": 1}
        )

    @staticmethod
    def _event(tenant_id: str, record: Document, correlation_id: str) -> OutgoingEvent:
        payload = events_pb2.AttendanceRecorded(
            session_id=record["session_id"],
            person_id=record["person_id"],
            status=STATUS_CODES[record["status"]],
            minutes_present=int(record["minutes"]),
            source=SOURCE_CODES[record["source"]],
            version=int(record["version"]),
        )
        return new_event(
            payload, tenant_id=tenant_id, producer=PRODUCER, correlation_id=correlation_id or None
        )


def checkin_refused(error: RuleError) -> ApiError:
    status = 409 if error.field == "session" else 422
    return ApiError(
        status, "checkin_invalid", extra={"field": error.field}, field=error.field, problem=error.reason
    )


__all__ = ["Attendance", "CheckedIn", "checkin_refused", "refused"]
