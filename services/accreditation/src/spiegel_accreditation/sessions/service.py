"""The steps on sessions: the rules (model.py), a tenant's store and the events each change causes.

Every change of a session is one conditional single-document write (`expect` its version and
state) carrying its event in the document's outbox: the state and its announcement are written
together or not at all. Seats (seats.py) are taken before and given up after.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from google.protobuf.timestamp_pb2 import Timestamp
from spiegel.accreditation.v1 import events_pb2
from spiegel_platform.errors import ApiError, Text
from spiegel_platform.events import OutgoingEvent, new_event
from spiegel_platform.storage.stores import Stores

from spiegel_accreditation.sessions import model, seats
from spiegel_accreditation.sessions.model import (
    CANCELLED,
    GROUP_MONITOR,
    IFMS,
    PLANNED,
    Draft,
    Participant,
    RoundFacts,
    RuleError,
)
from spiegel_accreditation.settings import AccreditationSettings
from spiegel_accreditation.storage import Document, Store

PRODUCER = "accreditation"
KIND_CODES = {IFMS: events_pb2.SESSION_KIND_IFMS, GROUP_MONITOR: events_pb2.SESSION_KIND_GROUP_MONITOR}
Change = events_pb2.SessionChanged.Change


def refused(error: RuleError) -> ApiError:
    return ApiError(
        422, "session_invalid", extra={"field": error.field}, field=error.field, problem=error.reason
    )


def seat_refused(error: seats.SeatTaken, prefix: str = "participants") -> ApiError:
    field = f"{prefix}[{error.index}]" if prefix == "participants" else prefix
    return ApiError(
        409,
        "seat_taken",
        extra={"field": field},
        field=field,
        person=error.participant.person_id,
        round_id=error.participant.round_id,
        session_id=error.session_id,
    )


@dataclass(frozen=True)
class Plan:
    """What a coordinator asks for (parsed by the api)."""

    kind: str
    participants: list[Participant]
    facilitator_ids: list[str]
    starts_at: datetime
    ends_at: datetime
    location: str = ""
    online_url: str = ""
    group_id: str = ""
    series_id: str = ""


def participants_of(doc: Document) -> list[Participant]:
    return [Participant(p["person_id"], p["round_id"]) for p in doc.get("participants", ())]


def _stamp(moment: datetime) -> Timestamp:
    stamp = Timestamp()
    stamp.FromDatetime(moment.astimezone(UTC).replace(tzinfo=None))
    return stamp


def _aware(moment: datetime) -> datetime:
    # PyMongo gives naive UTC unless the client is tz_aware.
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def session_message(doc: Document, checkin_window: timedelta) -> events_pb2.Session:
    """The session as its events carry it; `checkin_window`: how long after its end a participant
    can check in (the invitation's personal check-in link names that moment)."""
    return events_pb2.Session(
        session_id=doc["id"],
        kind=KIND_CODES[doc["kind"]],
        participants=[
            events_pb2.Participant(person_id=p.person_id, round_id=p.round_id) for p in participants_of(doc)
        ],
        facilitator_ids=list(doc["facilitator_ids"]),
        starts_at=_stamp(_aware(doc["starts_at"])),
        ends_at=_stamp(_aware(doc["ends_at"])),
        location=doc.get("location", ""),
        online_url=doc.get("online_url", ""),
        group_id=doc.get("group_id", ""),
        series_id=doc.get("series_id", ""),
        version=int(doc["version"]),
        checkin_closes_at=_stamp(_aware(doc["ends_at"]) + checkin_window),
    )


def _pb_participants(people: Sequence[Participant]) -> list[events_pb2.Participant]:
    return [events_pb2.Participant(person_id=p.person_id, round_id=p.round_id) for p in people]


class Sessions:
    """The steps, for every tenant of the process (stores from the wiring)."""

    def __init__(self, stores: Stores[Store], settings: AccreditationSettings) -> None:
        self.stores = stores
        self.horizon = timedelta(days=settings.planning_horizon_days)
        self.checkin_window = timedelta(days=settings.checkin_window_days)
        self.grace = timedelta(seconds=settings.seat_claim_grace_seconds)

    def store(self, tenant_id: str) -> Store:
        return self.stores.tenant(tenant_id)

    async def round_facts(self, store: Store, round_ids: Sequence[str]) -> dict[str, RoundFacts]:
        unique = list(dict.fromkeys(round_ids))
        docs = await asyncio.gather(*(store.rounds.get(r) for r in unique))
        return {
            doc["id"]: RoundFacts(
                round_id=doc["id"],
                kind=doc.get("kind", ""),
                subject_id=doc.get("subject_id", ""),
                member_ids=tuple(doc.get("member_ids", ())),
                closed=bool(doc.get("closed")),
            )
            for doc in docs
            if doc is not None and doc.get("kind")
        }

    # -- planning ---------------------------------------------------------------------------
    async def plan(self, tenant_id: str, plan: Plan, *, by: str, correlation_id: str) -> Document:
        store = self.store(tenant_id)
        now = datetime.now(UTC)
        try:
            model.check_times(plan.starts_at, plan.ends_at, now=now, horizon=self.horizon)
            model.check_place(plan.location, plan.online_url)
            model.check_participants(
                plan.kind,
                plan.participants,
                await self.round_facts(store, [p.round_id for p in plan.participants]),
                plan.group_id,
            )
            model.check_facilitators(plan.facilitator_ids, plan.participants)
        except RuleError as error:
            raise refused(error) from None
        doc: Document = {
            "id": str(uuid.uuid4()),
            "kind": plan.kind,
            "participants": [{"person_id": p.person_id, "round_id": p.round_id} for p in plan.participants],
            "participant_ids": [p.person_id for p in plan.participants],
            "facilitator_ids": list(plan.facilitator_ids),
            "starts_at": plan.starts_at.astimezone(UTC),
            "ends_at": plan.ends_at.astimezone(UTC),
            "location": plan.location.strip(),
            "online_url": plan.online_url.strip(),
            "group_id": plan.group_id,
            "series_id": plan.series_id,
            "state": PLANNED,
            "version": 1,
            "planned_at": now,
            "planned_by": by,
        }
        try:
            await seats.take(store, doc["id"], plan.participants, self.grace)
        except seats.SeatTaken as error:
            raise seat_refused(error) from None
        planned = events_pb2.SessionPlanned(
            session_id=doc["id"], session=session_message(doc, self.checkin_window)
        )
        try:
            return await store.sessions.insert(doc, [self._event(tenant_id, planned, correlation_id)])
        except BaseException:
            await seats.give_up(store, doc["id"], plan.participants)
            raise

    async def propose(
        self,
        tenant_id: str,
        participants: list[Participant],
        *,
        mode: str,
        starts_at: datetime,
        minutes: int | None,
        interval: timedelta,
        rooms: Sequence[str],
        facilitator_ids: Sequence[str],
    ) -> tuple[str, list[Draft]]:
        """The split of chosen IFMS specialists into sessions; checks everything, saves nothing."""
        store = self.store(tenant_id)
        now = datetime.now(UTC)
        facts = await self.round_facts(store, [p.round_id for p in participants])
        try:
            seen: set[str] = set()
            for i, participant in enumerate(participants):
                if participant.person_id in seen:
                    raise RuleError(
                        f"participants[{i}].person_id",
                        Text(
                            "session.participant_twice", package=model.PACKAGE, person=participant.person_id
                        ),
                    )
                seen.add(participant.person_id)
                model.check_participant(i, participant, facts.get(participant.round_id), IFMS)
            drafts = model.propose(
                participants,
                mode=mode,
                starts_at=starts_at,
                minutes=minutes,
                interval=interval,
                rooms=rooms,
                facilitator_ids=facilitator_ids,
            )
            for draft in drafts:
                model.check_times(draft.starts_at, draft.ends_at, now=now, horizon=self.horizon)
        except RuleError as error:
            raise refused(error) from None
        holders = await asyncio.gather(*(seats.holder(store, p, self.grace) for p in participants))
        for index, (participant, current) in enumerate(zip(participants, holders, strict=True)):
            if current is not None:
                raise seat_refused(seats.SeatTaken(index, participant, current))
        return str(uuid.uuid4()), drafts

    # -- changes ----------------------------------------------------------------------------
    async def get(self, tenant_id: str, session_id: str) -> Document:
        doc = await self.store(tenant_id).sessions.get(session_id)
        if doc is None:
            raise ApiError(404, "session_not_found", session_id=session_id)
        return doc

    async def _change(
        self,
        tenant_id: str,
        session_id: str,
        correlation_id: str,
        step: Callable[[Document], tuple[dict[str, Any], list[Any], dict[str, Any]]],
    ) -> Document:
        """Apply `step` (the current document -> fields to set, changes, extra event fields) as
        one conditional write with its SessionChanged; again on a concurrent change."""
        store = self.store(tenant_id)
        for _ in range(5):
            current = await self.get(tenant_id, session_id)
            if current["state"] != PLANNED:
                raise ApiError(409, "session_cancelled", session_id=session_id)
            if _aware(current["starts_at"]) <= datetime.now(UTC):
                # What happened is recorded as attendance, not by changing the session.
                raise ApiError(409, "session_started", session_id=session_id)
            fields, changes, extra = step(current)
            after = {**current, **fields, "version": current["version"] + 1}
            event = events_pb2.SessionChanged(
                session_id=session_id,
                session=session_message(after, self.checkin_window),
                changes=changes,
                **extra,
            )
            updated = await store.sessions.update(
                session_id,
                {"$set": {**fields, "version": after["version"], "changed_at": datetime.now(UTC)}},
                [self._event(tenant_id, event, correlation_id)],
                expect={"version": current["version"], "state": PLANNED},
            )
            if updated is not None:
                return updated
        raise ApiError(409, "session_changed_meanwhile", session_id=session_id)

    def _check(self, step: Callable[[], None]) -> None:
        try:
            step()
        except RuleError as error:
            raise refused(error) from None

    async def reschedule(
        self, tenant_id: str, session_id: str, starts_at: datetime, ends_at: datetime, correlation_id: str
    ) -> Document:
        now = datetime.now(UTC)
        self._check(lambda: model.check_times(starts_at, ends_at, now=now, horizon=self.horizon))

        def step(_: Document) -> tuple[dict[str, Any], list[Any], dict[str, Any]]:
            times = {"starts_at": starts_at.astimezone(UTC), "ends_at": ends_at.astimezone(UTC)}
            return times, [Change.CHANGE_SCHEDULE], {}

        return await self._change(tenant_id, session_id, correlation_id, step)

    async def move(
        self, tenant_id: str, session_id: str, location: str, online_url: str, correlation_id: str
    ) -> Document:
        self._check(lambda: model.check_place(location, online_url))

        def step(_: Document) -> tuple[dict[str, Any], list[Any], dict[str, Any]]:
            return {"location": location.strip(), "online_url": online_url.strip()}, [Change.CHANGE_PLACE], {}

        return await self._change(tenant_id, session_id, correlation_id, step)

    async def change_facilitators(
        self, tenant_id: str, session_id: str, facilitator_ids: list[str], correlation_id: str
    ) -> Document:
        def step(current: Document) -> tuple[dict[str, Any], list[Any], dict[str, Any]]:
            self._check(lambda: model.check_facilitators(facilitator_ids, participants_of(current)))
            before = list(current["facilitator_ids"])
            return (
                {"facilitator_ids": facilitator_ids},
                [Change.CHANGE_FACILITATORS],
                {
                    "removed_facilitator_ids": [f for f in before if f not in facilitator_ids],
                    "added_facilitator_ids": [f for f in facilitator_ids if f not in before],
                },
            )

        return await self._change(tenant_id, session_id, correlation_id, step)

    async def swap(
        self, tenant_id: str, session_id: str, out_person_id: str, incoming: Participant, correlation_id: str
    ) -> Document:
        """One IFMS participant for another (a Groepsmonitor session is the whole group)."""
        store = self.store(tenant_id)
        current = await self.get(tenant_id, session_id)
        if current["kind"] != IFMS:
            raise ApiError(422, "swap_group_monitor", extra={"field": "out_person_id"})
        people = participants_of(current)
        leaving = next((p for p in people if p.person_id == out_person_id), None)
        if leaving is None:
            raise ApiError(
                422, "swap_not_participant", extra={"field": "out_person_id"}, person=out_person_id
            )
        index = people.index(leaving)
        replaced = [incoming if p == leaving else p for p in people]
        facts = await self.round_facts(store, [p.round_id for p in replaced])
        self._check(lambda: model.check_participants(IFMS, replaced, facts))
        self._check(lambda: model.check_facilitators(current["facilitator_ids"], replaced))
        try:
            await seats.take(store, session_id, [incoming], self.grace)
        except seats.SeatTaken as error:
            raise seat_refused(
                seats.SeatTaken(index, error.participant, error.session_id), "incoming"
            ) from None

        def step(now: Document) -> tuple[dict[str, Any], list[Any], dict[str, Any]]:
            if leaving not in participants_of(now):
                raise ApiError(409, "session_changed_meanwhile", session_id=session_id)
            after = [incoming if p == leaving else p for p in participants_of(now)]
            return (
                {
                    "participants": [{"person_id": p.person_id, "round_id": p.round_id} for p in after],
                    "participant_ids": [p.person_id for p in after],
                },
                [Change.CHANGE_PARTICIPANTS],
                {
                    "removed_participants": _pb_participants([leaving]),
                    "added_participants": _pb_participants([incoming]),
                },
            )

        try:
            updated = await self._change(tenant_id, session_id, correlation_id, step)
        except BaseException:
            await seats.give_up(store, session_id, [incoming])
            raise
        await seats.give_up(store, session_id, [leaving])
        return updated

    async def cancel(self, tenant_id: str, session_id: str, correlation_id: str) -> Document:
        store = self.store(tenant_id)
        for _ in range(5):
            current = await self.get(tenant_id, session_id)
            if current["state"] == CANCELLED:
                return current  # asked twice: the same answer, announced once
            if _aware(current["starts_at"]) <= datetime.now(UTC):
                raise ApiError(409, "session_started", session_id=session_id)
            after = {**current, "state": CANCELLED, "version": current["version"] + 1}
            event = events_pb2.SessionCancelled(
                session_id=session_id, session=session_message(after, self.checkin_window)
            )
            updated = await store.sessions.update(
                session_id,
                {
                    "$set": {
                        "state": CANCELLED,
                        "version": after["version"],
                        "cancelled_at": datetime.now(UTC),
                    }
                },
                [self._event(tenant_id, event, correlation_id)],
                expect={"version": current["version"], "state": PLANNED},
            )
            if updated is not None:
                await seats.give_up(store, session_id, participants_of(updated))
                return updated
        raise ApiError(409, "session_changed_meanwhile", session_id=session_id)

    @staticmethod
    def _event(tenant_id: str, payload: Any, correlation_id: str) -> OutgoingEvent:
        return new_event(
            payload, tenant_id=tenant_id, producer=PRODUCER, correlation_id=correlation_id or None
        )
