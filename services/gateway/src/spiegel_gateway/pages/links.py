"""A respondent's link in a browser: opening it, and the opt-out of reminders.

`GET /e/{token}` (a browser asking for HTML; API clients keep the JSON route in
respondents/api.py) checks the link with the survey service, opens a session
bound to the link and sends the browser on to `/vragenlijst` (the web
service's page): the token leaves the address bar at once. These stay at the
door: they open a session and need the link rate limits."""

from __future__ import annotations

import hashlib
import hmac
import json

from fastapi import HTTPException, Request, Response
from spiegel_pages.look import link_problem_code
from spiegel_platform.links import hash_link_token

from spiegel_gateway.pages.core import Page, PageError, page_of, problem_text
from spiegel_gateway.respondents.links import (
    ACCREDITATION,
    SURVEY,
    link_caller,
    link_worked,
    throttle_link,
)
from spiegel_gateway.sessions.auth import (
    correlation_of,
    gateway_of,
    link_cookie_name,
    set_session_cookie,
)

CHECKIN_LINK_PAGE = "/aanmelden-met-link"  # the web service's check-in page for a link session


def link_problem(page: Page, status: int, content: bytes) -> Response:
    """A used, expired, withdrawn, closed or unknown link: a friendly page, never raw JSON."""
    code = link_problem_code(status, content)
    if status >= 500:
        raise PageError(503, key="service_down")
    message = problem_text(content, page.lang) if content else ""
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


async def checkin_link_page(token: str, request: Request) -> Response:
    """The follow-up mail's personal check-in link in a browser: checked with the accreditation
    service (as the link), then a link session as for a respondent's link (the token leaves the
    address bar at once) and on to the web service's check-in page."""
    page = await page_of(request)
    gateway = gateway_of(request)
    link_hash = _throttled(request, page, token)
    if isinstance(link_hash, Response):
        return link_hash
    upstream = await gateway.services.call(
        ACCREDITATION,
        "GET",
        f"/checkin-links/{token}",
        caller=link_caller(page.tenant, link_hash, page.lang),
        correlation_id=correlation_of(request),
        headers={"accept": "application/json", "accept-language": page.lang},
    )
    if upstream.status_code != 404:
        link_worked(request)
    if upstream.status_code != 200:
        return link_problem(page, upstream.status_code, upstream.content)
    cookie, session = await gateway.sessions.open_respondent(
        page.tenant.tenant_id,
        link_hash=link_hash,
        link_token_sealed=gateway.sealer.seal(token),
        language=page.lang,
        lifetime=gateway.respondent_lifetime,
    )
    reply = page.redirect(CHECKIN_LINK_PAGE)
    set_session_cookie(reply, request, cookie, session.expires_at, name=link_cookie_name(request))
    return reply


def _explicit_language(request: Request, page: Page) -> str | None:
    """The language the respondent chose on the page (else the invitation's language)."""
    chosen = request.query_params.get("lang") or request.cookies.get("spiegel_resp_lang")
    return chosen if chosen in page.tenant.languages else None


def optout_token(request: Request, link_hash: str) -> str:
    """The opt-out form's CSRF token: no session exists, so it is bound to the link itself."""
    secret = gateway_of(request).settings.session_secret or "dev"
    return hmac.new(str(secret).encode(), f"optout:{link_hash}".encode(), hashlib.sha256).hexdigest()


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
