"""The operator API (hospitals) on the platform host, and a hospital's own settings on its host."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, BackgroundTasks, Query, Request
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from spiegel_platform.auth import roles
from spiegel_platform.errors import ApiError

from spiegel_gateway.audit.log import TENANT_CHANGED, TENANT_CREATED, TENANT_REACTIVATED, TENANT_SUSPENDED
from spiegel_gateway.operator.overview import overview
from spiegel_gateway.operator.status import ServiceStatus, platform_status
from spiegel_gateway.people.api import register_person
from spiegel_gateway.people.model import PersonIn, PersonOut
from spiegel_gateway.sessions.auth import client_ip, correlation_of, gateway_of, require_roles
from spiegel_gateway.sessions.store import Session
from spiegel_gateway.signin.local import send_verification
from spiegel_gateway.tenants.model import (
    ACTIVE,
    PLATFORM,
    SUSPENDED,
    TenantIn,
    TenantOut,
    TenantOverview,
    TenantPatch,
    is_slug,
)
from spiegel_gateway.tenants.resolution import CurrentTenant
from spiegel_gateway.tenants.store import Tenant, TenantConflict, TenantInvalid

Operator = require_roles(roles.OPERATOR)
Staff = require_roles(roles.TENANT_ADMIN, roles.COORDINATOR, roles.SPECIALIST, roles.FACILITATOR)
TenantAdmin = require_roles(roles.TENANT_ADMIN)


class AuditEntry(BaseModel):
    id: str
    at: Any
    action: str
    actor: str | None
    roles: list[str]
    target: str
    outcome: Any
    ip: str
    correlation_id: str | None = None
    detail: dict[str, Any] | None = None


def _platform_only(tenant: Tenant) -> None:
    if not tenant.is_platform:
        raise ApiError(404, "operator_api_elsewhere")


async def _audit(
    request: Request, caller: Session, tenant_id: str, action: str, target: str, outcome: int
) -> None:
    await gateway_of(request).audit.record(
        tenant_id=tenant_id,
        action=action,
        actor=caller.subject,
        roles=caller.roles,
        target=target,
        outcome=outcome,
        ip=client_ip(request),
        correlation_id=correlation_of(request),
    )


async def _tenant_or_404(request: Request, tenant_id: str) -> Tenant:
    # An id is a host-name label: anything else names no hospital (and never reaches the storage).
    found: Tenant | None = await gateway_of(request).tenants.get(tenant_id) if is_slug(tenant_id) else None
    if found is None:
        raise ApiError(404, "hospital_not_found", tenant_id=tenant_id)
    return found


def operator_router() -> APIRouter:
    api = APIRouter(prefix="/operator", tags=["operator"])

    @api.post("/tenants", status_code=201, response_model=TenantOut)
    async def create_tenant(
        body: TenantIn, request: Request, tenant: CurrentTenant, caller: Session = Operator
    ) -> TenantOut:
        """Create a hospital. The anonymity threshold (`min_group_size`) is never below 4."""
        _platform_only(tenant)
        try:
            created = await gateway_of(request).tenants.create(body, correlation_id=correlation_of(request))
        except TenantConflict as error:
            raise ApiError(409, error.code, **error.params) from None
        except TenantInvalid as error:
            raise ApiError(422, error.code) from None
        except ValueError as error:
            raise ApiError(422, "invalid_value", problem=str(error)) from None
        gateway_of(request).counts.invalidate()
        await _audit(request, caller, PLATFORM, TENANT_CREATED, f"tenant {created.tenant_id}", 201)
        return created.out()

    @api.get("/tenants", response_model=list[TenantOut])
    async def list_tenants(
        request: Request, tenant: CurrentTenant, caller: Session = Operator
    ) -> list[TenantOut]:
        _platform_only(tenant)
        return [t.out() for t in await gateway_of(request).tenants.all()]

    @api.get("/overview", response_model=list[TenantOverview])
    async def hospitals_overview(
        request: Request, tenant: CurrentTenant, caller: Session = Operator
    ) -> list[TenantOverview]:
        """Every hospital with its status and counts (people, rounds): numbers only, no hospital's data."""
        _platform_only(tenant)
        return await overview(gateway_of(request), correlation_of(request))

    @api.get("/status", response_model=list[ServiceStatus])
    async def services_status(
        request: Request, tenant: CurrentTenant, caller: Session = Operator
    ) -> list[ServiceStatus]:
        """Each service's readiness, consumer lag, outbox backlog and dead letters (its /readyz and
        /metrics, a timeout per service: one that does not answer is shown as not reachable)."""
        _platform_only(tenant)
        return await platform_status(gateway_of(request))

    async def change_status(request: Request, caller: Session, tenant_id: str, status: str) -> TenantOut:
        await _tenant_or_404(request, tenant_id)
        gateway = gateway_of(request)
        try:
            changed, did = await gateway.tenants.set_status(
                tenant_id, status, correlation_id=correlation_of(request)
            )
        except TenantConflict as error:
            raise ApiError(409, error.code, **error.params) from None
        # Also when it was suspended already: a suspension cut short between its two steps is finished
        # by doing it again. (A suspended hospital's sessions are refused anyway; this ends them.)
        ended = await gateway.sessions.close_all_in(tenant_id) if status == SUSPENDED else 0
        if did:
            action = TENANT_SUSPENDED if status == SUSPENDED else TENANT_REACTIVATED
            # In the platform's log (the operator's act) and in the hospital's own (its admins read it).
            await _audit(request, caller, PLATFORM, action, f"tenant {tenant_id}", 200)
            await gateway.audit.record(
                tenant_id=tenant_id,
                action=action,
                actor=f"operator:{caller.subject}",
                roles=caller.roles,
                target=f"tenant {tenant_id}",
                outcome=200,
                ip=client_ip(request),
                correlation_id=correlation_of(request),
                detail={"sessions_ended": ended} if status == SUSPENDED else None,
            )
        return changed.out()

    @api.post("/tenants/{tenant_id}/suspend", response_model=TenantOut)
    async def suspend_tenant(
        tenant_id: str, request: Request, tenant: CurrentTenant, caller: Session = Operator
    ) -> TenantOut:
        """Suspend a hospital: its sessions end, sign-in, links and API tokens are refused; nothing is
        deleted (reactivating restores it all)."""
        _platform_only(tenant)
        return await change_status(request, caller, tenant_id, SUSPENDED)

    @api.post("/tenants/{tenant_id}/reactivate", response_model=TenantOut)
    async def reactivate_tenant(
        tenant_id: str, request: Request, tenant: CurrentTenant, caller: Session = Operator
    ) -> TenantOut:
        _platform_only(tenant)
        return await change_status(request, caller, tenant_id, ACTIVE)

    @api.get("/tenants/{tenant_id}", response_model=TenantOut)
    async def get_tenant(
        tenant_id: str, request: Request, tenant: CurrentTenant, caller: Session = Operator
    ) -> TenantOut:
        _platform_only(tenant)
        return (await _tenant_or_404(request, tenant_id)).out()

    @api.patch("/tenants/{tenant_id}", response_model=TenantOut)
    async def change_tenant(
        tenant_id: str, body: TenantPatch, request: Request, tenant: CurrentTenant, caller: Session = Operator
    ) -> TenantOut:
        _platform_only(tenant)
        await _tenant_or_404(request, tenant_id)
        try:
            changed = await gateway_of(request).tenants.update(
                tenant_id, body, correlation_id=correlation_of(request)
            )
        except TenantConflict as error:
            raise ApiError(409, error.code, **error.params) from None
        except TenantInvalid as error:
            raise ApiError(422, error.code) from None
        except ValueError as error:
            raise ApiError(422, "invalid_value", problem=str(error)) from None
        await _audit(request, caller, PLATFORM, TENANT_CHANGED, f"tenant {tenant_id}", 200)
        return changed.out()

    @api.post("/tenants/{tenant_id}/people", status_code=201, response_model=PersonOut)
    async def create_first_admin(
        tenant_id: str,
        body: PersonIn,
        request: Request,
        tenant: CurrentTenant,
        tasks: BackgroundTasks,
        caller: Session = Operator,
    ) -> PersonOut:
        """Register a person in a hospital (typically its first tenant admin): an explicit, audited act.

        Asked again for an administrator of the hospital who has not activated the account yet
        (the first mail was lost): the activation mail is sent again (200, the same person). Any
        other person with that address stays a 409 `email_taken`: an operator reaches no more."""
        _platform_only(tenant)
        target = await _tenant_or_404(request, tenant_id)
        try:
            person = await register_person(
                request,
                target,
                body,
                actor=f"operator:{caller.subject}",
                actor_roles=caller.roles,
                tasks=tasks,
            )
        except ApiError as error:
            existing = await gateway_of(request).people.by_email(target.tenant_id, str(body.email))
            if (
                error.code != "email_taken"
                or existing is None
                or not existing.active
                or existing.email_verified
                or roles.TENANT_ADMIN not in existing.roles
            ):
                raise
            tasks.add_task(send_verification, request, target, existing)
            await _audit(
                request,
                caller,
                PLATFORM,
                "operator.activation_resent",
                f"{tenant_id} person {existing.person_id}",
                200,
            )
            return JSONResponse(jsonable_encoder(existing.out()), status_code=200)  # type: ignore[return-value]
        gateway_of(request).counts.invalidate()
        await _audit(
            request,
            caller,
            PLATFORM,
            "operator.person_created",
            f"{tenant_id} person {person.person_id}",
            201,
        )
        return person.out()

    @api.get("/audit", response_model=list[AuditEntry])
    async def platform_audit(
        request: Request,
        tenant: CurrentTenant,
        caller: Session = Operator,
        limit: int = Query(100, ge=1, le=1000),
        before: str | None = Query(None, max_length=40),
        action: str | None = Query(None, max_length=60),
    ) -> list[dict[str, Any]]:
        _platform_only(tenant)
        return await gateway_of(request).audit.entries(PLATFORM, limit=limit, before=before, action=action)  # type: ignore[no-any-return]

    return api


def tenant_router() -> APIRouter:
    api = APIRouter(tags=["hospital"])

    @api.get("/tenant", response_model=TenantOut)
    async def own_tenant(tenant: CurrentTenant, caller: Session = Staff) -> TenantOut:
        """This hospital's settings."""
        return tenant.out()

    @api.patch("/tenant", response_model=TenantOut)
    async def change_own_tenant(
        body: TenantPatch, request: Request, tenant: CurrentTenant, caller: Session = TenantAdmin
    ) -> TenantOut:
        """Change this hospital's settings (tenant admins); the threshold is never below 4."""
        try:
            changed = await gateway_of(request).tenants.update(
                tenant.tenant_id, body, correlation_id=correlation_of(request)
            )
        except TenantConflict as error:
            raise ApiError(409, error.code, **error.params) from None
        except TenantInvalid as error:
            raise ApiError(422, error.code) from None
        except ValueError as error:
            raise ApiError(422, "invalid_value", problem=str(error)) from None
        await _audit(request, caller, tenant.tenant_id, TENANT_CHANGED, f"tenant {tenant.tenant_id}", 200)
        return changed.out()

    @api.get("/audit", response_model=list[AuditEntry])
    async def tenant_audit(
        request: Request,
        tenant: CurrentTenant,
        caller: Session = TenantAdmin,
        limit: int = Query(100, ge=1, le=1000),
        before: str | None = Query(None, max_length=40),
        action: str | None = Query(None, max_length=60),
    ) -> list[dict[str, Any]]:
        """This hospital's audit log, newest first (tenant admins)."""
        return await gateway_of(request).audit.entries(  # type: ignore[no-any-return]
            tenant.tenant_id, limit=limit, before=before, action=action
        )

    return api
