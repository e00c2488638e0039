"""Discussion sessions over HTTP: thin routes (parse, check roles, call the steps).

Coordinators and tenant admins plan, change, cancel and list every session of their
hospital; a facilitator lists and reads the sessions they lead; a specialist the sessions they
take part in. Anyone else (the board, an operator, a respondent) is refused; a session that is
not the caller's to see, or of another hospital, is a 404.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints
from spiegel_platform.auth.dependencies import require_roles
from spiegel_platform.auth.roles import COORDINATING, FACILITATOR, SPECIALIST
from spiegel_platform.auth.service_tokens import Principal
from spiegel_platform.errors import ApiError

from spiegel_accreditation.sessions.model import (
    MAX_IFMS_PARTICIPANTS,
    Kind,
    Mode,
    Participant,
    suggested_minutes,
)
from spiegel_accreditation.sessions.service import Plan, participants_of
from spiegel_accreditation.settings import AccreditationRuntime
from spiegel_accreditation.storage import Document
from spiegel_accreditation.wiring import Accreditation

# Ids of people, rounds and groups as the gateway and the survey make them: no slash (a seat's
# id joins two), no spaces or control characters.
Id = Annotated[str, StringConstraints(min_length=1, max_length=100, pattern=r"^[^/\s\x00-\x1f\x7f]+$")]
Place = Annotated[str, StringConstraints(max_length=200)]

Coordinator = Annotated[Principal, Depends(require_roles(*COORDINATING))]
Reader = Annotated[Principal, Depends(require_roles(*COORDINATING, FACILITATOR, SPECIALIST))]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ParticipantIn(Strict):
    person_id: Id
    round_id: Id


class SessionIn(Strict):
    kind: Kind
    participants: list[ParticipantIn] = Field(..., min_length=1, max_length=500)
    facilitator_ids: list[Id] = Field(..., min_length=1, max_length=10)
    starts_at: AwareDatetime
    ends_at: AwareDatetime
    location: Place = ""
    online_url: str = Field("", max_length=500)
    # Groepsmonitor: the group discussed (the subject of its round).
    group_id: Id | None = None
    # Sessions planned together (from one proposal).
    series_id: Id | None = None


class ProposalIn(Strict):
    participants: list[ParticipantIn] = Field(..., min_length=1, max_length=2000)
    mode: Mode = "separate_dates"
    starts_at: AwareDatetime
    # The length of each session; by default 2 to 3 hours by its size.
    minutes: int | None = Field(None, ge=30, le=720)
    # separate_dates: the days between one session and the next.
    interval_days: int = Field(7, ge=1, le=90)
    rooms: list[Place] = Field(default_factory=list, max_length=300)
    facilitator_ids: list[Id] = Field(default_factory=list, max_length=300)


class ScheduleIn(Strict):
    starts_at: AwareDatetime
    ends_at: AwareDatetime


class PlaceIn(Strict):
    location: Place = ""
    online_url: str = Field("", max_length=500)


class FacilitatorsIn(Strict):
    facilitator_ids: list[Id] = Field(..., min_length=1, max_length=10)


class SwapIn(Strict):
    out_person_id: Id
    incoming: ParticipantIn


def _iso(moment: Any) -> str:
    if isinstance(moment, datetime):
        return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).isoformat()
    return str(moment)


def session_out(doc: Document, checkin_window: timedelta) -> dict[str, Any]:
    """A session as the API gives it; `checkin_window`: how long after its end check-in stays open
    (the hospital's setting), so a page can tell when the check-in is open without knowing it."""
    ends_at = (
        doc["ends_at"] if isinstance(doc["ends_at"], datetime) else datetime.fromisoformat(doc["ends_at"])
    )
    ends_at = ends_at if ends_at.tzinfo else ends_at.replace(tzinfo=UTC)
    return {
        "id": doc["id"],
        "kind": doc["kind"],
        "state": doc["state"],
        "version": doc["version"],
        "participants": doc["participants"],
        "facilitator_ids": doc["facilitator_ids"],
        "starts_at": _iso(doc["starts_at"]),
        "ends_at": _iso(doc["ends_at"]),
        "checkin_opens_at": _iso(doc["starts_at"]),
        "checkin_closes_at": (ends_at + checkin_window).isoformat(),
        "location": doc.get("location", ""),
        "online_url": doc.get("online_url", ""),
        "group_id": doc.get("group_id") or None,
        "series_id": doc.get("series_id") or None,
        "suggested_minutes": suggested_minutes(max(1, len(doc["participants"]))),
    }


def _participants(items: list[ParticipantIn]) -> list[Participant]:
    return [Participant(p.person_id, p.round_id) for p in items]


def _correlation(request: Request) -> str:
    return str(getattr(request.state, "correlation_id", "") or "")


def router(runtime: AccreditationRuntime) -> APIRouter:
    api = APIRouter(prefix="/sessions", tags=["sessions"])
    sessions = Accreditation.of(runtime).sessions

    def out(doc: Document) -> dict[str, Any]:
        return session_out(doc, sessions.checkin_window)

    def may_read(principal: Principal, doc: Document) -> bool:
        if principal.has_role(*COORDINATING):
            return True
        if principal.has_role(FACILITATOR) and principal.subject in doc["facilitator_ids"]:
            return True
        return principal.has_role(SPECIALIST) and any(
            p.person_id == principal.subject for p in participants_of(doc)
        )

    @api.post("", status_code=201, summary="Groepsbespreking plannen")
    async def plan(body: SessionIn, principal: Coordinator, request: Request) -> dict[str, Any]:
        doc = await sessions.plan(
            principal.tenant_id,
            Plan(
                kind=body.kind,
                participants=_participants(body.participants),
                facilitator_ids=list(body.facilitator_ids),
                starts_at=body.starts_at,
                ends_at=body.ends_at,
                location=body.location,
                online_url=body.online_url,
                group_id=body.group_id or "",
                series_id=body.series_id or "",
            ),
            by=principal.subject,
            correlation_id=_correlation(request),
        )
        return out(doc)

    @api.post(
        "/proposal", summary="Voorstel: gekozen specialisten in groepen van ten hoogste 8 (slaat niets op)"
    )
    async def proposal(body: ProposalIn, principal: Coordinator) -> dict[str, Any]:
        series_id, drafts = await sessions.propose(
            principal.tenant_id,
            _participants(body.participants),
            mode=body.mode,
            starts_at=body.starts_at,
            minutes=body.minutes,
            interval=timedelta(days=body.interval_days),
            rooms=body.rooms,
            facilitator_ids=body.facilitator_ids,
        )
        return {
            "mode": body.mode,
            "most_per_session": MAX_IFMS_PARTICIPANTS,
            "series_id": series_id,
            # Each one a POST /sessions body (`session`) once facilitators and a place are filled in.
            "sessions": [
                {
                    "session": {
                        "kind": "IFMS",
                        "participants": [
                            {"person_id": p.person_id, "round_id": p.round_id} for p in d.participants
                        ],
                        "facilitator_ids": d.facilitator_ids,
                        "starts_at": d.starts_at.isoformat(),
                        "ends_at": d.ends_at.isoformat(),
                        "location": d.location,
                        "series_id": series_id,
                    },
                    "suggested_minutes": suggested_minutes(len(d.participants)),
                }
                for d in drafts
            ],
        }

    @api.get("", summary="Groepsbesprekingen (coördinator: alle; gespreksleider en specialist: eigen)")
    async def list_sessions(
        principal: Reader,
        state: Literal["planned", "cancelled"] | None = None,
        mine: Annotated[
            bool,
            Query(description="Alleen die de beller leidt of waaraan hij deelneemt, ook als coördinator"),
        ] = False,
    ) -> list[dict[str, Any]]:
        repo = sessions.store(principal.tenant_id).sessions
        found: dict[str, Document] = {}
        if mine:
            # "Mijn groepsbesprekingen": one's own, whatever one's roles (a coordinator who also
            # leads or takes part sees those, not the hospital's).
            docs = await repo.find({"facilitator_ids": principal.subject})
            docs += await repo.find({"participant_ids": principal.subject})
        elif principal.has_role(*COORDINATING):
            docs = await repo.find({})
        else:
            docs = []
            if principal.has_role(FACILITATOR):
                docs += await repo.find({"facilitator_ids": principal.subject})
            if principal.has_role(SPECIALIST):
                docs += await repo.find({"participant_ids": principal.subject})
        for doc in docs:
            if state is None or doc["state"] == state:
                found[doc["id"]] = doc
        ordered = sorted(found.values(), key=lambda d: (_iso(d["starts_at"]), d["id"]))
        return [out(d) for d in ordered]

    @api.get("/{session_id}", summary="Groepsbespreking")
    async def read(session_id: Id, principal: Reader) -> dict[str, Any]:
        doc = await sessions.store(principal.tenant_id).sessions.get(session_id)
        if doc is None or not may_read(principal, doc):
            raise ApiError(404, "session_not_found", session_id=session_id)
        return out(doc)

    @api.put("/{session_id}/schedule", summary="Verzetten (begin en einde)")
    async def reschedule(
        session_id: Id, body: ScheduleIn, principal: Coordinator, request: Request
    ) -> dict[str, Any]:
        doc = await sessions.reschedule(
            principal.tenant_id, session_id, body.starts_at, body.ends_at, _correlation(request)
        )
        return out(doc)

    @api.put("/{session_id}/place", summary="Plaats of online link wijzigen")
    async def move(session_id: Id, body: PlaceIn, principal: Coordinator, request: Request) -> dict[str, Any]:
        doc = await sessions.move(
            principal.tenant_id, session_id, body.location, body.online_url, _correlation(request)
        )
        return out(doc)

    @api.put("/{session_id}/facilitators", summary="Gespreksleider(s) wijzigen")
    async def lead(
        session_id: Id, body: FacilitatorsIn, principal: Coordinator, request: Request
    ) -> dict[str, Any]:
        doc = await sessions.change_facilitators(
            principal.tenant_id, session_id, list(body.facilitator_ids), _correlation(request)
        )
        return out(doc)

    @api.post("/{session_id}/swap", summary="Een deelnemer vervangen")
    async def swap(session_id: Id, body: SwapIn, principal: Coordinator, request: Request) -> dict[str, Any]:
        doc = await sessions.swap(
            principal.tenant_id,
            session_id,
            body.out_person_id,
            Participant(body.incoming.person_id, body.incoming.round_id),
            _correlation(request),
        )
        return out(doc)

    @api.post("/{session_id}/cancel", summary="Annuleren")
    async def cancel(session_id: Id, principal: Coordinator, request: Request) -> dict[str, Any]:
        return out(await sessions.cancel(principal.tenant_id, session_id, _correlation(request)))

    return api
