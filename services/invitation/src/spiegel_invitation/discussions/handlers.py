"""The accreditation service's session events: each session as it now stands, and its mails.

`SessionPlanned`, `SessionChanged` and `SessionCancelled` carry the whole session after the
change with its `version`; a session's events share its Kafka key, so they arrive in order.
Each is handled in two idempotent steps:

1. the session's document here (`discussions`) is written with the decision of
   `model.decide` (who takes part, when each person's invitation is due, which mails the
   change asks for, kept under `mails.<version>`), unless this version or a later one is
   stored already;
2. those due now are queued (`mail/queue.py`: a unique insert per mail key); the others wait
   in the document (`next_at`) for the scheduler (`scheduler.py`), as reminders wait. A
   participant's invitation is queued with their personal check-in link (`followup.py`
   `with_checkin_links`: issued once per session and person, when the first is queued).

A crash between the two, or a redelivered event, finds the stored version and queues its
recorded mails again: the unique keys queue each once, the mailer sends each once. An older
event arriving after a newer one (a redelivery) changes nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from pymongo.errors import DuplicateKeyError
from spiegel.accreditation.v1 import events_pb2 as accreditation
from spiegel_platform.events import Handler, PermanentError, ReceivedEvent
from spiegel_platform.logging import get_logger

from spiegel_invitation.discussions import model
from spiegel_invitation.discussions.followup import with_checkin_links
from spiegel_invitation.mail.queue import enqueue
from spiegel_invitation.mail.tokens import LinkTokens
from spiegel_invitation.settings import InvitationRuntime
from spiegel_invitation.storage import Store
from spiegel_invitation.wiring import Invitation

log = get_logger(__name__)

EVENTS = (
    "spiegel.accreditation.v1.SessionPlanned",
    "spiegel.accreditation.v1.SessionChanged",
    "spiegel.accreditation.v1.SessionCancelled",
)
CHANGES = {
    accreditation.SessionChanged.CHANGE_SCHEDULE: "schedule",
    accreditation.SessionChanged.CHANGE_PLACE: "place",
    accreditation.SessionChanged.CHANGE_PARTICIPANTS: "participants",
    accreditation.SessionChanged.CHANGE_FACILITATORS: "facilitators",
}
KINDS = {accreditation.SESSION_KIND_IFMS: "IFMS", accreditation.SESSION_KIND_GROUP_MONITOR: "GROUP_MONITOR"}


def session_of(payload: accreditation.Session) -> dict[str, Any]:
    """The event's session as a document (times in UTC)."""
    if not payload.session_id or not payload.version or not payload.HasField("starts_at"):
        raise PermanentError("a session event without session_id, version or starts_at")
    return {
        "session_id": payload.session_id,
        "kind": KINDS.get(payload.kind, "IFMS"),
        "participants": [{"person_id": p.person_id, "round_id": p.round_id} for p in payload.participants],
        "facilitator_ids": list(payload.facilitator_ids),
        "starts_at": payload.starts_at.ToDatetime(tzinfo=UTC),
        "ends_at": payload.ends_at.ToDatetime(tzinfo=UTC),
        "location": payload.location,
        "online_url": payload.online_url,
        "group_id": payload.group_id,
        "series_id": payload.series_id,
        "version": int(payload.version),
        "checkin_closes_at": (
            payload.checkin_closes_at.ToDatetime(tzinfo=UTC)
            if payload.HasField("checkin_closes_at")
            else None
        ),
    }


async def apply(
    store: Store,
    session: dict[str, Any],
    kind: str,
    *,
    changes: list[str],
    now: datetime,
    tokens: LinkTokens,
    correlation_id: str = "",
) -> list[str]:
    """Steps 1 and 2 above for one event; returns the mail keys newly queued."""
    session_id = session["session_id"]
    version = session["version"]
    previous = await store.discussions.get(session_id)
    if previous is not None and int(previous.get("version", 0)) >= version:
        recorded = [m for m in (previous.get("mails") or {}).get(str(version)) or [] if m["due"] <= now]
        if not recorded:
            return []
        return await enqueue(store, await with_checkin_links(store, tokens, recorded, correlation_id))
    tenant = await store.tenants.get(store.tenant_id)
    decision = model.decide(
        previous, session, kind, changes=changes, days_ahead=model.days_ahead_of(tenant), now=now
    )
    fields = {
        **{k: v for k, v in session.items() if k != "session_id"},
        "state": decision.state,
        "people": decision.people,
        "updated_at": now,
        "next_at": model.next_wake((previous or {}).get("next_at"), decision.mails, now),
    }
    # Two handlers of one session at once (only around a rebalance): the later write loses
    # and decides again from what the other wrote.
    if previous is None:
        try:
            await store.discussions.insert(
                {"id": session_id, **fields, "mails": {str(version): decision.mails}}
            )
        except DuplicateKeyError:
            return await apply(
                store, session, kind, changes=changes, now=now, tokens=tokens, correlation_id=correlation_id
            )
    else:
        stored = await store.discussions.update(
            session_id,
            {"$set": {**fields, f"mails.{version}": decision.mails}},
            expect={"version": previous.get("version")},
        )
        if stored is None:
            return await apply(
                store, session, kind, changes=changes, now=now, tokens=tokens, correlation_id=correlation_id
            )
    due_now = [m for m in decision.mails if m["due"] <= now]
    queued = await enqueue(store, await with_checkin_links(store, tokens, due_now, correlation_id))
    log.info("discussion_mails_queued", session_id=session_id, version=version, kind=kind, queued=len(queued))
    return queued


def handlers(runtime: InvitationRuntime) -> Mapping[str, Handler]:
    wiring = Invitation.of(runtime)
    stores = wiring.stores

    async def handle(
        event: ReceivedEvent, session: accreditation.Session, kind: str, changes: list[str]
    ) -> None:
        await apply(
            stores.tenant(event.tenant_id),
            session_of(session),
            kind,
            changes=changes,
            now=_now(),
            tokens=wiring.link_tokens,
            correlation_id=event.correlation_id,
        )

    async def planned(event: ReceivedEvent) -> None:
        payload: accreditation.SessionPlanned = event.payload
        await handle(event, payload.session, model.PLANNED, [])

    async def changed(event: ReceivedEvent) -> None:
        payload: accreditation.SessionChanged = event.payload
        await handle(
            event, payload.session, model.CHANGED, [CHANGES[c] for c in payload.changes if c in CHANGES]
        )

    async def cancelled(event: ReceivedEvent) -> None:
        payload: accreditation.SessionCancelled = event.payload
        await handle(event, payload.session, model.CANCELLED, [])

    return {EVENTS[0]: planned, EVENTS[1]: changed, EVENTS[2]: cancelled}


def _now() -> datetime:
    return datetime.now(UTC)
