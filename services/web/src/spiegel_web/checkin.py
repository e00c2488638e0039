"""The discussion session's pages of issue 19, points 3 and 4: check-in with the BIG number by QR
code, attendance, the meeting's evaluation and the themes chosen beforehand.

"Mijn groepsbesprekingen" (`/mijn-besprekingen`, the sessions one leads or takes part in, linking
here) is `discussions.py`.

- `GET /bespreking/{id}` (the session's facilitator): participants, attendance (marked here with
  `POST /bespreking/{id}/aanwezigheid`: present, partly present with hours, absent, a reason),
  who checked in, the chosen themes, the evaluation (from 4 answers); of a Groepsmonitor, while
  the action-plan service lets its facilitator edit the group's plan (from the start until 2 hours
  after the end), a link to that plan (or a button to start it).
- `GET /bespreking/{id}/qr` (the session's facilitator): the QR code full screen (segno, inline
  SVG) pointing at the check-in page.
- `GET/POST /aanmelden/{id}` (the session's participants, phone-first): the BIG number
  (prefilled when remembered) and the evaluation of the meeting.
- `GET/POST /aanmelden-met-link` (phone-first): the same check-in for someone who opened the
  personal link of the follow-up mail (`/a/{token}` at the gateway opens a link session, as for a
  respondent's link, and sends the browser here): no sign-in; the link checks in its own
  participant for its own session only (the accreditation service's `/checkin-links/{token}`).
- `GET/POST /bespreking/{id}/themas` (the session's participants): the themes of their own
  report they want to discuss.

The accreditation service decides who may do what (a photographed QR code gets nobody else in);
someone who is not signed in is sent to the sign-in form and back here (the gateway's session:
no other way to authenticate). A refused form shows again with what was typed.
"""

from __future__ import annotations

from typing import Any

import segno
from fastapi import APIRouter, Request, Response

from spiegel_web.core import Page, PageError, page_of, problem_text, quoted
from spiegel_web.upstream import Upstream

FACILITATOR = "facilitator"
SPECIALIST = "specialist"
STATEMENTS = ("prepared", "safe", "useful", "facilitation", "recommend")
MAX_BIG_NUMBER = 30  # with spaces and dots; the service says what is wrong with it
MAX_REMARK = 1000
MAX_REASON = 500
LOCAL_HOSTS = ("localhost", "127.0.0.1", "[::1]")
# The check-in page of the follow-up mail's personal link (the gateway's `/a/{token}` sends here).
LINK_PAGE = "/aanmelden-met-link"


def checkin_address(page: Page, session_id: str) -> str:
    """The check-in page's full address for the QR code: the host the facilitator's browser uses
    (the gateway resolved the hospital from it); plain http only on a developer's own machine."""
    host = page.host or "localhost"
    name = host.split("]")[0] + "]" if host.startswith("[") else host.split(":")[0]
    scheme = "http" if name in LOCAL_HOSTS else "https"
    return f"{scheme}://{host}{page.url('/aanmelden/' + quoted(session_id))}"


def qr_svg(address: str, title: str) -> str:
    """Inline SVG (no style attribute, so the Content-Security-Policy allows it); `title` for screen
    readers. segno escapes nothing in the title, so only our own text goes there."""
    code = segno.make(address, error="m")
    return str(code.svg_inline(scale=1, omitsize=True, svgclass="qr-code", lineclass=None, title=title))


def _refusal(upstream: Upstream, page: Page) -> tuple[str, str]:
    """(field, text) of a service's refusal."""
    try:
        field = str((upstream.json() or {}).get("field") or "")
    except ValueError:
        field = ""
    return field, problem_text(upstream, page.lang)


def _text(form: dict[str, Any], name: str) -> str:
    value = form.get(name)
    return value if isinstance(value, str) else ""


async def session_of(page: Page, session_id: str) -> dict[str, Any]:
    upstream = await page.call("accreditation", "GET", f"/sessions/{quoted(session_id)}")
    if upstream.status_code == 404:
        raise PageError(404, key="checkin_no_session")
    if not upstream.is_success:
        raise PageError(upstream.status_code, problem_text(upstream, page.lang))
    found: dict[str, Any] = upstream.json()
    return found


async def facilitated_group_plan(page: Page, session: dict[str, Any]) -> dict[str, Any] | None:
    """A Groepsmonitor session's group's plan for its facilitator, while the action-plan service
    lets them edit it (the session's start until shortly after its end): `{plan_id}` of the plan of
    this round (or the group's newest), or `{group_id, round_id}` to start it; None otherwise."""
    group_id = session.get("group_id")
    if session.get("kind") != "GROUP_MONITOR" or not group_id:
        return None
    mine = await page.call("action-plan", "GET", "/group-plans/mine")
    if not mine.is_success:
        return None
    row = next((g for g in mine.json() if g.get("group_id") == group_id), None)
    if row is None or session["id"] not in row.get("facilitating", ()):
        return None
    round_id = next((p["round_id"] for p in session.get("participants", ()) if p.get("round_id")), "")
    plans = row.get("plans") or []
    found = next((p for p in plans if p.get("round_id") == round_id), plans[0] if plans else None)
    if found is not None and found.get("status") != "closed":
        return {"plan_id": found["plan_id"]}
    return {"group_id": group_id, "round_id": round_id}


def router() -> APIRouter:
    api = APIRouter(include_in_schema=False)

    async def person(request: Request, *roles: str) -> Page:
        page = await page_of(request)
        page.require(*roles)
        return page

    # -- the facilitator ------------------------------------------------------------------------
    async def facilitator_page(page: Page, session_id: str, status: int = 200, **extra: Any) -> Response:
        session = await session_of(page, session_id)
        caller = page.caller
        assert caller is not None
        if caller.subject not in session["facilitator_ids"]:
            raise PageError(403, key="checkin_not_facilitator")
        base = f"/sessions/{quoted(session_id)}"
        attendance = await page.data("accreditation", "GET", f"{base}/attendance")
        themes = await page.data("accreditation", "GET", f"{base}/themes")
        evaluation = await page.data("accreditation", "GET", f"{base}/evaluation")
        chosen = {p["person_id"]: p["themes"] for p in themes["participants"]}
        group_plan = await facilitated_group_plan(page, session)
        return page.render(
            "checkin/session.html",
            status=status,
            session=session,
            participants=attendance["participants"],
            chosen=chosen,
            evaluation=evaluation,
            statements=STATEMENTS,
            max_reason=MAX_REASON,
            address=checkin_address(page, session_id),
            group_plan=group_plan,
            **extra,
        )

    @api.get("/bespreking/{session_id}")
    async def session_page(session_id: str, request: Request) -> Response:
        page = await person(request, FACILITATOR)
        return await facilitator_page(page, session_id, message=request.query_params.get("bericht"))

    @api.get("/bespreking/{session_id}/qr")
    async def qr_page(session_id: str, request: Request) -> Response:
        page = await person(request, FACILITATOR)
        session = await session_of(page, session_id)
        caller = page.caller
        assert caller is not None
        if caller.subject not in session["facilitator_ids"]:
            raise PageError(403, key="checkin_not_facilitator")
        address = checkin_address(page, session_id)
        return page.render(
            "checkin/qr.html", session=session, address=address, svg=qr_svg(address, page.t("checkin_qr_alt"))
        )

    @api.post("/bespreking/{session_id}/aanwezigheid")
    async def mark(session_id: str, request: Request) -> Response:
        page = await person(request, FACILITATOR)
        form = await page.form()
        person_id = _text(form, "person_id")
        status = _text(form, "status")
        hours_text = _text(form, "hours").strip().replace(",", ".")
        body: dict[str, Any] = {"status": status, "reason": _text(form, "reason")[: MAX_REASON * 4]}
        problems = []
        if hours_text:
            try:
                body["hours"] = float(hours_text)
            except ValueError:
                problems.append(page.t("checkin_error_hours"))
        if not person_id:
            raise PageError(400, key="bad_form")
        if not problems:
            upstream = await page.call(
                "accreditation",
                "PUT",
                f"/sessions/{quoted(session_id)}/attendance/{quoted(person_id)}",
                json_body=body,
            )
            if upstream.is_success:
                return page.redirect(f"/bespreking/{quoted(session_id)}", bericht="marked")
            if upstream.status_code not in (409, 422):
                raise PageError(upstream.status_code, problem_text(upstream, page.lang))
            problems.append(_refusal(upstream, page)[1])
        return await facilitator_page(
            page, session_id, 422, mark_errors=problems, mark_form=form, mark_person=person_id
        )

    # -- the participant ---------------------------------------------------------------------------
    async def checkin_page(
        page: Page, session_id: str, status: int = 200, *, path: str | None = None, **extra: Any
    ) -> Response:
        upstream = await page.call("accreditation", "GET", path or f"/sessions/{quoted(session_id)}/checkin")
        if path and upstream.status_code in (403, 404):  # a link that checks nobody in (here)
            return page.render(
                "respondent/link_problem.html",
                status=upstream.status_code,
                code="link_unknown",
                message=problem_text(upstream, page.lang),
            )
        if upstream.status_code == 403:
            return page.render(
                "checkin/not_yours.html", status=403, message=problem_text(upstream, page.lang)
            )
        if upstream.status_code == 404:
            raise PageError(404, key="checkin_no_session")
        if not upstream.is_success:
            raise PageError(upstream.status_code, problem_text(upstream, page.lang))
        state = upstream.json()
        return page.render(
            "checkin/checkin.html",
            status=status,
            state=state,
            session_id=state.get("session_id", session_id),
            statements=STATEMENTS,
            max_big_number=MAX_BIG_NUMBER,
            max_remark=MAX_REMARK,
            **extra,
        )

    @api.get("/aanmelden/{session_id}")
    async def checkin_form(session_id: str, request: Request) -> Response:
        page = await person(request)
        return await checkin_page(page, session_id)

    async def submit(page: Page, session_id: str, target: str, **where: Any) -> Response:
        """Post the check-in form to `target` (the session's own check-in, or a link's); `where`:
        the link's state address and form action for the page shown again."""
        form = await page.form()
        answers: dict[str, Any] = {}
        for key in STATEMENTS:
            value = _text(form, f"s_{key}")
            if value:
                answers[key] = int(value) if value.isdigit() and len(value) == 1 else value
        upstream = await page.call(
            "accreditation",
            "POST",
            target,
            json_body={
                "big_number": _text(form, "big_number")[:100],
                "evaluation": {"answers": answers, "remark": _text(form, "remark")[: MAX_REMARK * 4]},
            },
        )
        if upstream.is_success:
            done = upstream.json()
            return page.render("checkin/done.html", done=done, session_id=done["session_id"], **where)
        if upstream.status_code in (403, 404):
            return await checkin_page(page, session_id, **where)
        if upstream.status_code not in (409, 422):
            raise PageError(upstream.status_code, problem_text(upstream, page.lang))
        field, text = _refusal(upstream, page)
        return await checkin_page(page, session_id, 422, errors=[(field, text)], form=form, **where)

    @api.post("/aanmelden/{session_id}")
    async def check_in(session_id: str, request: Request) -> Response:
        page = await person(request)
        return await submit(page, session_id, f"/sessions/{quoted(session_id)}/checkin")

    # -- the participant, with the personal link of the follow-up mail ----------------------------
    async def link_page(request: Request) -> tuple[Page, str] | Response:
        page = await page_of(request)
        caller = page.caller
        if caller is None or caller.kind != "respondent" or not caller.link_token:
            # No link session (it expired, or the page was opened without the link): never
            # "sign in first" for someone who came with a link.
            return page.render("respondent/link_problem.html", status=401, code="no_session", message="")
        return page, f"/checkin-links/{quoted(caller.link_token)}"

    @api.get(LINK_PAGE)
    async def link_form(request: Request) -> Response:
        found = await link_page(request)
        if isinstance(found, Response):
            return found
        page, path = found
        return await checkin_page(page, "", path=path, action=LINK_PAGE)

    @api.post(LINK_PAGE)
    async def link_check_in(request: Request) -> Response:
        found = await link_page(request)
        if isinstance(found, Response):
            return found
        page, path = found
        return await submit(page, "", path, path=path, action=LINK_PAGE)

    # -- themes chosen beforehand --------------------------------------------------------------------
    async def report_themes(page: Page, session: dict[str, Any]) -> list[dict[str, str]] | None:
        """The themes of the caller's own report for the round they take part with (the newest
        version), read from the aggregation service with their own token; None: no report yet."""
        caller = page.caller
        assert caller is not None
        rounds = {p["round_id"] for p in session["participants"] if p["person_id"] == caller.subject}
        reports = await page.data("aggregation", "GET", "/reports/mine")
        mine = [r for r in reports if r["round_id"] in rounds]
        if not mine:
            return None
        newest = max(mine, key=lambda r: int(r["version"]))
        body = await page.data("aggregation", "GET", f"/reports/{quoted(newest['report_id'])}")
        return [
            {
                "theme_id": str(t["id"]),
                "name": str(t["label"].get(page.lang) or t["label"].get("nl") or t["id"]),
            }
            for t in body.get("themes", [])
        ]

    async def themes_page(page: Page, session_id: str, status: int = 200, **extra: Any) -> Response:
        session = await session_of(page, session_id)
        caller = page.caller
        assert caller is not None
        if caller.subject not in {p["person_id"] for p in session["participants"]}:
            raise PageError(403, key="checkin_not_participant")
        themes = await report_themes(page, session)
        current = await page.data("accreditation", "GET", f"/sessions/{quoted(session_id)}/themes")
        picked = extra.pop("picked", None)
        if picked is None:
            picked = [t["theme_id"] for p in current["participants"] for t in p["themes"]]
        return page.render(
            "checkin/themes.html", status=status, session=session, themes=themes, picked=picked, **extra
        )

    @api.get("/bespreking/{session_id}/themas")
    async def themes_form(session_id: str, request: Request) -> Response:
        page = await person(request, SPECIALIST)
        return await themes_page(page, session_id, message=request.query_params.get("bericht"))

    @api.post("/bespreking/{session_id}/themas")
    async def choose_themes(session_id: str, request: Request) -> Response:
        page = await person(request, SPECIALIST)
        form = await page.form()
        wanted = form.get("themes") or []
        wanted = [wanted] if isinstance(wanted, str) else [w for w in wanted if isinstance(w, str)]
        session = await session_of(page, session_id)
        offered = {t["theme_id"]: t for t in (await report_themes(page, session)) or []}
        unknown = [w for w in wanted if w not in offered]
        if unknown:
            return await themes_page(
                page, session_id, 422, errors=[page.t("checkin_error_theme_unknown")], picked=wanted
            )
        upstream = await page.call(
            "accreditation",
            "PUT",
            f"/sessions/{quoted(session_id)}/themes",
            json_body={"themes": [offered[w] for w in wanted]},
        )
        if upstream.is_success:
            return page.redirect(f"/bespreking/{quoted(session_id)}/themas", bericht="saved")
        if upstream.status_code not in (409, 422):
            raise PageError(upstream.status_code, problem_text(upstream, page.lang))
        return await themes_page(page, session_id, 422, errors=[_refusal(upstream, page)[1]], picked=wanted)

    return api
