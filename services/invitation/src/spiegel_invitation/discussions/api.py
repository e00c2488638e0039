"""A signed-in person's group discussions ("mijn groepsbesprekingen") and their calendar file.

From the sessions as this service knows them (the accreditation service's events): the ones the
person takes part in or leads. The calendar file is the one the invitations carry (same UID,
SEQUENCE = the session's version), so adding it to a calendar that has the invitation's event
changes nothing, and a later update or cancellation by mail still applies to it. Somebody else's
session, or another hospital's, is unknown (404).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter, Response
from spiegel_platform.auth.service_tokens import Principal
from spiegel_platform.errors import ApiError

from spiegel_invitation.access import SignedIn
from spiegel_invitation.discussions.calendar import calendar_file
from spiegel_invitation.discussions.model import CANCELLED, FACILITATOR, calendar_uid
from spiegel_invitation.settings import InvitationRuntime
from spiegel_invitation.storage import Store
from spiegel_invitation.wiring import Invitation

Document = dict[str, Any]
# A calendar file's description: the practical information, no content of the discussion.
DESCRIPTION_FIELDS = ("location", "online_url")


def mine(doc: Document, person_id: str) -> Document | None:
    return next((p for p in doc.get("people", []) if p["person_id"] == person_id), None)


async def view(store: Store, doc: Document, me: Document) -> Document:
    names = []
    for facilitator_id in doc.get("facilitator_ids", []):
        person = await store.people.get(facilitator_id, projection={"display_name": 1})
        names.append((person or {}).get("display_name") or "")
    return {
        "session_id": doc["id"],
        "kind": doc.get("kind", "IFMS"),
        "role": me["role"],
        "state": doc.get("state"),
        "starts_at": doc["starts_at"],
        "ends_at": doc["ends_at"],
        "location": doc.get("location", ""),
        "online_url": doc.get("online_url", ""),
        "facilitator_names": [n for n in names if n],
        "version": doc.get("version", 1),
    }


def router(runtime: InvitationRuntime) -> APIRouter:
    api = APIRouter(tags=["to-do"])
    wiring = Invitation.of(runtime)
    stores, settings = wiring.stores, wiring.settings

    async def found(principal: Principal, session_id: str) -> tuple[Store, Document, Document]:
        store = stores.tenant(principal.tenant_id)
        doc = await store.discussions.get(session_id)
        me = mine(doc, principal.subject) if doc else None
        if doc is None or me is None:
            raise ApiError(404, "discussion_not_found", session_id=session_id)
        return store, doc, me

    @api.get("/me/discussions")
    async def my_discussions(principal: SignedIn) -> dict[str, Any]:
        """The planned sessions one takes part in or leads, soonest first, the past ones last."""
        store = stores.tenant(principal.tenant_id)
        docs = await store.discussions.find(
            {"people.person_id": principal.subject, "state": {"$ne": CANCELLED}}
        )
        now = datetime.now(UTC)
        items = []
        for doc in docs:
            me = mine(doc, principal.subject)
            if me is not None:
                items.append(await view(store, doc, me))
        items.sort(key=lambda i: (i["ends_at"] < now, i["starts_at"]))
        return {"discussions": items}

    @api.get("/me/discussions/{session_id}/calendar.ics", response_class=Response)
    async def my_calendar_file(session_id: str, principal: SignedIn) -> Response:
        store, doc, me = await found(principal, session_id)
        person = await store.people.get(principal.subject) or {}
        language = person.get("language") or principal.claims.get("lang") or "nl"
        tenant = await store.tenants.get(principal.tenant_id) or {}
        shown = await view(store, doc, me)
        lines = [shown[k] for k in DESCRIPTION_FIELDS if shown[k]]
        if shown["facilitator_names"]:
            lines.append(", ".join(shown["facilitator_names"]))
        ics = calendar_file(
            {
                "method": "PUBLISH",
                "uid": calendar_uid(principal.tenant_id, session_id, principal.subject),
                "sequence": int(doc.get("version", 1)),
                "starts_at": doc["starts_at"],
                "ends_at": doc["ends_at"],
                "location": doc.get("location", ""),
                "online_url": doc.get("online_url", ""),
                "is_group_monitor": doc.get("kind") == "GROUP_MONITOR",
            },
            language=language if language in ("nl", "en") else "nl",
            organizer=settings.mail_from,
            attendee=person.get("email") or str(principal.claims.get("email") or ""),
            attendee_name=person.get("display_name") or "",
            description="\n".join(lines),
            time_zone=tenant.get("time_zone"),
        )
        role = "gespreksleider" if me["role"] == FACILITATOR else "deelnemer"
        return Response(
            ics,
            media_type="text/calendar; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="groepsbespreking-{role}.ics"'},
        )

    return api
