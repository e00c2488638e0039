"""The OpenID Connect routes: /auth/oidc/login starts, /auth/oidc/callback finishes.

`POST /auth/oidc/sign` starts a re-authentication for signing a declaration; its callback is the
same (the flow says what it is for): signin/oidc_signing.py.

A person signs in with the hospital's identity provider only if the hospital
already knows them: by an earlier link of (issuer, subject), or on the first
sign-in by the e-mail address in the ID token when the provider marks it
verified (the hospital's own provider is trusted for its own addresses). No
account is created by signing in: coordinators register people.

The platform's own address (operators) has a provider when the gateway's
settings name one (PLATFORM_OIDC_*): the same flow, in the platform scope, where
the only accounts are operators' (made with `spiegel_gateway operator create`).
"""

from __future__ import annotations

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse, Response
from spiegel_pages.look import PageError
from spiegel_platform.auth import roles
from spiegel_platform.errors import ApiError, Text, message_key
from spiegel_platform.i18n import language_of, registered_packages, translator

from spiegel_gateway.links import tenant_base_url
from spiegel_gateway.sessions.auth import client_ip, cookie_path, gateway_of, set_session_cookie
from spiegel_gateway.signin import oidc_signing
from spiegel_gateway.signin.oidc import OidcError
from spiegel_gateway.tenants.resolution import CurrentTenant
from spiegel_gateway.tenants.store import Tenant

FLOW_COOKIE = "spiegel_oidc"


def safe_next(value: str | None) -> str:
    """Only a path on this site (no //host, no scheme): no open redirect."""
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return "/"
    return value


def as_page(request: Request, error: ApiError) -> Exception:
    """A browser (back from the provider) reads a refusal as a page in its language; other callers
    keep the JSON answer."""
    if "text/html" not in request.headers.get("accept", ""):
        return error
    translate = translator(language_of(request.headers), registered_packages()).gettext
    message = Text(message_key(error.code), **error.params).render(translate)
    return PageError(error.status_code, str(message))


def router() -> APIRouter:
    api = APIRouter(prefix="/auth/oidc", tags=["sign-in"])

    def redirect_uri(request: Request, tenant: Tenant) -> str:
        return f"{tenant_base_url(gateway_of(request).settings, tenant)}/auth/oidc/callback"

    @api.get("/login", response_class=RedirectResponse, status_code=302)
    async def oidc_login(
        request: Request, tenant: CurrentTenant, next: str | None = Query(None, max_length=500)
    ) -> RedirectResponse:
        """Start signing in with the hospital's identity provider (302 to the provider)."""
        try:
            return await _login(request, tenant, next)
        except ApiError as error:
            raise as_page(request, error) from None

    @api.get("/callback", response_class=RedirectResponse, status_code=303)
    async def oidc_callback(request: Request, tenant: CurrentTenant) -> Response:
        """The provider sends the browser back here with a code; on success: the session cookie."""
        try:
            return await _callback(request, tenant)
        except ApiError as error:
            raise as_page(request, error) from None

    @api.post("/sign", response_class=RedirectResponse, status_code=302)
    async def oidc_sign(request: Request, tenant: CurrentTenant) -> RedirectResponse:
        """Sign a declaration by signing in again with the hospital's identity provider (a form:
        `session`, `person`, `csrf_token`; 302 to the provider with prompt=login, max_age=0;
        signin/oidc_signing.py)."""
        try:
            url, binding = await oidc_signing.start(
                request, tenant, redirect_uri=redirect_uri(request, tenant)
            )
        except OidcError as error:
            raise as_page(request, ApiError(error.status, error.code, **error.params)) from None
        except ApiError as error:
            raise as_page(request, error) from None
        response = RedirectResponse(url, status_code=302)
        _flow_cookie(response, request, binding)
        return response

    def _flow_cookie(response: RedirectResponse, request: Request, binding: str) -> None:
        response.set_cookie(
            FLOW_COOKIE,
            binding,
            max_age=600,
            path=cookie_path(request) + "auth/oidc",
            secure=bool(
                gateway_of(request).settings.cookies_secure or getattr(request.state, "secure", False)
            ),
            httponly=True,
            samesite="lax",
        )

    async def _login(request: Request, tenant: Tenant, next: str | None) -> RedirectResponse:
        gateway = gateway_of(request)
        if not tenant.identity_provider:
            raise ApiError(404, "password_signin_only")
        gateway.limiter.hit(gateway.policies.signin_ip, client_ip(request))
        try:
            started = await gateway.oidc.start(
                tenant.tenant_id,
                tenant.identity_provider,
                redirect_uri=redirect_uri(request, tenant),
                next_path=safe_next(next),
            )
        except OidcError as error:
            raise ApiError(error.status, error.code, **error.params) from None
        response = RedirectResponse(started.authorization_url, status_code=302)
        _flow_cookie(response, request, started.browser_binding)
        return response

    async def _callback(request: Request, tenant: Tenant) -> Response:
        gateway = gateway_of(request)
        if not tenant.identity_provider:
            raise ApiError(404, "password_signin_only")
        gateway.limiter.hit(gateway.policies.signin_ip, client_ip(request))
        idp = tenant.identity_provider
        secret = (
            gateway.settings.platform_client_secret()
            if tenant.is_platform
            else gateway.tenants.client_secret(tenant)
        )
        try:
            claims, flow = await gateway.oidc.finish(
                tenant.tenant_id,
                idp,
                secret,
                params=dict(request.query_params),
                binding=request.cookies.get(FLOW_COOKIE),
            )
        except OidcError as error:
            raise ApiError(error.status, error.code, **error.params) from None
        if flow.get("purpose") == oidc_signing.PURPOSE:
            # A signing: the same verified ID token, then that one declaration (not a new session).
            return await oidc_signing.finish(request, tenant, claims, flow, FLOW_COOKIE)
        next_path = str(flow["next"])
        people = gateway.people
        person = await people.by_identity(tenant.tenant_id, idp["issuer"], claims["sub"])
        if person is None and claims.get("email") and claims.get("email_verified") is True:
            person = await people.by_email(tenant.tenant_id, str(claims["email"]))
            if person is not None and not (tenant.is_platform and roles.OPERATOR not in person.roles):
                await people.link_identity(person, idp["issuer"], str(claims["sub"]))
        if tenant.is_platform and person is not None and roles.OPERATOR not in person.roles:
            person = None
        if person is None:
            # On the platform's address only operator accounts exist (people in the platform scope,
            # whose only role is operator): nobody gets a hospital role this way.
            raise ApiError(403, "no_operator_account" if tenant.is_platform else "no_account_here")
        if not person.active:
            raise ApiError(403, "account_switched_off")
        if not person.email_verified:
            await people.mark_verified(person)  # the hospital's provider vouches for the address
        cookie, session = await gateway.sessions.open(
            person, lifetime=gateway.session_lifetime, method="oidc"
        )
        prefix = getattr(request.state, "tenant_prefix", "")
        response = RedirectResponse(prefix + next_path, status_code=303)
        set_session_cookie(response, request, cookie, session.expires_at)
        response.delete_cookie(FLOW_COOKIE, path=cookie_path(request) + "auth/oidc")
        return response

    return api
