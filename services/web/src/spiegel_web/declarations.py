"""RGS declarations (issue 19, point 7) in the pages.

- `GET /bespreking/{id}/verklaringen` (the session's facilitators; linked from `/bespreking/{id}`):
  "Te ondertekenen verklaringen": per participant the form they get (self-employed: the
  facilitator's declaration; employed: the participation part of the combined form) or why none,
  and a form to sign with the password.
- `POST /bespreking/{id}/verklaringen/{person}/ondertekenen`: signs. The password field never gets
  here: the gateway takes it out of the request, checks it and tells the accreditation service in
  the caller's token (`spiegel_gateway.signin.confirmation`); a wrong, missing or stale
  confirmation is the service's refusal, shown at that participant.
- `GET /bespreking/{id}/verklaringen/{person}.pdf?taal=nl|en`: the PDF (the participant, or a
  facilitator of the session).
- `GET /mijn-verklaringen` (a participant, phone-first; linked from `/mijn-besprekingen`): their
  signed declarations, each in Dutch and English.
- `GET /verklaring/{code}`: public, no sign-in: whether a declaration is genuine (name, day,
  facilitator: nothing more). The gateway gives a visitor who is not signed in a token for the
  accreditation service alone and limits unknown codes per address (a 429 page beyond).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response
from spiegel_pages.page import state_of

from spiegel_web.caller import CALLER_HEADER
from spiegel_web.checkin import FACILITATOR, SPECIALIST, session_of
from spiegel_web.core import Page, PageError, page_of, problem_text, quoted, services_of

LANGUAGES = ("nl", "en")


def router() -> APIRouter:
    api = APIRouter(include_in_schema=False)

    async def person(request: Request, *roles: str) -> Page:
        page = await page_of(request)
        page.require(*roles)
        return page

    async def overview(page: Page, session_id: str) -> dict[str, Any]:
        upstream = await page.call("accreditation", "GET", f"/sessions/{quoted(session_id)}/declarations")
        if upstream.status_code == 404:
            raise PageError(404, key="checkin_no_session")
        if not upstream.is_success:
            raise PageError(upstream.status_code, problem_text(upstream, page.lang))
        found: dict[str, Any] = upstream.json()
        return found

    async def list_page(
        page: Page, session_id: str, status: int = 200, errors: dict[str, str] | None = None, **extra: Any
    ) -> Response:
        return page.render(
            "declarations/session.html",
            status=status,
            session=await session_of(page, session_id),
            declarations=await overview(page, session_id),
            errors=errors or {},
            **extra,
        )

    @api.get("/bespreking/{session_id}/verklaringen")
    async def to_sign(session_id: str, request: Request) -> Response:
        page = await person(request, FACILITATOR)
        return await list_page(page, session_id, message=request.query_params.get("bericht"))

    @api.post("/bespreking/{session_id}/verklaringen/{person_id}/ondertekenen")
    async def sign(session_id: str, person_id: str, request: Request) -> Response:
        page = await person(request, FACILITATOR)
        await page.form()  # the CSRF check; the password was taken out by the gateway
        upstream = await page.call(
            "accreditation",
            "POST",
            f"/sessions/{quoted(session_id)}/declarations/{quoted(person_id)}/sign",
            json_body={},
        )
        if upstream.is_success:
            return page.redirect(f"/bespreking/{quoted(session_id)}/verklaringen", bericht="signed")
        if upstream.status_code not in (403, 409, 422, 429):
            raise PageError(upstream.status_code, problem_text(upstream, page.lang))
        # Refused (the password, or a rule): the list again, the reason at that participant.
        return await list_page(
            page, session_id, upstream.status_code, errors={person_id: problem_text(upstream, page.lang)}
        )

    @api.get("/bespreking/{session_id}/verklaringen/{person_id}.pdf")
    async def pdf(session_id: str, person_id: str, request: Request) -> Response:
        page = await person(request, FACILITATOR, SPECIALIST)
        language = request.query_params.get("taal") or page.lang
        if language not in LANGUAGES:
            raise PageError(400, key="bad_form")
        upstream = await page.call(
            "accreditation",
            "GET",
            f"/sessions/{quoted(session_id)}/declarations/{quoted(person_id)}.pdf",
            headers={"accept": "*/*"},
            query={"lang": language},
        )
        if upstream.status_code == 404:
            raise PageError(404, key="declaration_not_found")
        if not upstream.is_success:
            raise PageError(upstream.status_code, problem_text(upstream, page.lang))
        return Response(
            upstream.content,
            media_type="application/pdf",
            headers={
                "content-disposition": upstream.headers.get("content-disposition", "attachment"),
                "cache-control": "no-store",
                "x-content-type-options": "nosniff",
            },
        )

    @api.get("/mijn-verklaringen")
    async def mine(request: Request) -> Response:
        page = await person(request, SPECIALIST)
        found = await page.data("accreditation", "GET", "/declarations/mine")
        return page.render("declarations/mine.html", declarations=found.get("declarations", []))

    @api.get("/verklaring/{code}")
    async def verify(code: str, request: Request) -> Response:
        page = await page_of(request)
        token = page.caller.token if page.caller is not None else request.headers.get(CALLER_HEADER, "")
        if not token or len(code) > 64:
            raise PageError(404, key="declaration_unknown")
        upstream = await services_of(request).call(
            "accreditation",
            "GET",
            f"/declarations/verify/{quoted(code)}",
            token=token,
            correlation_id=str(state_of(request).get("correlation_id", "")),
            headers={"accept": "application/json", "accept-language": page.lang},
        )
        if upstream.status_code in (404, 422):
            raise PageError(404, key="declaration_unknown")
        if not upstream.is_success:
            raise PageError(upstream.status_code, problem_text(upstream, page.lang))
        return page.render("declarations/verified.html", found=upstream.json())

    return api
