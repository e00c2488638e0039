"""The respondent's pages: the questionnaire and the thank-you page.

The gateway opens the link from the e-mail (`GET /e/{token}`: it owns sessions
and the link rate limits) and sends the browser on to `/vragenlijst`; its page
token for this service carries the link (the survey knows a questionnaire by
it). When the questionnaire is submitted or the link no longer opens anything,
the page asks the gateway to end the link session (`Page.end_link_session`).

The page saves a draft by itself (static/spiegel.js,
`PUT /respondent/draft`) and has a "save" button for browsers without
JavaScript. Submitting first checks, on the server, that every rated item has
an answer and lists what is missing with links to it.
"""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Request, Response
from spiegel_pages.look import link_problem_code

from spiegel_web.core import Page, PageError, form_number, page_of, problem_text
from spiegel_web.upstream import Upstream

SURVEY = "survey"
GONE = (404, 409, 410)  # unknown or withdrawn; already submitted; expired or closed

NVT = "nvt"


def link_problem(page: Page, status: int, content: bytes) -> Response:
    """A used, expired, withdrawn, closed or unknown link: a friendly page, never raw JSON."""
    code = link_problem_code(status, content)
    if status >= 500:
        raise PageError(503, key="service_down")
    message = problem_text(Upstream(status, {}, content), page.lang) if content else ""
    return page.render("respondent/link_problem.html", status=status, code=code, message=message)


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


def router() -> APIRouter:
    api = APIRouter(include_in_schema=False)

    async def respondent_page(request: Request) -> Page | Response:
        page = await page_of(request)
        caller = page.caller
        if caller is None or caller.kind != "respondent" or not caller.link_token:
            # No link session: most often the questionnaire was just submitted (which ends it) and
            # the page is opened again. A respondent has no account: never "sign in first".
            return page.render("respondent/link_problem.html", status=401, code="no_session", message="")
        return page

    async def questionnaire_of(page: Page) -> tuple[dict[str, Any] | None, Response | None]:
        caller = page.caller
        assert caller is not None and caller.link_token
        token = caller.link_token
        explicit = _explicit_language(page.request, page)
        upstream = await page.send(
            SURVEY,
            "GET",
            f"/questionnaires/{token}",
            headers={"accept": "application/json"},
            query=f"lang={explicit}" if explicit else "",
        )
        if upstream.status_code == 200:
            body = json.loads(upstream.content)
            page.lang = body.get("language") or page.lang
            return body, None
        reply = link_problem(page, upstream.status_code, upstream.content)
        if upstream.status_code in GONE or upstream.status_code in (403, 409):
            page.end_link_session(reply)
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
        if isinstance(page, Response):
            return page
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
        if isinstance(page, Response):
            return page
        form = await page.form()
        body, problem = await questionnaire_of(page)
        if body is None:
            assert problem is not None
            return problem
        answers = parse_answers(form, body["questionnaire"])
        caller = page.caller
        assert caller is not None and caller.link_token
        token = caller.link_token
        missing = missing_items(answers, body["questionnaire"])
        wants_submit = form.get("action") == "submit"
        if not wants_submit or missing:
            saved = await page.send(
                SURVEY,
                "PUT",
                f"/questionnaires/{token}/draft",
                content=json.dumps(answers).encode(),
                headers={
                    "content-type": "application/json",
                    "accept": "application/json",
                    "accept-language": page.lang,
                },
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
        submitted = await page.send(
            SURVEY,
            "POST",
            f"/questionnaires/{token}/submit",
            content=json.dumps(answers).encode(),
            headers={
                "content-type": "application/json",
                "accept": "application/json",
                "accept-language": page.lang,
            },
            query=f"lang={page.lang}",
        )
        if submitted.is_success:
            # A specialist's own self-evaluation is not "processed with the others in the group".
            own = body["respondent_group"].get("is_self") and body["round"].get("kind") != "GROUP_MONITOR"
            reply = page.redirect("/bedankt", lang=page.lang, zelf="1" if own else None)
            page.end_link_session(reply)
            return reply
        if submitted.status_code == 422:
            return show(page, body, answers, problem=problem_text(submitted, page.lang))
        return link_problem(page, submitted.status_code, submitted.content)

    @api.get("/bedankt")
    async def thanks(request: Request) -> Response:
        page = await page_of(request)
        return page.render("respondent/thanks.html", is_self=request.query_params.get("zelf") == "1")

    return api
