"""The GAIA registration deadline (the accreditation service's GaiaRegistrationDue) into mails to
the hospital's coordinators.

The event says which session, its deadline and how many whole-session attendees are still to
register: nothing else (no names, no BIG numbers), and the mail says no more. Its recipients are
the people of this service's directory (the gateway's PersonRegistered) with the coordinator role,
active; each gets one mail in their own language, with a link to "Nog te registreren".

A second reminder on the deadline day itself (`last_day`: the accreditation service sends it when
the attendance is still not all registered then) is a mail of its own, worded as the last day.

Exactly once: each mail key (`gaia-due:<session>:<deadline>:<coordinator>`, `...:last` for the
deadline day's) is a unique insert
into the queue and the mailer sends each key once, so a redelivered event (or one handled again
after a crash) sends nobody a second mail. The accreditation service emits the event once per
session and deadline; a changed deadline is a new deadline, and may remind again.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC

from spiegel.accreditation.v1 import events_pb2
from spiegel_platform.events import Handler, ReceivedEvent
from spiegel_platform.logging import get_logger

from spiegel_invitation.discussions.calendar import zone
from spiegel_invitation.mail.due import GAIA_DUE
from spiegel_invitation.mail.queue import enqueue, gaia_due_key
from spiegel_invitation.settings import InvitationRuntime
from spiegel_invitation.storage import Store
from spiegel_invitation.wiring import Invitation

EVENTS = ("spiegel.accreditation.v1.GaiaRegistrationDue",)
COORDINATOR = "coordinator"
log = get_logger(__name__)


async def coordinators(store: Store) -> list[str]:
    """The hospital's active coordinators as the directory knows them, in a stable order."""
    found = await store.people.find({"roles": COORDINATOR}, projection={"id": 1, "active": 1, "roles": 1})
    return sorted(
        str(p["id"])
        for p in found
        if p.get("active", True) is not False and COORDINATOR in (p.get("roles") or [])
    )


async def session_day(store: Store, session_id: str) -> str:
    """The session's day in the hospital's time zone (ISO), when the session's events reached this
    service (the invitations); "" if not: the mail then names no day."""
    session = await store.discussions.get(session_id, projection={"starts_at": 1})
    if not session or not session.get("starts_at"):
        return ""
    tenant = await store.tenants.get(store.tenant_id, projection={"time_zone": 1}) or {}
    starts_at = session["starts_at"]
    if starts_at.tzinfo is None:
        starts_at = starts_at.replace(tzinfo=UTC)
    return str(starts_at.astimezone(zone(tenant.get("time_zone"))).date().isoformat())


def handlers(runtime: InvitationRuntime) -> Mapping[str, Handler]:
    stores = Invitation.of(runtime).stores

    async def due(event: ReceivedEvent) -> None:
        payload: events_pb2.GaiaRegistrationDue = event.payload
        store = stores.tenant(event.tenant_id)
        deadline = payload.deadline.ToDatetime(tzinfo=UTC).date().isoformat()
        recipients = await coordinators(store)
        if not recipients:
            log.warning("gaia_due_no_coordinator", tenant_id=event.tenant_id, session_id=payload.session_id)
            return
        day = await session_day(store, payload.session_id)
        await enqueue(
            store,
            [
                {
                    "id": gaia_due_key(payload.session_id, deadline, person_id, last_day=payload.last_day),
                    "template": GAIA_DUE,
                    "session_id": payload.session_id,
                    "person_id": person_id,
                    "deadline": deadline,
                    "to_register": int(payload.to_register),
                    "session_day": day,
                    "last_day": bool(payload.last_day),
                }
                for person_id in recipients
            ],
        )

    return {EVENTS[0]: due}
