"""The respondent's pages: the link from the e-mail, the questionnaire, the thank-you page, the opt-out.

`GET /e/{token}` (a browser asking for HTML; API clients keep the JSON route in
respondents/api.py) checks the link with the survey service, opens a session
bound to the link and sends the browser on to `/vragenlijst`: the token leaves
the address bar at once. The page saves a draft by itself (static/spiegel.js,
`PUT /respondent/draft`) and has a "save" button for browsers without
JavaScript. Submitting first checks, on the server, that every rated item has
an answer and lists what is missing with links to it.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any

from fastapi import APIRouter, HTTPException, Request, Response
from spiegel_platform.links import hash_link_token

from spiegel_gateway.respondents.links import GONE, SURVEY, link_caller, link_worked, throttle_link
from spiegel_gateway.routing.client import Upstream
from spiegel_gateway.sessions.auth import (
    clear_session_cookie,
    correlation_of,
    gateway_of,
    link_cookie_name,
    set_session_cookie,
)
from spiegel_gateway.web.core import Page, PageError, form_number, page_of, problem_text

LINK_PROBLEMS = {
    404: "link_unknown",
    403: "link_mismatch",
    409: "already_submitted",
    410: "round_closed",
}
NVT = "nvt"


def wants_html(request: Request) -> bool:
    return "text/html" in request.headers.get("accept", "")


def _code(upstream_content: bytes) -> str:
    try:
        body = json.loads(upstream_content)
    except ValueError:
        return ""
    detail = body.get("detail", body) if isinstance(body, dict) else {}
    return str(detail.get("code", "")) if isinstance(detail, dict) else ""


def link_problem(page: Page, status: int, content: bytes) -> Response:
    """A used, expired, withdrawn, closed or unknown link: a friendly page, never raw JSON."""
    code = _code(content) or LINK_PROBLEMS.get(status, "link_unknown")
    if status >= 500:
        raise PageError(503, key="service_down")
    message = problem_text(Upstream(status, None, content), page.lang) if content else ""  # type: ignore[arg-type]
    return page.render("respondent/link_problem.html", status=status, code=code, message=message)


def _throttled(request: Request, page: Page, token: str) -> str | Response:
    """The link's hash when it may be tried (rate limits), or the page for a link that cannot be one."""
    try:
        return throttle_link(request, token)
    except HTTPException as error:
        if error.status_code == 404:
            return page.render("respondent/link_problem.html", status=404, code="link_unknown", message="")
        raise


async def open_link_page(token: str, request: Request) -> Response:
    page = await page_of(request)
    gateway = gateway_of(request)
    link_hash = _throttled(request, page, token)
    if isinstance(link_hash, Response):
        return link_hash
    explicit = _explicit_language(request, page)
    upstream = await gateway.services.call(
        SURVEY,
        "GET",
        f"/questionnaires/{token}",
        caller=link_caller(page.tenant, link_hash, page.lang),
        correlation_id=correlation_of(request),
        headers={"accept": "application/json"},
        query=f"lang={explicit}" if explicit else "",
    )
    if upstream.status_code != 404:
        link_worked(request)
    if upstream.status_code != 200:
        return link_problem(page, upstream.status_code, upstream.content)
    language = json.loads(upstream.content).get("language") or page.lang
    cookie, session = await gateway.sessions.open_respondent(
        page.tenant.tenant_id,
        link_hash=link_hash,
        link_token_sealed=gateway.sealer.seal(token),
        language=language,
        lifetime=gateway.respondent_lifetime,
    )
    reply = page.redirect("/vragenlijst")
    set_session_cookie(reply, request, cookie, session.expires_at, name=link_cookie_name(request))
    return reply


def _explicit_language(request: Request, page: Page) -> str | None:
    """The language the respondent chose on the page (else the invitation's language)."""
    chosen = request.query_params.get("lang") or request.cookies.get("spiegel_resp_lang")
    return chosen if chosen in page.tenant.languages else None


def parse_answers(form: dict[str, Any], questionnaire: dict[str, Any]) -> dict[str, Any]:
    """The posted form as the survey's answers: r_<item> = score or nvt, c_<question> = text."""
    allowed: dict[str, tuple[int, int, bool]] = {}
    for theme in questionnaire["themes"]:
        for statement in theme["statements"]:
            allowed[statement["id"]] = (
                questionnaire["scale"]["min"],
                questionnaire["scale"]["max"],
                True,
            )
    for item in questionnaire["global_items"]:
        allowed[item["id"]] = (item["min"], item["max"], bool(item.get("not_applicable")))
    ratings: dict[str, Any] = {}
    for item_id, (low, high, nvt) in allowed.items():
        value = form.get(f"r_{item_id}")
        if not isinstance(value, str) or not value:
            continue
        if value == NVT and nvt:
            ratings[item_id] = NVT
        elif (score := form_number(value, digits=3)) is not None and low <= score <= high:
            ratings[item_id] = score
    comments: dict[str, str] = {}
    for question in questionnaire["open_questions"]:
        value = form.get(f"c_{question['id']}")
        if isinstance(value, str) and value.strip():
            # A NUL is never text a respondent meant (the survey refuses it): dropped, not the answers.
            value = value.replace("\r\n", "\n").replace("\x00", "")
            comments[question["id"]] = value[: question.get("max_length") or 2000]
    return {"ratings": ratings, "comments": comments}


def missing_items(answers: dict[str, Any], questionnaire: dict[str, Any]) -> list[dict[str, str]]:
    missing = []
    for theme in questionnaire["themes"]:
        for statement in theme["statements"]:
            if statement["id"] not in answers["ratings"]:
                missing.append({"id": statement["id"], "text": statement["text"], "theme": theme["label"]})
    for item in questionnaire["global_items"]:
        if item["id"] not in answers["ratings"]:
            missing.append({"id": item["id"], "text": item["text"], "theme": ""})
    return missing


def optout_token(request: Request, link_hash: str) -> str:
    """The opt-out form's CSRF token: no session exists, so it is bound to the link itself."""
    secret = gateway_of(request).settings.session_secret or "dev"
    return hmac.new(str(secret).encode(), f"optout:{link_hash}".encode(), hashlib.sha256).hexdigest()


def router() -> APIRouter:
    api = APIRouter(include_in_schema=False)

    async def respondent_page(request: Request) -> Page:
        page = await page_of(request)
        caller = page.caller
        if caller is None or caller.kind != "respondent" or not caller.link_token_sealed:
            raise PageError(401, key="open_your_link")
        return page

    async def questionnaire_of(page: Page) -> tuple[dict[str, Any] | None, Response | None]:
        caller = page.caller
        assert caller is not None and caller.link_token_sealed
        gateway = gateway_of(page.request)
        token = gateway.sealer.open(caller.link_token_sealed)
        explicit = _explicit_language(page.request, page)
        upstream = await gateway.services.call(
            SURVEY,
            "GET",
            f"/questionnaires/{token}",
            caller=caller,
            correlation_id=correlation_of(page.request),
            headers={"accept": "application/json"},
            query=f"lang={explicit}" if explicit else "",
        )
        if upstream.status_code == 200:
            body = json.loads(upstream.content)
            page.lang = body.get("language") or page.lang
            return body, None
        reply = link_problem(page, upstream.status_code, upstream.content)
        if upstream.status_code in GONE or upstream.status_code in (403, 409):
            await gateway.sessions.close(page.tenant.tenant_id, caller.id)
            gateway.tokens.forget(caller.id)
            clear_session_cookie(reply, page.request, name=link_cookie_name(page.request))
        return None, reply

    def show(page: Page, body: dict[str, Any], answers: dict[str, Any], **extra: Any) -> Response:
        required = body["progress"]["required"] or 1
        answered = sum(1 for _ in answers["ratings"])
        reply = page.render(
            "respondent/questionnaire.html",
            q=body["questionnaire"],
            round=body["round"],
            group=body["respondent_group"],
            answers=answers,
            answered=min(answered, required),
            required=required,
            nvt=NVT,
            **extra,
        )
        chosen = page.request.query_params.get("lang")
        if chosen in page.tenant.languages:
            reply.set_cookie("spiegel_resp_lang", chosen, samesite="lax", httponly=True, max_age=8 * 3600)
        return reply

    @api.get("/vragenlijst")
    async def questionnaire(request: Request) -> Response:
        page = await respondent_page(request)
        body, problem = await questionnaire_of(page)
        if body is None:
            assert problem is not None
            return problem
        draft = body.get("draft") or {}
        answers = {"ratings": dict(draft.get("ratings") or {}), "comments": dict(draft.get("comments") or {})}
        return show(page, body, answers, saved=request.query_params.get("opgeslagen") == "1")

    @api.post("/vragenlijst")
    async def answer(request: Request) -> Response:
        page = await respondent_page(request)
        form = await page.form()
        body, problem = await questionnaire_of(page)
        if body is None:
            assert problem is not None
            return problem
        answers = parse_answers(form, body["questionnaire"])
        gateway = gateway_of(request)
        caller = page.caller
        assert caller is not None and caller.link_token_sealed
        token = gateway.sealer.open(caller.link_token_sealed)
        missing = missing_items(answers, body["questionnaire"])
        wants_submit = form.get("action") == "submit"
        if not wants_submit or missing:
            saved = await gateway.services.call(
                SURVEY,
                "PUT",
                f"/questionnaires/{token}/draft",
                caller=caller,
                correlation_id=correlation_of(request),
                content=json.dumps(answers).encode(),
                headers={"content-type": "application/json", "accept": "application/json"},
            )
            if saved.status_code in GONE or saved.status_code == 409:
                return link_problem(page, saved.status_code, saved.content)
            if not saved.is_success:
                # Never "saved" when the survey did not keep them: the answers stay on the page.
                reason = problem_text(saved, page.lang)
                return show(page, body, answers, problem=page.t("q_not_saved", reason=reason).strip())
            if not wants_submit:
                return page.redirect("/vragenlijst", opgeslagen="1")
            return show(page, body, answers, missing=missing)
        submitted = await gateway.services.call(
            SURVEY,
            "POST",
            f"/questionnaires/{token}/submit",
            caller=caller,
            correlation_id=correlation_of(request),
            content=json.dumps(answers).encode(),
            headers={"content-type": "application/json", "accept": "application/json"},
            query=f"lang={page.lang}",
        )
        if submitted.is_success:
            await gateway.sessions.close(page.tenant.tenant_id, caller.id)
            gateway.tokens.forget(caller.id)
            reply = page.redirect("/bedankt", lang=page.lang)
            clear_session_cookie(reply, request, name=link_cookie_name(request))
            return reply
        if submitted.status_code == 422:
            return show(page, body, answers, problem=problem_text(submitted, page.lang))
        return link_problem(page, submitted.status_code, submitted.content)

    @api.get("/bedankt")
    async def thanks(request: Request) -> Response:
        page = await page_of(request)
        return page.render("respondent/thanks.html")

    return api


async def optout_page(token: str, request: Request) -> Response:
    """GET: what the opt-out means, with one button; POST: no more reminders for this round."""
    page = await page_of(request)
    gateway = gateway_of(request)
    link_hash = _throttled(request, page, token)
    if isinstance(link_hash, Response):
        return link_hash
    method = request.method
    if method == "POST":
        form = await request.form()
        given = form.get("csrf_token")
        if not isinstance(given, str) or not hmac.compare_digest(given, optout_token(request, link_hash)):
            raise PageError(403, key="csrf")
    upstream = await gateway.services.call(
        "invitation",
        method,
        "/optout",
        caller=link_caller(page.tenant, link_hash, page.lang),
        correlation_id=correlation_of(request),
        headers={"accept": "application/json"},
    )
    if upstream.status_code != 404:
        link_worked(request)
    if not upstream.is_success:
        return link_problem(page, upstream.status_code, upstream.content)
    state = json.loads(upstream.content)
    return page.render(
        "respondent/optout.html",
        state=state,
        action=page.url(f"/e/{token}/afmelden"),
        form_token=optout_token(request, hash_link_token(token)),
        done=method == "POST",
    )
