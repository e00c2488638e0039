"""RGS declarations over HTTP: thin routes.

- `GET /sessions/{id}/declarations`: the session's facilitators: per participant the attendance,
  the form they get (or why none: did not attend, a Groepsmonitor, employment unknown, no BIG
  number, the session not over), signed or not.
- `POST /sessions/{id}/declarations/{person_id}/sign`: a facilitator of the session, with the
  gateway's fresh confirmation of their password in the service token (claim `confirmation`;
  the gateway takes the password out of this one request and checks it: this service never sees
  it). Signed before: the same answer, `signed_now: false`.
- `GET /sessions/{id}/declarations/{person_id}.pdf?lang=nl|en`: the participant, or a facilitator
  of the session, once signed.
- `GET /declarations/mine`: a participant's signed declarations.
- `GET /declarations/verify/{code}`: anyone holding the code, signed in or not (the gateway gives
  an anonymous visitor of the public page a token for this service alone and limits guessing per
  address): the name, the day, the facilitator, and nothing more; an unknown code 404.

Everyone of the hospital but the session's facilitators and the participant gets 404 on a
session's declarations; a respondent's link 403.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path, Query
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict
from spiegel_platform.auth.dependencies import current_principal, require_roles
from spiegel_platform.auth.roles import BOARD, COORDINATOR, FACILITATOR, SPECIALIST, TENANT_ADMIN
from spiegel_platform.auth.service_tokens import Principal

from spiegel_accreditation.declarations.pdf import declaration_pdf
from spiegel_accreditation.declarations.service import aware
from spiegel_accreditation.sessions.api import Id
from spiegel_accreditation.settings import AccreditationRuntime
from spiegel_accreditation.storage import Document
from spiegel_accreditation.wiring import Accreditation

Staff = Annotated[
    Principal, Depends(require_roles(TENANT_ADMIN, COORDINATOR, SPECIALIST, FACILITATOR, BOARD))
]
Facilitator = Annotated[Principal, Depends(require_roles(FACILITATOR))]
Anyone = Annotated[Principal, Depends(current_principal)]


class SignIn(BaseModel):
    # The password never gets here: the gateway takes it out of the request and checks it.
    model_config = ConfigDict(extra="forbid")


def _out(found: Document) -> dict[str, Any]:
    return {
        "session_id": found["session_id"],
        "person_id": found["person_id"],
        "form": found["form"],
        "name": found["name"],
        "specialism": found["specialism"],
        "hospital": found["hospital"],
        "day": found["day"],
        "system": found["system"],
        "facilitator": found["facilitator_name"],
        "signed_at": aware(found["signed_at"]).isoformat(),
    }


def router(runtime: AccreditationRuntime) -> APIRouter:
    api = APIRouter(tags=["declarations"])
    declarations = Accreditation.of(runtime).declarations

    @api.get(
        "/sessions/{session_id}/declarations", summary="Verklaringen van een bespreking (gespreksleider)"
    )
    async def overview(session_id: Id, principal: Staff) -> dict[str, Any]:
        doc = await declarations.led_session(principal.tenant_id, session_id, principal.subject)
        return {
            "session_id": session_id,
            "kind": doc.get("kind"),
            "ends_at": aware(doc["ends_at"]).isoformat(),
            "participants": await declarations.overview(principal.tenant_id, doc),
        }

    @api.post(
        "/sessions/{session_id}/declarations/{person_id}/sign",
        summary="Een verklaring ondertekenen (na het wachtwoord opnieuw)",
    )
    async def sign(session_id: Id, person_id: Id, principal: Facilitator, body: SignIn | None = None) -> Any:
        found, now = await declarations.sign(
            principal.tenant_id,
            session_id,
            person_id,
            facilitator_id=principal.subject,
            facilitator_name=str(principal.claims.get("name") or ""),
            claims=principal.claims,
        )
        return {**_out(found), "signed_now": now}

    @api.get(
        "/sessions/{session_id}/declarations/{person_id}.pdf",
        summary="De verklaring als pdf (deelnemer, gespreksleider)",
    )
    async def pdf(
        session_id: Id,
        person_id: Id,
        principal: Staff,
        lang: Annotated[Literal["nl", "en"] | None, Query()] = None,
    ) -> Response:
        found = await declarations.readable(principal.tenant_id, session_id, person_id, principal.subject)
        language = lang or str(principal.claims.get("lang") or "nl")
        body = declaration_pdf(await declarations.as_pdf_data(principal.tenant_id, found), language)
        name = "verklaring" if language == "nl" else "declaration"
        return Response(
            body,
            media_type="application/pdf",
            headers={
                "Content-Disposition": f'attachment; filename="{name}-{session_id}-{language}.pdf"',
                "Cache-Control": "no-store",
                "X-Content-Type-Options": "nosniff",
            },
        )

    @api.get("/declarations/mine", summary="Mijn verklaringen")
    async def mine(principal: Staff) -> dict[str, Any]:
        return {
            "declarations": [_out(d) for d in await declarations.mine(principal.tenant_id, principal.subject)]
        }

    @api.get("/declarations/verify/{code}", summary="Is deze verklaring echt? (openbaar, met de code)")
    async def verify(
        code: Annotated[str, Path(min_length=1, max_length=64)], principal: Anyone
    ) -> dict[str, Any]:
        found = await declarations.verify(principal.tenant_id, code)
        # Name, day, facilitator: nothing more (not the BIG number, specialism or hospital data).
        return {
            "genuine": True,
            "name": found["name"],
            "day": found["day"],
            "facilitator": found["facilitator_name"],
        }

    return api
