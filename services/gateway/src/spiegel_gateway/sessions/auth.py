"""Who is calling: the dependencies every route (and later every page) uses.

- A browser: the session cookie (HttpOnly, SameSite=Lax, Secure behind TLS;
  `__Host-` prefixed when Secure on a tenant host; path /t/<slug>/ locally).
- An API client: `Authorization: Bearer spg_<tenant>.<secret>` (a personal API token).
- A respondent: the link session cookie (same cookie, kind "respondent").

A credential issued in another hospital is refused with 403 and audited. A
state change authenticated by a cookie needs the session's CSRF token in the
X-CSRF-Token header (pages: the `csrf_token` form field), and a foreign Origin
is refused; bearer-token calls need neither (no ambient authority).
"""

from __future__ import annotations

import hmac
from datetime import UTC, datetime
from typing import Annotated, Any
from urllib.parse import urlsplit

from fastapi import Depends, Request, Response
from spiegel_platform.auth.service_tokens import TokenError
from spiegel_platform.errors import ApiError
from spiegel_platform.logging import get_logger

from spiegel_gateway.audit.log import AUTHORISATION_FAILED
from spiegel_gateway.request_state import state_of
from spiegel_gateway.sessions.store import API_TOKEN_PREFIX, Session, credential_tenant
from spiegel_gateway.tenants.model import PLATFORM, is_slug
from spiegel_gateway.tenants.resolution import CurrentTenant
from spiegel_gateway.tenants.store import Tenant

log = get_logger(__name__)

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# A respondent link opened from a page gets a cookie of its own, read only on the questionnaire's
# paths (and the check-in page of the follow-up mail's link): a signed-in person who opens their
# self-evaluation, or their check-in link, stays signed in.
LINK_COOKIE = "spiegel_link"
LINK_PATHS = ("/vragenlijst", "/respondent/", "/aanmelden-met-link")
CSRF_HEADER = "x-csrf-token"


def gateway_of(request: Request) -> Any:
    return request.app.state.gateway


def client_ip(request: Request) -> str:
    return str(state_of(request).get("client_ip", "") or (request.client.host if request.client else ""))


def correlation_of(request: Request) -> str:
    return str(state_of(request).get("correlation_id", ""))


# -- cookies ----------------------------------------------------------------------
def _secure(request: Request) -> bool:
    return bool(gateway_of(request).settings.cookies_secure or state_of(request).get("secure", False))


def cookie_name(request: Request) -> str:
    prefix = state_of(request).get("tenant_prefix", "")
    return "__Host-spiegel_session" if _secure(request) and not prefix else "spiegel_session"


def link_cookie_name(request: Request) -> str:
    """The cookie of a respondent link opened from a page (see LINK_COOKIE)."""
    prefix = state_of(request).get("tenant_prefix", "")
    return f"__Host-{LINK_COOKIE}" if _secure(request) and not prefix else LINK_COOKIE


def cookie_path(request: Request) -> str:
    return (state_of(request).get("tenant_prefix", "") or "") + "/"


def set_session_cookie(
    response: Response, request: Request, value: str, expires_at: datetime, *, name: str | None = None
) -> None:
    response.set_cookie(
        name or cookie_name(request),
        value,
        max_age=max(0, int((expires_at - datetime.now(UTC)).total_seconds())),
        path=cookie_path(request),
        secure=_secure(request),
        httponly=True,
        samesite="lax",
    )


def clear_session_cookie(response: Response, request: Request, *, name: str | None = None) -> None:
    """Clear the cookie this request was authenticated by (or the one named)."""
    response.delete_cookie(
        name or state_of(request).get("cookie_used") or cookie_name(request),
        path=cookie_path(request),
        secure=_secure(request),
        httponly=True,
        samesite="lax",
    )


# -- authentication -------------------------------------------------------------------
async def refuse(
    request: Request,
    tenant_id: str,
    status: int,
    code: str,
    *,
    actor: str | None = None,
    roles: tuple[str, ...] | list[str] = (),
    **params: Any,
) -> ApiError:
    """An authorisation failure: audit log + structured log, then the error to raise (`code`
    and `params` as for `ApiError`: the caller reads it in their language). The audit record
    keeps the reason in English, as before, whatever the caller's language."""
    error = ApiError(status, code, **params)
    await gateway_of(request).audit.record(
        tenant_id=tenant_id,
        action=AUTHORISATION_FAILED,
        actor=actor,
        roles=roles,
        target=f"{request.method} {request.url.path}",
        outcome=status,
        ip=client_ip(request),
        correlation_id=correlation_of(request),
        detail={"reason": error.detail},
    )
    return error


async def issued_elsewhere(request: Request, owner: str | None, tenant: Tenant) -> bool:
    """A credential naming another hospital that exists, or the platform: refused (403) and
    audited. One naming no hospital at all is made up, and simply not valid (401); so is one
    whose hospital part could not be an id (checked before any look-up)."""
    if owner is None or owner == tenant.tenant_id:
        return False
    if owner == PLATFORM:
        return True
    return is_slug(owner) and await gateway_of(request).tenants.get(owner) is not None


async def authenticate(request: Request, tenant: Tenant) -> Session | None:
    state = state_of(request)
    cached = state.get("caller", False)
    if cached is not False:
        return cached  # type: ignore[no-any-return]
    gateway = gateway_of(request)
    caller: Session | None = None
    header = request.headers.get("authorization")
    if header:
        scheme, _, token = header.partition(" ")
        token = token.strip()
        if scheme.lower() == "bearer" and token.count(".") == 2 and not token.startswith(API_TOKEN_PREFIX):
            caller = await service_caller(request, tenant, token)
            state["via"] = "service"
            state["caller"] = caller
            return caller
        if scheme.lower() != "bearer" or not token.startswith(API_TOKEN_PREFIX):
            raise ApiError(401, "unsupported_authorization")
        if await issued_elsewhere(request, credential_tenant(token), tenant):
            raise await refuse(request, tenant.tenant_id, 403, "api_token_other_hospital")
        caller = await gateway.sessions.by_api_token(tenant.tenant_id, token)
        if caller is None:
            raise ApiError(401, "api_token_invalid")
        state["via"] = "bearer"
    else:
        cookies = request.cookies
        used = cookie_name(request)
        cookie = None
        if request.scope["path"].startswith(LINK_PATHS):
            link_cookie = link_cookie_name(request)
            if cookies.get(link_cookie):
                used = link_cookie
                cookie = cookies.get(link_cookie)
        cookie = cookie or cookies.get(used) or cookies.get("spiegel_session")
        state["cookie_used"] = used
        if cookie:
            if await issued_elsewhere(request, credential_tenant(cookie), tenant):
                raise await refuse(request, tenant.tenant_id, 403, "session_other_hospital")
            caller = await gateway.sessions.by_cookie(tenant.tenant_id, cookie)
            state["via"] = "cookie"
    state["caller"] = caller
    return caller


async def service_caller(request: Request, tenant: Tenant, token: str) -> Session:
    """A caller's token the gateway signed for the web service (audience `gateway`): the web pages
    call the gateway's own API (people, the hospital) as the caller. Not stored; no CSRF (no
    ambient authority)."""
    try:
        principal = gateway_of(request).caller_tokens.verify(token)
    except TokenError as error:
        log.warning("caller_token_rejected", reason=str(error), path=request.url.path)
        raise ApiError(401, "service_token_invalid") from None
    if principal.tenant_id != tenant.tenant_id:
        raise await refuse(request, tenant.tenant_id, 403, "token_other_hospital")
    claims = principal.claims
    if isinstance(claims.get("ip"), str) and claims["ip"]:
        # The browser's address as the gateway saw it when it signed the token, not the web
        # service's: what the audit log records for a change made through a page.
        state_of(request)["client_ip"] = claims["ip"]
    kind = claims.get("kind")
    return Session(
        id=f"token:{claims.get('jti', '')}",
        tenant_id=principal.tenant_id,
        kind=kind if kind in ("person", "respondent", "api_token") else "person",
        subject=principal.subject,
        roles=tuple(str(r) for r in claims.get("roles", [])),
        email=str(claims.get("email", "")),
        name=str(claims.get("name", "")),
        language=str(claims.get("lang", "nl")),
        csrf="",
        expires_at=datetime.fromtimestamp(int(claims["exp"]), UTC),
    )


def check_csrf(request: Request, caller: Session, form_token: str | None = None) -> None:
    """Refuse a cookie-authenticated state change without the session's CSRF token."""
    if request.method in SAFE_METHODS or state_of(request).get("via", "") != "cookie":
        return
    origin = request.headers.get("origin")
    if origin and origin != "null":
        host = request.headers.get("host", "")
        if urlsplit(origin).netloc.lower() != host.lower():
            raise ApiError(403, "cross_site_refused")
    given = request.headers.get(CSRF_HEADER) or form_token or ""
    if not caller.csrf or not hmac.compare_digest(given.encode(), caller.csrf.encode()):
        raise ApiError(403, "csrf_token_wrong")


async def optional_caller(request: Request, tenant: CurrentTenant) -> Session | None:
    return await authenticate(request, tenant)


async def refuse_link_session(request: Request, tenant: Tenant, caller: Session) -> None:
    """A respondent's link session reaches its questionnaire and nothing else (refused, audited)."""
    if caller.kind == "respondent":
        raise await refuse(
            request,
            tenant.tenant_id,
            403,
            "link_opens_only_questionnaire",
            actor=caller.subject,
            roles=caller.roles,
        )


async def signed_in(request: Request, tenant: CurrentTenant) -> Session:
    """A signed-in person (not a respondent link); state changes checked for CSRF."""
    caller = await authenticate(request, tenant)
    if caller is None:
        raise ApiError(401, "sign_in_first")
    await refuse_link_session(request, tenant, caller)
    check_csrf(request, caller)
    return caller


OptionalCaller = Annotated[Session | None, Depends(optional_caller)]
SignedIn = Annotated[Session, Depends(signed_in)]


def require_roles(*roles: str) -> Any:
    async def dependency(request: Request, caller: SignedIn, tenant: CurrentTenant) -> Session:
        if not set(caller.roles) & set(roles):
            raise await refuse(
                request,
                tenant.tenant_id,
                403,
                "role_required",
                actor=caller.subject,
                roles=caller.roles,
                needed=", ".join(roles),
            )
        return caller

    return Depends(dependency)
