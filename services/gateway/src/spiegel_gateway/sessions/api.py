"""The caller's own session: who am I, sign out (here or everywhere), API tokens, language."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Literal

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, Field, StrictBool
from spiegel_platform.errors import ApiError

from spiegel_gateway.audit.log import SIGNED_OUT_EVERYWHERE
from spiegel_gateway.i18n import LANG_COOKIE
from spiegel_gateway.sessions.auth import (
    OptionalCaller,
    SignedIn,
    check_csrf,
    clear_session_cookie,
    client_ip,
    correlation_of,
    gateway_of,
)
from spiegel_gateway.tenants.resolution import CurrentTenant


class SessionInfo(BaseModel):
    kind: str
    subject: str
    tenant_id: str
    tenant_name: str
    roles: list[str]
    name: str
    email: str
    language: str
    csrf_token: str | None = Field(None, description="for cookie sessions: send as X-CSRF-Token")
    expires_at: datetime


class EverywhereIn(BaseModel):
    include_api_tokens: StrictBool = False


class ApiTokenIn(BaseModel):
    name: str = Field(..., min_length=1, max_length=100)
    days: int = Field(90, ge=1, le=3650)


class ApiTokenCreated(BaseModel):
    token: str = Field(..., description="shown once; send as Authorization: Bearer <token>")
    token_id: str
    name: str
    expires_at: datetime


class ApiTokenOut(BaseModel):
    token_id: str
    name: str
    created_at: datetime
    expires_at: datetime


class LanguageIn(BaseModel):
    language: Literal["nl", "en"]


def router() -> APIRouter:
    api = APIRouter(prefix="/auth", tags=["session"])

    @api.get("/session", response_model=SessionInfo)
    async def whoami(request: Request, caller: OptionalCaller, tenant: CurrentTenant) -> SessionInfo:
        """The signed-in person (or respondent link) and the CSRF token for state changes."""
        if caller is None:
            raise ApiError(401, "not_signed_in")
        return SessionInfo(
            kind=caller.kind,
            subject=caller.subject,
            tenant_id=tenant.tenant_id,
            tenant_name=tenant.name,
            roles=list(caller.roles),
            name=caller.name,
            email=caller.email,
            language=caller.language,
            csrf_token=caller.csrf if getattr(request.state, "via", "") == "cookie" else None,
            expires_at=caller.expires_at,
        )

    @api.post("/logout", status_code=204)
    async def logout(
        request: Request, response: Response, caller: OptionalCaller, tenant: CurrentTenant
    ) -> None:
        """End this session (a respondent's too)."""
        gateway = gateway_of(request)
        if caller is not None and caller.kind != "api_token":
            check_csrf(request, caller)
            await gateway.sessions.close(tenant.tenant_id, caller.id)
            gateway.tokens.forget(caller.id)
        clear_session_cookie(response, request)
        response.status_code = 204

    @api.post("/logout-everywhere", status_code=204)
    async def logout_everywhere(
        body: EverywhereIn, request: Request, response: Response, caller: SignedIn, tenant: CurrentTenant
    ) -> None:
        """End every session of this person on every device (and, if asked, every API token)."""
        gateway = gateway_of(request)
        revoked = await gateway.sessions.close_all_of(
            tenant.tenant_id, caller.subject, api_tokens=body.include_api_tokens
        )
        for credential in revoked:
            gateway.tokens.forget(credential)
        await gateway.audit.record(
            tenant_id=tenant.tenant_id,
            action=SIGNED_OUT_EVERYWHERE,
            actor=caller.subject,
            roles=caller.roles,
            target=f"person {caller.subject}",
            outcome=len(revoked),
            ip=client_ip(request),
            correlation_id=correlation_of(request),
        )
        clear_session_cookie(response, request)
        response.status_code = 204

    @api.post("/api-tokens", status_code=201, response_model=ApiTokenCreated)
    async def create_api_token(
        body: ApiTokenIn, request: Request, caller: SignedIn, tenant: CurrentTenant
    ) -> ApiTokenCreated:
        """A personal API token with the person's roles (created from a browser session)."""
        gateway = gateway_of(request)
        if caller.kind != "person":
            raise ApiError(403, "api_tokens_from_browser")
        person = await gateway.people.get(tenant.tenant_id, caller.subject)
        if person is None or not person.active:
            raise ApiError(403, "account_off")
        days = min(body.days, gateway.settings.api_token_max_days)
        token, doc = await gateway.sessions.create_api_token(
            person, name=body.name, lifetime=timedelta(days=days)
        )
        return ApiTokenCreated(
            token=token, token_id=doc["token_id"], name=doc["name"], expires_at=doc["expires_at"]
        )

    @api.get("/api-tokens", response_model=list[ApiTokenOut])
    async def list_api_tokens(request: Request, caller: SignedIn, tenant: CurrentTenant) -> list[ApiTokenOut]:
        docs = await gateway_of(request).sessions.api_tokens_of(tenant.tenant_id, caller.subject)
        return [ApiTokenOut(**{k: d[k] for k in ApiTokenOut.model_fields}) for d in docs]

    @api.delete("/api-tokens/{token_id}", status_code=204)
    async def revoke_api_token(
        token_id: str, request: Request, caller: SignedIn, tenant: CurrentTenant
    ) -> None:
        if not await gateway_of(request).sessions.revoke_api_token(
            tenant.tenant_id, caller.subject, token_id
        ):
            raise ApiError(404, "api_token_not_found", token_id=token_id)

    @api.put("/language", status_code=204)
    async def choose_language(
        body: LanguageIn, request: Request, response: Response, caller: OptionalCaller, tenant: CurrentTenant
    ) -> None:
        """Switch the language (cookie; and the session's, when signed in)."""
        if body.language not in tenant.languages:
            raise ApiError(422, "language_not_offered", languages=", ".join(tenant.languages))
        if caller is not None and caller.kind != "api_token":
            check_csrf(request, caller)
            await gateway_of(request).sessions.language(caller, body.language)
            gateway_of(request).tokens.forget(caller.id)
        response.set_cookie(LANG_COOKIE, body.language, max_age=365 * 86400, samesite="lax", httponly=True)
        response.status_code = 204

    return api
