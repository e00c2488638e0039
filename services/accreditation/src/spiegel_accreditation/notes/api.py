"""The facilitator's notes per participant over HTTP: thin routes.

Only the session's facilitators and the participant themself ever reach notes; everyone else of
the hospital (coordinators, administrators, colleagues, the board) gets 404, as for a session or
notes that do not exist, so nobody learns whether there are any (the gateway audits those 404s,
and every read). A respondent's link is refused (403).

- `GET /sessions/{id}/notes`: the session's facilitators: every participant's notes (drafts
  included), versions, released or not, and the due date.
- `GET /sessions/{id}/notes/{person_id}`: a facilitator of the session; the participant
  themself once released.
- `PUT /sessions/{id}/notes/{person_id}` `{text, version}`: a facilitator, a draft (autosave).
- `POST /sessions/{id}/notes/{person_id}/release` `{version?}`: a facilitator; announced once.
- `GET /notes/mine`: a participant's released notes.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, ConfigDict, Field
from spiegel_platform.auth.dependencies import require_roles
from spiegel_platform.auth.roles import BOARD, COORDINATOR, FACILITATOR, SPECIALIST, TENANT_ADMIN
from spiegel_platform.auth.service_tokens import Principal
from spiegel_platform.errors import ApiError

from spiegel_accreditation.attendance.service import aware
from spiegel_accreditation.notes.model import MAX_TEXT
from spiegel_accreditation.notes.service import session_out
from spiegel_accreditation.sessions.api import Id
from spiegel_accreditation.settings import AccreditationRuntime
from spiegel_accreditation.storage import Document
from spiegel_accreditation.wiring import Accreditation

# Every signed-in person of the hospital gets the same 404 for notes that are not theirs to read.
Staff = Annotated[
    Principal, Depends(require_roles(TENANT_ADMIN, COORDINATOR, SPECIALIST, FACILITATOR, BOARD))
]


class DraftIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    # The rules refuse beyond MAX_TEXT naming the field and the length; this only bounds what is
    # parsed (the gateway's body limit answers 413 before).
    text: str = Field(..., max_length=2_000_000)
    version: int = Field(..., ge=0)


class ReleaseIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    version: int | None = Field(None, ge=1)


def _iso(moment: Any) -> str | None:
    return aware(moment).isoformat() if isinstance(moment, datetime) else None


def _out(record: Document, *, with_text: bool = True) -> dict[str, Any]:
    out: dict[str, Any] = {
        "session_id": record.get("session_id"),
        "person_id": record["person_id"],
        "version": int(record.get("version", 0)),
        "released": bool(record.get("released_at")),
        "released_at": _iso(record.get("released_at")),
        "updated_at": _iso(record.get("updated_at")),
    }
    if with_text:
        out["text"] = record.get("text", "")
    return out


def _correlation(request: Request) -> str:
    return str(getattr(request.state, "correlation_id", "") or "")


def router(runtime: AccreditationRuntime) -> APIRouter:
    api = APIRouter(tags=["notes"])
    notes = Accreditation.of(runtime).notes

    async def led(principal: Principal, session_id: str) -> Document:
        return await notes.led_session(
            principal.tenant_id, session_id, principal.subject, principal.has_role(FACILITATOR)
        )

    @api.get("/sessions/{session_id}/notes", summary="Gespreksverslagen van een bespreking (gespreksleider)")
    async def of_session(session_id: Id, principal: Staff) -> dict[str, Any]:
        doc = await led(principal, session_id)
        records = await notes.of_session(principal.tenant_id, doc)
        return {
            "session_id": session_id,
            "due_on": notes.due_on(doc),
            "max_length": MAX_TEXT,
            "participants": [{**_out(r), "session_id": session_id} for r in records],
        }

    @api.get("/sessions/{session_id}/notes/{person_id}", summary="Gespreksverslag van één deelnemer")
    async def read(session_id: Id, person_id: Id, principal: Staff) -> dict[str, Any]:
        doc = await notes.session(principal.tenant_id, session_id)
        if principal.has_role(FACILITATOR) and principal.subject in doc.get("facilitator_ids", ()):
            records = {r["person_id"]: r for r in await notes.of_session(principal.tenant_id, doc)}
            if person_id not in records:
                raise ApiError(404, "notes_not_found", session_id=session_id)
            return {**_out(records[person_id]), "session_id": session_id, "due_on": notes.due_on(doc)}
        if principal.has_role(SPECIALIST) and principal.subject == person_id:
            record, doc = await notes.own(principal.tenant_id, session_id, person_id)
            return {**_out(record), **session_out(doc)}
        raise ApiError(404, "notes_not_found", session_id=session_id)

    @api.put("/sessions/{session_id}/notes/{person_id}", summary="Concept opslaan (gespreksleider)")
    async def save(session_id: Id, person_id: Id, body: DraftIn, principal: Staff) -> dict[str, Any]:
        doc = await led(principal, session_id)
        saved = await notes.save(
            principal.tenant_id, doc, person_id, body.text, body.version, by=principal.subject
        )
        # The text is the writer's own; the answer says what was stored without echoing it.
        return {**_out(saved, with_text=False), "length": len(saved.get("text", ""))}

    @api.post("/sessions/{session_id}/notes/{person_id}/release", summary="Vrijgeven aan de deelnemer")
    async def release(
        session_id: Id, person_id: Id, principal: Staff, request: Request, body: ReleaseIn | None = None
    ) -> dict[str, Any]:
        doc = await led(principal, session_id)
        record, now = await notes.release(
            principal.tenant_id,
            doc,
            person_id,
            body.version if body else None,
            by=principal.subject,
            correlation_id=_correlation(request),
        )
        return {**_out(record, with_text=False), "released_now": now}

    @api.get("/notes/mine", summary="Mijn vrijgegeven gespreksverslagen")
    async def mine(principal: Staff) -> dict[str, Any]:
        found = await notes.mine(principal.tenant_id, principal.subject)
        return {
            "notes": [
                {"session_id": r["session_id"], "released_at": _iso(r.get("released_at")), **session_out(s)}
                for r, s in found
            ]
        }

    return api
