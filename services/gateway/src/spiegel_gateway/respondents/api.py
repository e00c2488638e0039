"""The respondent's link: `GET /e/{token}` opens a session limited to that one assignment.

The link token is the credential (192 random bits; services know only its
hash). The gateway asks the survey service whether the link opens a
questionnaire (GET /questionnaires/{token}, as the respondent `link:<hash>`);
only then does it open a session: a cookie bound to the token's hash, with the
token itself sealed in the session so the browser's later calls carry no
token in their URLs (no history, no Referer). The session ends when the
questionnaire is submitted, or when the survey service answers that the link
no longer opens anything (404/410: withdrawn, used, or the round closed), or
after RESPONDENT_SESSION_LIFETIME_H.

Guessing is throttled: per IP (all link requests, and far more strictly the
links that open nothing) and per token.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import APIRouter, Request, Response
from spiegel_platform.errors import ApiError

from spiegel_gateway.i18n import choose_language, explicit_language
from spiegel_gateway.respondents.links import (
    ACCREDITATION,
    GONE,
    INVITATION,
    SURVEY,
    language_of,
    link_caller,
    link_worked,
    throttle_link,
    wants_html,
)
from spiegel_gateway.sessions.auth import (
    check_csrf,
    clear_session_cookie,
    correlation_of,
    gateway_of,
    optional_caller,
    set_session_cookie,
)
from spiegel_gateway.sessions.store import Session
from spiegel_gateway.tenants.resolution import CurrentTenant, current_tenant
from spiegel_gateway.tenants.store import Tenant

# A browser's page for a link (token, request) -> the answer: given by whoever serves the pages,
# so this module knows nothing of them.
LinkPage = Callable[[str, Request], Awaitable[Response]]


async def _respondent(request: Request, tenant: Tenant) -> Session:
    caller = await optional_caller(request, tenant)
    if caller is None or caller.kind != "respondent" or not caller.link_token_sealed:
        raise ApiError(401, "open_personal_link")
    check_csrf(request, caller)
    return caller


def router(
    open_link_page: LinkPage | None = None,
    optout_page: LinkPage | None = None,
    checkin_page: LinkPage | None = None,
) -> APIRouter:
    """The JSON routes; a browser asking for HTML gets `open_link_page` / `optout_page` /
    `checkin_page` when given."""
    api = APIRouter(tags=["respondents"])

    @api.get("/a/{token}")
    async def open_checkin_link(
        token: str, request: Request, response: Response, tenant: CurrentTenant
    ) -> Any:
        """Open the personal check-in link of a discussion session's follow-up mail: the state of
        that participant's check-in (accreditation: GET /checkin-links/{token}), and a session
        cookie for this link alone; check in with `POST /respondent/checkin` (X-CSRF-Token).

        A browser asking for HTML gets the check-in page instead (see `router`).
        """
        gateway = gateway_of(request)
        if tenant.is_platform:
            raise ApiError(404, "link_not_valid_here")
        if checkin_page is not None and wants_html(request):
            return await checkin_page(token, request)
        link_hash = throttle_link(request, token)
        language = choose_language(request, tenant)
        upstream = await gateway.services.call(
            ACCREDITATION,
            "GET",
            f"/checkin-links/{token}",
            caller=link_caller(tenant, link_hash, language),
            correlation_id=correlation_of(request),
            headers={"accept": "application/json", "accept-language": language},
        )
        if upstream.status_code != 404:
            link_worked(request)
        if upstream.status_code != 200:
            return upstream.as_response()
        cookie, session = await gateway.sessions.open_respondent(
            tenant.tenant_id,
            link_hash=link_hash,
            link_token_sealed=gateway.sealer.seal(token),
            language=language,
            lifetime=gateway.respondent_lifetime,
        )
        reply = upstream.as_response()
        set_session_cookie(reply, request, cookie, session.expires_at)
        reply.headers["x-csrf-token"] = session.csrf
        reply.headers["cache-control"] = "no-store"
        return reply

    @api.post("/respondent/checkin")
    async def checkin_by_link(request: Request) -> Response:
        """Check in with the link of this session (accreditation: POST /checkin-links/{token}):
        `{big_number, evaluation}`. Needs X-CSRF-Token."""
        tenant = await current_tenant(request)
        caller = await _respondent(request, tenant)
        gateway = gateway_of(request)
        token = gateway.sealer.open(caller.link_token_sealed)
        upstream = await gateway.services.call(
            ACCREDITATION,
            "POST",
            f"/checkin-links/{token}",
            caller=caller,
            correlation_id=correlation_of(request),
            content=await request.body() or None,
            headers=request.headers,
        )
        reply = upstream.as_response()
        reply.headers["cache-control"] = "no-store"
        return reply

    @api.get("/e/{token}")
    async def open_link(token: str, request: Request, response: Response, tenant: CurrentTenant) -> Any:
        """Open the questionnaire of a personal link; sets a session cookie for it alone.

        A browser asking for HTML gets the questionnaire page instead (see `router`).
        """
        gateway = gateway_of(request)
        if not tenant.is_platform and open_link_page is not None and wants_html(request):
            return await open_link_page(token, request)
        if tenant.is_platform:
            raise ApiError(404, "link_not_valid_here")
        link_hash = throttle_link(request, token)
        # The questionnaire comes in the language of the invitation unless the respondent chose
        # another here (?lang= or the language switch's cookie).
        chosen = explicit_language(request, tenant)
        language = chosen or choose_language(request, tenant)
        upstream = await gateway.services.call(
            SURVEY,
            "GET",
            f"/questionnaires/{token}",
            caller=link_caller(tenant, link_hash, language),
            correlation_id=correlation_of(request),
            headers={"accept": "application/json", "accept-language": language},
            query=f"lang={chosen}" if chosen else "",
        )
        if upstream.status_code != 404:
            link_worked(request)  # a known link (open, used or closed) is no guess
        if upstream.status_code != 200:
            return upstream.as_response()
        language = language_of(upstream, language)
        cookie, session = await gateway.sessions.open_respondent(
            tenant.tenant_id,
            link_hash=link_hash,
            link_token_sealed=gateway.sealer.seal(token),
            language=language,
            lifetime=gateway.respondent_lifetime,
        )
        reply = upstream.as_response()
        set_session_cookie(reply, request, cookie, session.expires_at)
        reply.headers["x-csrf-token"] = session.csrf
        reply.headers["cache-control"] = "no-store"
        return reply

    async def _call(request: Request, method: str, suffix: str, *, end_on_success: bool = False) -> Response:
        tenant = await current_tenant(request)
        caller = await _respondent(request, tenant)
        gateway = gateway_of(request)
        token = gateway.sealer.open(caller.link_token_sealed)
        body = await request.body()
        upstream = await gateway.services.call(
            SURVEY,
            method,
            f"/questionnaires/{token}{suffix}",
            caller=caller,
            correlation_id=correlation_of(request),
            content=body or None,
            headers=request.headers,
            query=f"lang={explicit_language(request, tenant) or caller.language}",
        )
        reply = upstream.as_response()
        if upstream.status_code in GONE or (end_on_success and upstream.is_success):
            await gateway.sessions.close(tenant.tenant_id, caller.id)
            gateway.tokens.forget(caller.id)
            clear_session_cookie(reply, request)
        reply.headers["cache-control"] = "no-store"
        return reply

    @api.get("/respondent/questionnaire")
    async def questionnaire(request: Request) -> Response:
        """The questionnaire of this link session (survey: GET /questionnaires/{token})."""
        return await _call(request, "GET", "")

    @api.put("/respondent/draft")
    async def save_draft(request: Request) -> Response:
        """Autosave (survey: PUT /questionnaires/{token}/draft). Needs X-CSRF-Token."""
        return await _call(request, "PUT", "/draft")

    @api.post("/respondent/submit")
    async def submit(request: Request) -> Response:
        """Submit (survey: POST /questionnaires/{token}/submit); ends the link session. Needs X-CSRF-Token."""
        return await _call(request, "POST", "/submit", end_on_success=True)

    # Two operations, one handler: GET shows the page (or the state), POST opts out.
    @api.get("/e/{token}/afmelden", operation_id="opt_out_page")
    @api.post("/e/{token}/afmelden", operation_id="opt_out")
    async def opt_out(token: str, request: Request, tenant: CurrentTenant) -> Response:
        """Opt out of reminders (the invitation service's `/optout`, as this link); HTML for browsers."""
        gateway = gateway_of(request)
        if tenant.is_platform:
            raise ApiError(404, "link_not_valid_here")
        if optout_page is not None and wants_html(request):
            return await optout_page(token, request)
        link_hash = throttle_link(request, token)
        body = await request.body()
        upstream = await gateway.services.call(
            INVITATION,
            request.method,
            "/optout",  # the invitation service knows the link by the caller's `link:<hash>`
            caller=link_caller(tenant, link_hash, choose_language(request, tenant)),
            correlation_id=correlation_of(request),
            content=body or None,
            headers=request.headers,
        )
        if upstream.status_code != 404:
            link_worked(request)
        return upstream.as_response()

    return api
