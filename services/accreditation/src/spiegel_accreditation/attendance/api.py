"""Check-in, attendance and the meeting's evaluation over HTTP: thin routes.

- `GET /sessions/{id}/checkin`, `POST /sessions/{id}/checkin`: the session's own participants
  (a specialist), for themselves; anyone else 403 (another hospital's session: 404).
- `PUT /sessions/{id}/attendance/{person_id}`: the session's facilitators.
- `GET /sessions/{id}/attendance`: the session's facilitators (with the reasons) and the
  hospital's coordinators (attendance only: status, time present, checked in or not).
- `GET /sessions/{id}/evaluation`: the session's facilitators and the coordinators; nothing
  below the anonymity floor.
- `GET /checkin-links/{token}`, `POST /checkin-links/{token}`: the personal link of the follow-up
  mail (attendance/followups.py): the caller is the link (a respondent principal whose subject is
  `link:<hash of the token>`, made by the gateway), and it checks in the one participant of the
  one session the link was issued for, within the same window as the QR code.
BIG numbers are read by their owner only (their own check-in page, or their own link).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, ConfigDict, Field
from spiegel_platform.auth.dependencies import require_roles
from spiegel_platform.auth.roles import COORDINATING, FACILITATOR, RESPONDENT, SPECIALIST
from spiegel_platform.auth.service_tokens import Principal
from spiegel_platform.errors import ApiError
from spiegel_platform.links import hash_link_token, looks_like_link_token, same_hash

from spiegel_accreditation.attendance import model
from spiegel_accreditation.sessions.api import Id
from spiegel_accreditation.settings import AccreditationRuntime
from spiegel_accreditation.storage import Document
from spiegel_accreditation.wiring import Accreditation

Participant = Annotated[Principal, Depends(require_roles(SPECIALIST))]
Facilitator = Annotated[Principal, Depends(require_roles(FACILITATOR))]
Reader = Annotated[Principal, Depends(require_roles(*COORDINATING, FACILITATOR))]
Link = Annotated[Principal, Depends(require_roles(RESPONDENT))]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class EvaluationIn(Strict):
    # statement key -> 1..5 (checked by the rules, so that the refusal names the statement)
    answers: dict[str, Any] = Field(default_factory=dict, max_length=20)
    remark: str = Field("", max_length=20_000)


class CheckInIn(Strict):
    # Typed as text (never a number: leading zeros); empty: the remembered one.
    big_number: str | None = Field(None, max_length=100)
    evaluation: EvaluationIn | None = None


class MarkIn(Strict):
    status: Literal["present", "partial", "absent"]
    hours: float | None = Field(None, ge=0, le=24)
    reason: str = Field("", max_length=5000)


def _correlation(request: Request) -> str:
    return str(getattr(request.state, "correlation_id", "") or "")


def _iso(moment: Any) -> str | None:
    if isinstance(moment, datetime):
        return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).isoformat()
    return None


def router(runtime: AccreditationRuntime) -> APIRouter:
    api = APIRouter(prefix="/sessions", tags=["attendance"])
    attendance = Accreditation.of(runtime).attendance

    def leads(principal: Principal, doc: Document) -> bool:
        return principal.has_role(FACILITATOR) and principal.subject in doc["facilitator_ids"]

    async def readable(principal: Principal, session_id: str) -> tuple[Document, bool]:
        """The session and whether the caller leads it; a facilitator of another session: 404."""
        doc = await attendance.session(principal.tenant_id, session_id)
        if leads(principal, doc):
            return doc, True
        if principal.has_role(*COORDINATING):
            return doc, False
        raise ApiError(404, "session_not_found", session_id=session_id)

    @api.get("/{session_id}/checkin", summary="Aanmelden: de stand voor de deelnemer zelf")
    async def checkin_status(session_id: Id, principal: Participant) -> dict[str, Any]:
        return await attendance.status(principal.tenant_id, session_id, principal.subject)

    @api.post("/{session_id}/checkin", summary="Aanmelden met het BIG-nummer (en de evaluatie)")
    async def check_in(
        session_id: Id, body: CheckInIn, principal: Participant, request: Request
    ) -> dict[str, Any]:
        return await _check_in(attendance, principal.tenant_id, session_id, principal.subject, body, request)

    @api.put("/{session_id}/attendance/{person_id}", summary="Aanwezigheid vastleggen (gespreksleider)")
    async def mark(
        session_id: Id, person_id: Id, body: MarkIn, principal: Facilitator, request: Request
    ) -> dict[str, Any]:
        doc = await attendance.session(principal.tenant_id, session_id)
        if not leads(principal, doc):
            raise ApiError(404, "session_not_found", session_id=session_id)
        record = await attendance.mark(
            principal.tenant_id,
            session_id,
            person_id,
            body.status,
            body.hours,
            body.reason,
            by=principal.subject,
            correlation_id=_correlation(request),
        )
        return _record_out(record, with_reason=True)

    @api.get(
        "/{session_id}/attendance", summary="Aanwezigheid (gespreksleider; coördinator: alleen de stand)"
    )
    async def read_attendance(session_id: Id, principal: Reader) -> dict[str, Any]:
        doc, leader = await readable(principal, session_id)
        records = await attendance.records(principal.tenant_id, doc)
        return {
            "session_id": session_id,
            "participants": [_record_out(r, with_reason=leader) for r in records],
        }

    @api.get(
        "/{session_id}/evaluation",
        summary="Evaluatie van de bijeenkomst (na het sluiten van de aanmeldtermijn, vanaf 4 antwoorden)",
    )
    async def evaluation(session_id: Id, principal: Reader) -> dict[str, Any]:
        doc, _ = await readable(principal, session_id)
        _, closes = attendance.window_of(doc)
        now = datetime.now(UTC)
        # Nothing is read while answers may still come in: not even how many there are.
        found = [] if now < closes else await attendance.evaluations(principal.tenant_id, session_id)
        return {"session_id": session_id, **model.summary(found, closes_at=closes, now=now)}

    return api


async def _check_in(
    attendance: Any, tenant_id: str, session_id: str, person_id: str, body: CheckInIn, request: Request
) -> dict[str, Any]:
    given = body.evaluation or EvaluationIn()
    done = await attendance.check_in(
        tenant_id, session_id, person_id, body.big_number, given.answers, given.remark, _correlation(request)
    )
    return {
        "session_id": session_id,
        "checked_in": True,
        "already_checked_in": done.already,
        "big_number": done.big_number,
        "evaluated": done.evaluated,
        "evaluation_saved": done.evaluation_saved,
    }


def links_router(runtime: AccreditationRuntime) -> APIRouter:
    """The personal check-in link of the follow-up mail. The token is in the path and must hash to
    the caller's subject (the gateway made the caller from that very token): a link opens only its
    own participant's check-in for its own session."""
    api = APIRouter(prefix="/checkin-links", tags=["attendance"])
    attendance = Accreditation.of(runtime).attendance

    async def resolve(token: str, principal: Principal) -> tuple[str, str]:
        if not looks_like_link_token(token):
            raise ApiError(404, "checkin_link_unknown")
        token_hash = hash_link_token(token)
        if not same_hash(principal.subject, f"link:{token_hash}"):
            raise ApiError(403, "checkin_link_mismatch")
        link = await attendance.store(principal.tenant_id).checkin_links.get(token_hash)
        if link is None:
            raise ApiError(404, "checkin_link_unknown")
        return str(link["session_id"]), str(link["person_id"])

    @api.get("/{token}", summary="Aanmelden met de persoonlijke link: de stand")
    async def link_status(token: str, principal: Link) -> dict[str, Any]:
        session_id, person_id = await resolve(token, principal)
        return await attendance.status(principal.tenant_id, session_id, person_id)

    @api.post("/{token}", summary="Aanmelden met de persoonlijke link (BIG-nummer en evaluatie)")
    async def link_check_in(token: str, body: CheckInIn, principal: Link, request: Request) -> dict[str, Any]:
        session_id, person_id = await resolve(token, principal)
        return await _check_in(attendance, principal.tenant_id, session_id, person_id, body, request)

    return api


def _record_out(record: Document, *, with_reason: bool) -> dict[str, Any]:
    status = record.get("status")
    out: dict[str, Any] = {
        "person_id": record["person_id"],
        "name": record.get("name", ""),
        "status": status or "unknown",
        "hours_present": round(int(record.get("minutes", 0)) / 60, 2) if status else None,
        "checked_in": bool(record.get("checked_in_at")),
        "source": record.get("source"),
    }
    if with_reason:
        out["reason"] = record.get("reason", "")
        out["checked_in_at"] = _iso(record.get("checked_in_at"))
    return out
