"""Seats: the one session a participant takes part in for a round.

A seat is a document `<round id>/<person id>` naming its session, made by a unique insert
(atomic on FerretDB too): of two coordinators planning the same person for the same round at
once, exactly one gets the seat. Seats are taken before the session is written and given up
after a session lets a participant go, so a crash in between can leave a seat naming a session
that does not exist (planning died before its write) or that no longer holds the participant
(a swap or cancellation died before its release). Such a seat is stale: the next claim takes it
over with one conditional write. A seat of a cancelled session is stale at once; any other only
after a grace period, since the step that took it (a planning or a swap) may still be on its way
to writing the session: taking it over then would put the participant in two sessions.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from spiegel_accreditation.sessions.model import CANCELLED, Participant
from spiegel_accreditation.storage import Document, Store, seat_id


@dataclass(frozen=True)
class SeatTaken(Exception):
    index: int
    participant: Participant
    session_id: str


def _holds(session: Document | None, participant: Participant) -> bool:
    return (
        session is not None
        and session.get("state") != CANCELLED
        and any(
            p["person_id"] == participant.person_id and p["round_id"] == participant.round_id
            for p in session.get("participants", ())
        )
    )


async def holder(store: Store, participant: Participant, grace: timedelta) -> str | None:
    """The session that really holds the participant's seat for the round, if any."""
    seat = await store.seats.get(seat_id(participant.round_id, participant.person_id))
    if seat is None:
        return None
    session = await store.sessions.get(seat["session_id"], projection={"state": 1, "participants": 1})
    if _holds(session, participant):
        return str(seat["session_id"])
    if session is not None and session.get("state") == CANCELLED:
        return None  # final: nobody will write this participant into it any more
    if seat["at"] > datetime.now(UTC) - grace:
        # The step that took it (planning, a swap) may still be writing the session.
        return str(seat["session_id"])
    return None


async def take(store: Store, session_id: str, participants: Sequence[Participant], grace: timedelta) -> None:
    """Seat every participant in `session_id`, or none of them (raises SeatTaken)."""
    now = datetime.now(UTC)
    docs: list[Document] = [
        {"id": seat_id(p.round_id, p.person_id), "session_id": session_id, "at": now} for p in participants
    ]
    inserted = set(await store.seats.insert_many(docs))
    taken: list[Participant] = [p for p, d in zip(participants, docs, strict=True) if d["id"] in inserted]
    for index, (participant, doc) in enumerate(zip(participants, docs, strict=True)):
        if doc["id"] in inserted:
            continue
        seat = await store.seats.get(doc["id"])
        other = str(seat["session_id"]) if seat else ""
        if other == session_id:
            taken.append(participant)
            continue
        current = await holder(store, participant, grace)
        if current is None:
            if seat is None:  # given up in the meantime: insert it again
                moved = bool(await store.seats.insert_many([doc]))
            else:  # stale: taken over, unless someone else took it over first
                moved = (
                    await store.seats.update(
                        doc["id"],
                        {"$set": {"session_id": session_id, "at": now}},
                        expect={"session_id": other},
                    )
                    is not None
                )
            if moved:
                taken.append(participant)
                continue
            current = await holder(store, participant, grace) or other
        await give_up(store, session_id, taken)
        raise SeatTaken(index, participant, current)


async def give_up(store: Store, session_id: str, participants: Sequence[Participant]) -> None:
    """Release the participants' seats that name `session_id` (not one taken over since)."""
    for participant in participants:
        await store.seats.collection.delete_one(
            {
                "_id": store.seats.key(seat_id(participant.round_id, participant.person_id)),
                "session_id": session_id,
            }
        )
