"""Every request no route of the gateway takes goes to the web service (its pages), as the caller.

The gateway resolves the hospital and authenticates the browser as for any
route, then signs two short-lived tokens for this one request:

- the page token (audience `web`, in Authorization): the hospital as the
  pages show it, the person or the respondent's link (its token, opened from
  the session: the survey knows a questionnaire by it), the session's CSRF
  token and how the browser authenticated, the address prefix and host;
- the caller's token (`x-spiegel-caller`; audience: the domain services and
  the gateway): what /api would send a service, so the web service calls them
  as the caller and never with rights of its own.

The browser's cookies and Authorization never reach the web service; only the
language cookies do. From the answer the gateway takes two things before the
browser sees it: `x-spiegel-audit`, the service calls the page made (audited
here as /api calls are), and `x-spiegel-session: end` (the questionnaire is
submitted or gone: the link session ends). A service's Set-Cookie is passed on
only for the language cookies.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlsplit

from fastapi import Request
from fastapi.responses import Response
from spiegel_pages.look import LANG_COOKIE, PageError
from spiegel_platform.errors import ApiError
from spiegel_platform.logging import get_logger
from starlette.types import Receive, Scope, Send

from spiegel_gateway.audit.log import AUTHORISATION_FAILED
from spiegel_gateway.request_state import state_of
from spiegel_gateway.routing.policy import audit_service_answer
from spiegel_gateway.sessions.auth import (
    authenticate,
    clear_session_cookie,
    client_ip,
    correlation_of,
    gateway_of,
    link_cookie_name,
)
from spiegel_gateway.sessions.store import Session
from spiegel_gateway.settings import SERVICES
from spiegel_gateway.signin import confirmation
from spiegel_gateway.tenants.resolution import current_tenant
from spiegel_gateway.tenants.store import Tenant

log = get_logger(__name__)
WEB = "web"
CALLER_HEADER = "x-spiegel-caller"
AUDIT_HEADER = "x-spiegel-audit"
SESSION_HEADER = "x-spiegel-session"
# The cookies the pages read and set themselves: the language choices. Never a credential.
PAGE_COOKIES = (LANG_COOKIE, "spiegel_resp_lang")
# A page's answer headers passed on beyond those of every service's (routing.client): a page that
# reloads itself (a round still being prepared) says so in Refresh.
PAGE_RESPONSE_HEADERS = ("refresh",)
# sec-fetch-site: whether a form with a stale token came from this site (then it is offered again).
REQUEST_HEADERS = ("content-type", "accept", "accept-language", "origin", "sec-fetch-site", "user-agent")
MAX_AUDITED_CALLS = 100


FORMS = ("application/x-www-form-urlencoded", "multipart/form-data")
# The web service's pages on the platform's own address (operators): nothing else of it is a page
# there. An operator's caller token names the gateway alone (routing.client.caller_token).
OPERATOR_PAGES = ("/ziekenhuizen", "/platformstatus")


# The one page anyone may open without signing in that asks a service: a declaration's
# verification by its code (`/verklaring/<code>`); the visitor's token reaches that service alone.
PUBLIC_PAGES = {"verklaring": "accreditation"}


def is_public_verification(path: str) -> bool:
    parts = path.split("/")
    return len(parts) == 3 and parts[1] in PUBLIC_PAGES and bool(parts[2])


def is_operator_page(path: str) -> bool:
    return any(path == p or path.startswith(p + "/") for p in OPERATOR_PAGES)


def looks_like_page(request: Request) -> bool:
    """A browser asking for a page or posting a form (what the gateway refuses itself is then a
    page too); an API client's request gets JSON."""
    content_type = request.headers.get("content-type", "")
    return "text/html" in request.headers.get("accept", "") or content_type.startswith(FORMS)


def page_claims(request: Request, tenant: Tenant, caller: Session | None) -> dict[str, Any]:
    state = state_of(request)
    page: dict[str, Any] = {
        "tenant": {
            "slug": tenant.slug,
            "name": tenant.name,
            "languages": list(tenant.languages),
            "time_zone": tenant.time_zone,
            "min_group_size": tenant.min_group_size,
            "identity_provider": bool(tenant.identity_provider),
            "activation_mail_interval_minutes": tenant.activation_mail_interval_minutes,
        },
        "prefix": str(state.get("tenant_prefix", "") or ""),
        "host": request.headers.get("host", ""),
        "kind": caller.kind if caller is not None else "",
        "csrf": caller.csrf if caller is not None else "",
        "via": str(state.get("via", "")),
    }
    signed_in_by_idp = caller is not None and caller.kind == "person" and caller.method == "oidc"
    if signed_in_by_idp and tenant.identity_provider:
        # Signed in with the hospital's identity provider: a signing asks it again (the provider's
        # host names it on the button; signin/oidc_signing.py).
        page["sign_with"] = urlsplit(str(tenant.identity_provider.get("issuer", ""))).netloc
    if caller is not None and caller.kind == "respondent" and caller.link_token_sealed:
        page["link"] = gateway_of(request).sealer.open(caller.link_token_sealed)
    return page


async def forward_page(request: Request) -> Response:
    gateway = gateway_of(request)
    base = gateway.settings.service_url(WEB)
    if base is None:
        raise ApiError(404, "not_found")
    if looks_like_page(request):
        state_of(request)["web_page"] = True
    tenant = await current_tenant(request)
    if tenant.is_platform and not is_operator_page(request.scope["path"]):
        if looks_like_page(request):
            raise PageError(404, key="no_hospital")
        raise ApiError(404, "not_found")
    caller = await authenticate(request, tenant)
    tokens = gateway.tokens
    page_token = tokens.issue(
        cache_key=None,  # the hospital's name or languages may just have changed
        audience=WEB,
        subject=caller.subject if caller is not None else "",
        tenant_id=tenant.tenant_id,
        roles=list(caller.roles) if caller is not None else [],
        extra={
            "email": caller.email if caller is not None else "",
            "name": caller.name if caller is not None else "",
            "lang": caller.language if caller is not None else "",
            "page": page_claims(request, tenant, caller),
        },
    )
    sent = {k: v for k, v in request.headers.items() if k.lower() in REQUEST_HEADERS}
    sent["authorization"] = f"Bearer {page_token}"
    sent["x-correlation-id"] = correlation_of(request)
    body = await request.body()
    claims: dict[str, Any] = {}
    path = request.scope["path"]
    if caller is not None and confirmation.wants_confirmation(request.method, path):
        # The page that signs with the password again: checked here, never passed on.
        body, claims = await confirmation.confirm(request, caller, body)
    if caller is not None:
        sent[CALLER_HEADER] = gateway.services.caller_token(caller, client_ip(request), claims or None)
    verifying = is_public_verification(path)
    if verifying:
        # Guessing codes: every look-up counts as a failure of the address until it turns out to
        # exist (as for invitation links); beyond the limit a 429 page, the service not asked.
        gateway.limiter.hit(gateway.policies.verify_failures_ip, client_ip(request))
        if caller is None:
            language = request.cookies.get(LANG_COOKIE, "") or ""
            sent[CALLER_HEADER] = gateway.services.public_token(
                tenant.tenant_id, PUBLIC_PAGES[path.split("/")[1]], language, client_ip(request)
            )
    cookies = [f"{name}={value}" for name, value in request.cookies.items() if name in PAGE_COOKIES]
    if cookies:
        sent["cookie"] = "; ".join(cookies)
    upstream = await gateway.services.send(
        WEB,
        base,
        request.method,
        request.scope["path"],
        sent=sent,
        content=body or None,
        query=request.scope["query_string"].decode("latin-1"),
    )
    if upstream.status_code == 401 and "www-authenticate" in upstream.headers:
        # The web service refused the gateway's page token (a page's own 401 is a page).
        log.error("web_refused_gateway_token", body=upstream.text[:300])
        raise ApiError(502, "web_refused_gateway_credentials")
    if verifying and upstream.status_code == 200:
        gateway.limiter.refund(gateway.policies.verify_failures_ip, client_ip(request))
    reply = upstream.as_response()
    for name in PAGE_RESPONSE_HEADERS:
        for value in upstream.headers.getall(name, []):
            reply.raw_headers.append((name.encode(), value.encode("utf-8", "surrogateescape")))
    for value in upstream.headers.getall("set-cookie", []):
        if value.split("=", 1)[0].strip() in PAGE_COOKIES:
            reply.raw_headers.append((b"set-cookie", value.encode("latin-1")))
    if caller is not None:
        refused_calls = await _audit(request, tenant, caller, upstream.headers.get(AUDIT_HEADER, ""))
        if upstream.status_code == 403 and not refused_calls:
            # The page itself refused (a role it is not for): audited as a refusal on /api is.
            await gateway.audit.record(
                tenant_id=tenant.tenant_id,
                action=AUTHORISATION_FAILED,
                actor=caller.subject,
                roles=caller.roles,
                target=f"{request.method} {request.scope['path']} (page)",
                outcome=403,
                ip=client_ip(request),
                correlation_id=correlation_of(request),
            )
        if upstream.headers.get(SESSION_HEADER) == "end" and caller.kind == "respondent":
            await gateway.sessions.close(tenant.tenant_id, caller.id)
            gateway.tokens.forget(caller.id)
            clear_session_cookie(reply, request, name=link_cookie_name(request))
    return reply


async def _audit(request: Request, tenant: Tenant, caller: Session, header: str) -> int:
    """The page's service calls, audited as /api calls are (reads of reports and POPs, refusals).
    Returns how many of them were refusals (403)."""
    if not header:
        return 0
    try:
        calls = json.loads(header)
    except ValueError:
        log.error("web_audit_header_unreadable", header=header[:200])
        return 0
    refused = 0
    for call in calls[:MAX_AUDITED_CALLS] if isinstance(calls, list) else []:
        if not (isinstance(call, list) and len(call) == 4 and call[0] in SERVICES):
            continue
        service, method, path, status = call
        if isinstance(method, str) and isinstance(path, str) and isinstance(status, int):
            await audit_service_answer(
                request,
                tenant_id=tenant.tenant_id,
                caller=caller,
                service=service,
                method=method,
                path=path,
                status=status,
                via=" (page)",
            )
            refused += status == 403
    return refused


class PageForwarding:
    """The router's default (no route matched, not even by path): `forward_page`. An error is
    raised to the app's exception handlers, as from any route."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        response = await forward_page(Request(scope, receive))
        await response(scope, receive, send)
