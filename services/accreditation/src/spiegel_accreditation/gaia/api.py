"""Accreditation in GAIA over HTTP: thin routes, for the hospital's coordinators and tenant
admins only (a facilitator, a specialist, the board, an operator: 403; another hospital's
session: 404).

- `GET /sessions/{id}/accreditation`: the accreditation (the session's own or its series'),
  the deadline and every participant's attendance and registration status.
- `PUT /sessions/{id}/accreditation` `{activity_number, points, association, valid_from,
  valid_until, deadline_days?, provider?, scope: session|series}`.
- `GET /sessions/{id}/gaia/big-numbers.txt`, `.csv`, `.xlsx`, `.xml`: the attendance for GAIA.
- `GET /sessions/{id}/gaia/certificates/{person_id}.pdf`: a partial attendee's certificate.
- `PUT /sessions/{id}/gaia/registrations` `{person_ids?: [...], status, registered_on?, reason?}`:
  one, some or (no person_ids) every participant who attended the whole session.
- `GET /gaia/pending`: the sessions whose attendance is not yet (all) registered, with deadlines.
- `GET /gaia/associations`, `PUT /gaia/associations` `{name, deadline_days}`,
  `DELETE /gaia/associations/{id}`: the hospital's deadline per association (an accreditation
  without a deadline of its own takes its association's, else 6 weeks).
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field
from spiegel_platform.auth.dependencies import require_roles
from spiegel_platform.auth.roles import COORDINATING
from spiegel_platform.auth.service_tokens import Principal
from spiegel_platform.i18n import language_of

from spiegel_accreditation.gaia import exports, model
from spiegel_accreditation.gaia.service import Attendee, aware
from spiegel_accreditation.sessions.api import Id
from spiegel_accreditation.settings import AccreditationRuntime
from spiegel_accreditation.storage import Document
from spiegel_accreditation.wiring import Accreditation

Coordinator = Annotated[Principal, Depends(require_roles(*COORDINATING))]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class AccreditationIn(Strict):
    # Text (the rules strip spaces and dots and name the field when it is not digits).
    activity_number: str = Field(..., max_length=100)
    points: float = Field(..., ge=0, le=1000)
    association: str = Field(..., max_length=2000)
    valid_from: date
    valid_until: date
    deadline_days: int | None = Field(None, ge=0, le=10_000)
    provider: str = Field("", max_length=2000)
    scope: Literal["session", "series"] = "session"


class AssociationIn(Strict):
    name: str = Field(..., max_length=2000)
    # Wide here: the rules refuse outside 1..366 naming the field, in the caller's language.
    deadline_days: int = Field(..., ge=-10_000, le=10_000)


class RegistrationsIn(Strict):
    # None: every participant who attended the whole session.
    person_ids: list[Id] | None = Field(None, min_length=1, max_length=2000)
    status: Literal["to_register", "registered", "refused"]
    registered_on: date | None = None
    reason: str = Field("", max_length=5000)


def _language(request: Request, principal: Principal) -> str:
    return language_of(request.headers, principal.claims)


def _attendee_out(a: Attendee) -> dict[str, Any]:
    return {
        "person_id": a.person_id,
        "name": a.name,
        "status": a.status,
        "hours_present": round(a.minutes / 60, 2) if a.status in ("present", "partial") else None,
        "has_big_number": bool(a.big_number),
        "registration": {
            "status": a.registration.get("status", model.TO_REGISTER),
            "registered_on": a.registration.get("registered_on"),
            "reason": a.registration.get("reason", ""),
        },
        "certificate": a.status == "partial",
    }


def _accreditation_out(found: Document | None) -> dict[str, Any] | None:
    if found is None:
        return None
    keys = (
        "activity_number",
        "points",
        "association",
        "valid_from",
        "valid_until",
        "deadline_days",
        "deadline_days_own",
        "deadline_from",
        "provider",
        "scope",
    )
    return {k: found.get(k) for k in keys}


def _association_out(found: Document) -> dict[str, Any]:
    return {"id": found["id"], "name": found["name"], "deadline_days": int(found["deadline_days"])}


def _download(content: bytes | str, media_type: str, filename: str) -> Response:
    return Response(
        content,
        media_type=media_type,
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "Cache-Control": "no-store",
            "X-Content-Type-Options": "nosniff",
        },
    )


def router(runtime: AccreditationRuntime) -> APIRouter:
    api = APIRouter(tags=["gaia"])
    gaia = Accreditation.of(runtime).gaia

    async def overview(tenant_id: str, doc: Document) -> dict[str, Any]:
        found = await gaia.accreditation_of(tenant_id, doc)
        attendees = await gaia.attendees(tenant_id, doc)
        due = model.deadline(aware(doc["ends_at"]), int(found["deadline_days"])) if found else None
        return {
            "session_id": doc["id"],
            "series_id": doc.get("series_id"),
            "state": doc["state"],
            "starts_at": aware(doc["starts_at"]).isoformat(),
            "ends_at": aware(doc["ends_at"]).isoformat(),
            "accreditation": _accreditation_out(found),
            "deadline": due.isoformat() if due else None,
            "participants": [_attendee_out(a) for a in attendees],
        }

    @api.get(
        "/sessions/{session_id}/accreditation", summary="Accreditatie en registratiestatus (coördinator)"
    )
    async def read(session_id: Id, principal: Coordinator) -> dict[str, Any]:
        doc = await gaia.session(principal.tenant_id, session_id)
        return await overview(principal.tenant_id, doc)

    @api.put("/sessions/{session_id}/accreditation", summary="De GAIA-accreditatie van een sessie of reeks")
    async def set_accreditation(
        session_id: Id, body: AccreditationIn, principal: Coordinator
    ) -> dict[str, Any]:
        doc = await gaia.session(principal.tenant_id, session_id)
        await gaia.set_accreditation(
            principal.tenant_id,
            doc,
            body.model_dump(exclude={"scope"}),
            for_series=body.scope == "series",
            by=principal.subject,
        )
        return await overview(principal.tenant_id, doc)

    @api.get("/sessions/{session_id}/gaia/big-numbers.txt", summary="BIG-nummers voor de bulkinvoer in GAIA")
    async def big_numbers(session_id: Id, principal: Coordinator) -> Response:
        doc = await gaia.session(principal.tenant_id, session_id)
        _, rows = await gaia.export_rows(principal.tenant_id, doc)
        return _download(
            exports.big_numbers_text(rows), "text/plain; charset=utf-8", f"gaia-{session_id}.txt"
        )

    @api.get("/sessions/{session_id}/gaia/attendance.csv", summary="Presentielijst (csv)")
    async def attendance_csv(session_id: Id, principal: Coordinator, request: Request) -> Response:
        doc = await gaia.session(principal.tenant_id, session_id)
        _, rows = await gaia.export_rows(principal.tenant_id, doc)
        body = exports.csv_bytes(rows, _language(request, principal))
        return _download(body, "text/csv; charset=utf-8", f"gaia-{session_id}.csv")

    @api.get("/sessions/{session_id}/gaia/attendance.xlsx", summary="Presentielijst (xlsx)")
    async def attendance_xlsx(session_id: Id, principal: Coordinator, request: Request) -> Response:
        doc = await gaia.session(principal.tenant_id, session_id)
        _, rows = await gaia.export_rows(principal.tenant_id, doc)
        body = exports.xlsx_bytes(rows, _language(request, principal))
        return _download(
            body,
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            f"gaia-{session_id}.xlsx",
        )

    @api.get("/sessions/{session_id}/gaia/attendance.xml", summary="Presentie-XML (PE-online-stijl)")
    async def attendance_xml(session_id: Id, principal: Coordinator) -> Response:
        doc = await gaia.session(principal.tenant_id, session_id)
        accreditation, rows = await gaia.export_rows(principal.tenant_id, doc)
        body = exports.attendance_xml(
            rows, provider=str(accreditation.get("provider") or ""), end_date=aware(doc["ends_at"]).date()
        )
        return _download(body, "application/xml", f"gaia-{session_id}.xml")

    @api.get(
        "/sessions/{session_id}/gaia/certificates/{person_id}.pdf",
        summary="Bewijs van gedeeltelijke deelname (pdf)",
    )
    async def certificate(
        session_id: Id, person_id: Id, principal: Coordinator, request: Request
    ) -> Response:
        doc = await gaia.session(principal.tenant_id, session_id)
        cert = await gaia.certificate(principal.tenant_id, doc, person_id)
        body = exports.certificate_pdf(cert, _language(request, principal))
        return _download(body, "application/pdf", f"certificaat-{session_id}-{person_id}.pdf")

    @api.put("/sessions/{session_id}/gaia/registrations", summary="Registratiestatus in GAIA zetten")
    async def registrations(session_id: Id, body: RegistrationsIn, principal: Coordinator) -> dict[str, Any]:
        doc = await gaia.session(principal.tenant_id, session_id)
        await gaia.set_registrations(
            principal.tenant_id,
            doc,
            body.person_ids,
            body.status,
            body.registered_on,
            body.reason,
            by=principal.subject,
        )
        return await overview(principal.tenant_id, doc)

    @api.get("/gaia/pending", summary="Nog te registreren: sessies met presentie die nog niet in GAIA staat")
    async def pending(principal: Coordinator) -> dict[str, Any]:
        return {"sessions": await gaia.pending(principal.tenant_id)}

    @api.get("/gaia/associations", summary="Registratietermijn per wetenschappelijke vereniging")
    async def associations(principal: Coordinator) -> dict[str, Any]:
        found = await gaia.associations(principal.tenant_id)
        return {
            "associations": [_association_out(a) for a in found],
            "default_deadline_days": gaia.default_deadline_days,
        }

    @api.put("/gaia/associations", summary="De registratietermijn van een vereniging zetten")
    async def set_association(body: AssociationIn, principal: Coordinator) -> dict[str, Any]:
        saved = await gaia.set_association(
            principal.tenant_id, body.name, body.deadline_days, by=principal.subject
        )
        return _association_out(saved)

    @api.delete(
        "/gaia/associations/{association_id}",
        summary="De termijn van een vereniging weghalen (weer de standaardtermijn)",
    )
    async def remove_association(association_id: Id, principal: Coordinator) -> dict[str, Any]:
        await gaia.remove_association(principal.tenant_id, association_id)
        return {"id": association_id, "removed": True}

    return api
