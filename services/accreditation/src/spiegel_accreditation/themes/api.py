"""Themes chosen beforehand over HTTP.

- `PUT /sessions/{id}/themes`: a participant, their own choice (until the session ends).
- `GET /sessions/{id}/themes`: a participant reads their own choice; the session's
  facilitators every participant's. Coordinators are refused: what a participant wants to
  discuss is part of the discussion (they see attendance only).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends
from pydantic import BaseModel, ConfigDict, Field
from spiegel_platform.auth.dependencies import require_roles
from spiegel_platform.auth.roles import FACILITATOR, SPECIALIST
from spiegel_platform.auth.service_tokens import Principal
from spiegel_platform.errors import ApiError

from spiegel_accreditation.attendance.service import aware
from spiegel_accreditation.sessions.api import Id
from spiegel_accreditation.sessions.model import CANCELLED, RuleError
from spiegel_accreditation.sessions.service import participants_of, refused
from spiegel_accreditation.settings import AccreditationRuntime
from spiegel_accreditation.storage import participant_key
from spiegel_accreditation.themes.model import Theme, check_themes
from spiegel_accreditation.wiring import Accreditation

Participant = Annotated[Principal, Depends(require_roles(SPECIALIST))]
Reader = Annotated[Principal, Depends(require_roles(SPECIALIST, FACILITATOR))]


class ThemeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    theme_id: str = Field(..., max_length=200)
    name: str = Field(..., max_length=1000)


class ThemesIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    themes: list[ThemeIn] = Field(..., max_length=100)


def router(runtime: AccreditationRuntime) -> APIRouter:
    api = APIRouter(prefix="/sessions", tags=["themes"])
    wiring = Accreditation.of(runtime)

    @api.put("/{session_id}/themes", summary="Thema's kiezen die de deelnemer wil bespreken")
    async def choose(session_id: Id, body: ThemesIn, principal: Participant) -> dict[str, Any]:
        store = wiring.stores.tenant(principal.tenant_id)
        doc = await wiring.attendance.participant_session(principal.tenant_id, session_id, principal.subject)
        if doc["state"] == CANCELLED:
            raise ApiError(409, "session_cancelled", extra={"field": "session"}, session_id=session_id)
        if aware(doc["ends_at"]) <= datetime.now(UTC):
            raise ApiError(409, "themes_session_over", extra={"field": "session"}, session_id=session_id)
        try:
            themes = check_themes([Theme(t.theme_id, t.name) for t in body.themes])
        except RuleError as error:
            raise refused(error) from None
        chosen = [{"theme_id": t.theme_id, "name": t.name} for t in themes]
        await store.themes.update(
            participant_key(session_id, principal.subject),
            {
                "$set": {
                    "session_id": session_id,
                    "person_id": principal.subject,
                    "themes": chosen,
                    "updated_at": datetime.now(UTC),
                }
            },
            upsert=True,
        )
        return {"session_id": session_id, "person_id": principal.subject, "themes": chosen}

    @api.get("/{session_id}/themes", summary="Gekozen thema's (deelnemer: eigen; gespreksleider: allen)")
    async def read(session_id: Id, principal: Reader) -> dict[str, Any]:
        store = wiring.stores.tenant(principal.tenant_id)
        doc = await wiring.attendance.session(principal.tenant_id, session_id)
        people = [p.person_id for p in participants_of(doc)]
        if principal.has_role(FACILITATOR) and principal.subject in doc["facilitator_ids"]:
            shown = people
        elif principal.has_role(SPECIALIST) and principal.subject in people:
            shown = [principal.subject]
        else:
            raise ApiError(404, "session_not_found", session_id=session_id)
        found = []
        for person in shown:
            record = await store.themes.get(participant_key(session_id, person))
            found.append({"person_id": person, "themes": (record or {}).get("themes", [])})
        return {"session_id": session_id, "participants": found}

    return api
