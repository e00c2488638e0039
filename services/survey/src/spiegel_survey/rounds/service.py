"""Round steps with their events: create, open, extend, close. Each state change and its
event are one single-document write (the transactional outbox of the platform).

On MongoDB the `expect` condition of an update makes each step atomic. FerretDB
v1 applies an update as read-modify-write, so two *simultaneous* steps on one
round could both pass; the steps are therefore kept disjoint in time where two
actors meet (extend only before the closing time, the closing job only after
it), and consumers treat "closed" as final.
"""

from __future__ import annotations

import uuid
from collections import Counter
from datetime import datetime
from typing import Any

from spiegel.survey.v1 import events_pb2
from spiegel_platform import anonymity
from spiegel_platform.events import new_event

from spiegel_survey import times
from spiegel_survey.instruments.catalogue import Catalogue
from spiegel_survey.instruments.model import Instrument, Kind
from spiegel_survey.rounds.model import (
    LifecycleError,
    RespondentGroup,
    RoundStatus,
    check_close,
    check_extend,
    check_open,
    is_due,
)
from spiegel_survey.storage import Store

KIND_PB = {Kind.IFMS: events_pb2.ROUND_KIND_IFMS, Kind.GROUP_MONITOR: events_pb2.ROUND_KIND_GROUP_MONITOR}


class NotFound(LookupError):
    pass


class Conflict(RuntimeError):
    """The round changed meanwhile."""


def new_round_document(
    *,
    kind: Kind,
    title: str,
    subject: dict[str, Any],
    instrument: Instrument,
    groups: list[RespondentGroup],
    opens_at: datetime | None,
    closes_at: datetime,
    created_by: str,
    group_id: str | None = None,
) -> dict[str, Any]:
    return {
        "id": str(uuid.uuid4()),
        "kind": kind.value,
        "title": title,
        "subject": subject,
        "instrument": {"id": instrument.id, "version": instrument.version},
        "respondent_groups": [g.as_dict() for g in groups],
        "planned_opens_at": opens_at,
        "opens_at": opens_at,
        "closes_at": closes_at,
        "status": RoundStatus.DRAFT.value,
        "created_at": times.now(),
        "created_by": created_by,
        # A Groepsmonitor's group in the gateway (vakgroep, maatschap), when it was taken from one.
        "group_id": group_id,
    }


def catalogue(store: Store) -> Catalogue:
    return Catalogue(store.instruments, store.instrument_uses)


async def create(
    store: Store, doc: dict[str, Any], instrument: Instrument, correlation_id: str
) -> dict[str, Any]:
    """Store a new round with its RoundCreated (one write), so the services that prepare a round
    before it opens (invitation) learn about it from the survey, not from whoever created it."""
    # The first round that uses an instrument version locks it and publishes its content.
    await catalogue(store).mark_used(instrument, round_id=doc["id"], correlation_id=correlation_id)
    event = new_event(
        created_event(doc), tenant_id=store.tenant_id, producer="survey", correlation_id=correlation_id
    )
    return await store.rounds.insert(doc, [event])


def _subject(doc: dict[str, Any]) -> events_pb2.Subject:
    """Who a round is about, as RoundCreated and RoundOpened both say it."""
    subject = doc["subject"]
    return events_pb2.Subject(
        subject_id=subject["subject_id"],
        display_name=subject["display_name"],
        member_ids=subject.get("member_ids", []),
    )


def created_event(doc: dict[str, Any]) -> events_pb2.RoundCreated:
    return events_pb2.RoundCreated(
        round_id=doc["id"],
        kind=KIND_PB[Kind(doc["kind"])],
        subject=_subject(doc),
        instrument_id=doc["instrument"]["id"],
        instrument_version=doc["instrument"]["version"],
        opens_at=times.stamp(times.as_stored(doc["opens_at"])) if doc.get("opens_at") else None,
        closes_at=times.stamp(times.as_stored(doc["closes_at"])),
        respondent_groups=[events_pb2.RespondentGroup(**g) for g in doc["respondent_groups"]],
        title=doc["title"],
        group_id=doc.get("group_id") or "",
    )


async def min_group_size(store: Store) -> int:
    settings = await store.tenants.get("settings")
    return anonymity.threshold((settings or {}).get("min_group_size"))


def opened_event(doc: dict[str, Any], min_size: int) -> events_pb2.RoundOpened:
    return events_pb2.RoundOpened(
        round_id=doc["id"],
        kind=KIND_PB[Kind(doc["kind"])],
        subject=_subject(doc),
        instrument_id=doc["instrument"]["id"],
        instrument_version=doc["instrument"]["version"],
        opens_at=times.stamp(doc["opens_at"]),
        closes_at=times.stamp(doc["closes_at"]),
        respondent_groups=[events_pb2.RespondentGroup(**g) for g in doc["respondent_groups"]],
        title=doc["title"],
        min_group_size=min_size,
    )


async def get(store: Store, round_id: str) -> dict[str, Any]:
    doc = await store.rounds.get(round_id)
    if doc is None:
        raise NotFound(round_id)
    return doc


async def open_round(store: Store, round_id: str, correlation_id: str) -> dict[str, Any]:
    doc = await get(store, round_id)
    now = times.now()
    check_open(RoundStatus(doc["status"]), now, times.from_db(doc["closes_at"]))
    opened = {**doc, "opens_at": now}
    size = await min_group_size(store)
    event = new_event(
        opened_event(opened, size),
        tenant_id=store.tenant_id,
        producer="survey",
        correlation_id=correlation_id,
    )
    updated = await store.rounds.update(
        round_id,
        {
            "$set": {
                "status": RoundStatus.OPEN.value,
                "opens_at": now,
                "opened_at": now,
                "min_group_size": size,
            }
        },
        [event],
        expect={"status": RoundStatus.DRAFT.value},
    )
    if updated is None:
        raise Conflict(round_id)
    return updated


async def extend(store: Store, round_id: str, new_closes_at: datetime, correlation_id: str) -> dict[str, Any]:
    doc = await get(store, round_id)
    previous = times.from_db(doc["closes_at"])
    check_extend(RoundStatus(doc["status"]), times.now(), previous, new_closes_at)
    event = new_event(
        events_pb2.RoundExtended(
            round_id=round_id, closes_at=times.stamp(new_closes_at), previous_closes_at=times.stamp(previous)
        ),
        tenant_id=store.tenant_id,
        producer="survey",
        correlation_id=correlation_id,
    )
    updated = await store.rounds.update(
        round_id,
        {"$set": {"closes_at": new_closes_at}},
        [event],
        expect={"status": RoundStatus.OPEN.value, "closes_at": doc["closes_at"]},
    )
    if updated is None:
        raise Conflict(round_id)
    return updated


async def completed_per_group(store: Store, doc: dict[str, Any]) -> dict[str, int]:
    progress = await store.progress.get(doc["id"])
    counts = Counter((progress or {}).get("completed", {}).values())
    return {g["code"]: counts.get(g["code"], 0) for g in doc["respondent_groups"]}


async def close(
    store: Store, round_id: str, *, early: bool, correlation_id: str | None = None
) -> dict[str, Any] | None:
    """Close a round: early (the coordinator) or at its closing time (the job). None: not (yet) due."""
    doc = await get(store, round_id)
    status = RoundStatus(doc["status"])
    now = times.now()
    if early:
        check_close(status)
    elif not is_due(status, now, times.from_db(doc["closes_at"])):
        return None
    reason = (
        events_pb2.RoundClosed.REASON_CLOSED_EARLY if early else events_pb2.RoundClosed.REASON_PERIOD_ENDED
    )
    # Period ended: the closing moment is the closing time, not when the job noticed it.
    closed_at = now if early else times.from_db(doc["closes_at"])
    event = new_event(
        events_pb2.RoundClosed(
            round_id=round_id,
            closed_at=times.stamp(closed_at),
            reason=reason,
            completed_per_group=await completed_per_group(store, doc),
        ),
        tenant_id=store.tenant_id,
        producer="survey",
        correlation_id=correlation_id,
    )
    updated = await store.rounds.update(
        round_id,
        {
            "$set": {
                "status": RoundStatus.CLOSED.value,
                "closed_at": closed_at,
                "close_reason": "closed_early" if early else "period_ended",
            }
        },
        [event],
        expect={"status": RoundStatus.OPEN.value},
    )
    if updated is None:
        if early:
            raise Conflict(round_id)
        return None
    return updated


def subject_filter(subject_id: str) -> dict[str, Any]:
    return {"$or": [{"subject.subject_id": subject_id}, {"subject.member_ids": subject_id}]}


def list_filter(
    *,
    kind: Kind | None,
    status: RoundStatus | None,
    subject_id: str | None,
    period_from: datetime | None,
    period_to: datetime | None,
    group_id: str | None = None,
) -> dict[str, Any]:
    clauses: list[dict[str, Any]] = []
    if group_id:
        clauses.append({"group_id": group_id})
    if kind is not None:
        clauses.append({"kind": kind.value})
    if status is not None:
        clauses.append({"status": status.value})
    if subject_id:
        clauses.append(subject_filter(subject_id))
    # Rounds whose period overlaps [from, to].
    if period_from is not None:
        clauses.append({"closes_at": {"$gte": period_from}})
    if period_to is not None:
        clauses.append({"$or": [{"opens_at": None}, {"opens_at": {"$lte": period_to}}]})
    return {"$and": clauses} if clauses else {}


__all__ = ["Conflict", "LifecycleError", "NotFound"]
