"""The facilitator's notes per participant (issue 19, point 6) in the pages.

- `GET /bespreking/{id}/verslagen` (the session's facilitators): every participant, whether their
  notes are a draft or released, and the due date (5 working days after the session).
- `GET /bespreking/{id}/verslagen/{person}` (the session's facilitators): writing one
  participant's notes. The page saves drafts as they type (`static/spiegel.js`: a PUT of
  `{text, version}` to the accreditation service's API through the gateway, with the session's
  CSRF token; the answer's version is the next save's); without JavaScript the "save" button
  posts the form (`POST` the same address). A save from an older version (another tab, the other
  facilitator) is refused and the page says so, keeping what was typed.
- `POST /bespreking/{id}/verslagen/{person}/vrijgeven`: release them to the participant (the
  accreditation service announces it; the invitation service mails them a link).
- `GET /gespreksverslag` and `GET /gespreksverslag/{id}` ("Mijn gespreksverslag", phone-first):
  a participant's released notes.

The accreditation service decides who reads what: anyone else gets "not found", as for notes that
do not exist. The text is shown as text (escaped), never as markup.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response

from spiegel_web.checkin import FACILITATOR, SPECIALIST, session_of
from spiegel_web.core import Page, PageError, page_of, problem_text, quoted

MAX_TEXT = 20_000  # the accreditation service's limit (refused by field beyond it)


def _text(form: dict[str, Any], name: str) -> str:
    value = form.get(name)
    return value if isinstance(value, str) else ""


def _names(participants: list[dict[str, Any]]) -> dict[str, str]:
    return {p["person_id"]: p.get("name") or p["person_id"] for p in participants}


def router() -> APIRouter:
    api = APIRouter(include_in_schema=False)

    async def person(request: Request, *roles: str) -> Page:
        page = await page_of(request)
        page.require(*roles)
        return page

    async def notes_of(page: Page, session_id: str) -> dict[str, Any]:
        upstream = await page.call("accreditation", "GET", f"/sessions/{quoted(session_id)}/notes")
        if upstream.status_code == 404:
            raise PageError(404, key="notes_not_found")
        if not upstream.is_success:
            raise PageError(upstream.status_code, problem_text(upstream, page.lang))
        found: dict[str, Any] = upstream.json()
        return found

    async def attendance_names(page: Page, session_id: str) -> dict[str, str]:
        found = await page.data("accreditation", "GET", f"/sessions/{quoted(session_id)}/attendance")
        return _names(found.get("participants", []))

    # -- the facilitator ---------------------------------------------------------------------
    @api.get("/bespreking/{session_id}/verslagen")
    async def overview(session_id: str, request: Request) -> Response:
        page = await person(request, FACILITATOR)
        notes = await notes_of(page, session_id)
        session = await session_of(page, session_id)
        return page.render(
            "notes/session.html",
            session=session,
            notes=notes,
            names=await attendance_names(page, session_id),
            message=request.query_params.get("bericht"),
        )

    async def write_page(
        page: Page, session_id: str, person_id: str, status: int = 200, **extra: Any
    ) -> Response:
        notes = await notes_of(page, session_id)
        mine = next((n for n in notes["participants"] if n["person_id"] == person_id), None)
        if mine is None:
            raise PageError(404, key="notes_not_found")
        session = await session_of(page, session_id)
        names = await attendance_names(page, session_id)
        return page.render(
            "notes/write.html",
            status=status,
            session=session,
            note=mine,
            due_on=notes["due_on"],
            name=names.get(person_id, person_id),
            max_text=MAX_TEXT,
            api_url=page.url(f"/api/accreditation/sessions/{quoted(session_id)}/notes/{quoted(person_id)}"),
            **extra,
        )

    @api.get("/bespreking/{session_id}/verslagen/{person_id}")
    async def write(session_id: str, person_id: str, request: Request) -> Response:
        page = await person(request, FACILITATOR)
        return await write_page(page, session_id, person_id, message=request.query_params.get("bericht"))

    @api.post("/bespreking/{session_id}/verslagen/{person_id}")
    async def save(session_id: str, person_id: str, request: Request) -> Response:
        page = await person(request, FACILITATOR)
        form = await page.form()
        text = _text(form, "text")
        try:
            version = int(_text(form, "version") or "0")
        except ValueError:
            raise PageError(400, key="bad_form") from None
        upstream = await page.call(
            "accreditation",
            "PUT",
            f"/sessions/{quoted(session_id)}/notes/{quoted(person_id)}",
            json_body={"text": text, "version": version},
        )
        if upstream.is_success:
            return page.redirect(
                f"/bespreking/{quoted(session_id)}/verslagen/{quoted(person_id)}", bericht="saved"
            )
        if upstream.status_code not in (409, 422):
            raise PageError(upstream.status_code, problem_text(upstream, page.lang))
        # Refused: the page again with what was typed (and the version it was typed on).
        return await write_page(
            page,
            session_id,
            person_id,
            422,
            errors=[problem_text(upstream, page.lang)],
            typed=text,
            typed_version=version,
        )

    @api.post("/bespreking/{session_id}/verslagen/{person_id}/vrijgeven")
    async def release(session_id: str, person_id: str, request: Request) -> Response:
        page = await person(request, FACILITATOR)
        form = await page.form()
        body: dict[str, Any] = {}
        if _text(form, "version").isdigit() and int(_text(form, "version")) > 0:
            body["version"] = int(_text(form, "version"))
        upstream = await page.call(
            "accreditation",
            "POST",
            f"/sessions/{quoted(session_id)}/notes/{quoted(person_id)}/release",
            json_body=body,
        )
        if upstream.is_success:
            return page.redirect(f"/bespreking/{quoted(session_id)}/verslagen", bericht="released")
        if upstream.status_code not in (409, 422):
            raise PageError(upstream.status_code, problem_text(upstream, page.lang))
        return await write_page(page, session_id, person_id, 422, errors=[problem_text(upstream, page.lang)])

    # -- the participant -----------------------------------------------------------------------
    @api.get("/gespreksverslag")
    async def mine(request: Request) -> Response:
        page = await person(request, SPECIALIST)
        found = await page.data("accreditation", "GET", "/notes/mine")
        return page.render("notes/mine.html", notes=found.get("notes", []))

    @api.get("/gespreksverslag/{session_id}")
    async def read(session_id: str, request: Request) -> Response:
        page = await person(request, SPECIALIST)
        caller = page.caller
        assert caller is not None
        upstream = await page.call(
            "accreditation", "GET", f"/sessions/{quoted(session_id)}/notes/{quoted(caller.subject)}"
        )
        if upstream.status_code == 404:
            raise PageError(404, key="notes_not_found")
        if not upstream.is_success:
            raise PageError(upstream.status_code, problem_text(upstream, page.lang))
        return page.render("notes/read.html", note=upstream.json())

    return api
