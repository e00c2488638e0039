"""A hospital's people: registered by its tenant admins and coordinators (never by signing in)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from fastapi import APIRouter, BackgroundTasks, Query, Request, Response
from spiegel_platform import mail_limits
from spiegel_platform.auth import roles
from spiegel_platform.errors import ApiError
from spiegel_platform.i18n import language_of, translator

from spiegel_gateway.audit.log import PERSON_CHANGED, PERSON_CREATED
from spiegel_gateway.people import activation_mails
from spiegel_gateway.people.model import STATUSES, TENANT_ROLES, PersonIn, PersonOut, PersonPatch, may_grant
from spiegel_gateway.people.store import Person, PersonConflict
from spiegel_gateway.sessions.auth import client_ip, correlation_of, gateway_of, refuse, require_roles
from spiegel_gateway.sessions.store import Session
from spiegel_gateway.signin.local import send_verification
from spiegel_gateway.signin.passwords import hash_password_async
from spiegel_gateway.tenants.resolution import CurrentTenant
from spiegel_gateway.tenants.store import Tenant

Managers = require_roles(roles.TENANT_ADMIN, roles.COORDINATOR)


async def register_person(
    request: Request,
    tenant: Tenant,
    body: PersonIn,
    *,
    actor: str,
    actor_roles: tuple[str, ...] | list[str],
    tasks: BackgroundTasks,
) -> Person:
    """Create a person and send the verification e-mail (shared by the operator API)."""
    gateway = gateway_of(request)
    password_hash = await hash_password_async(body.password) if body.password else None
    try:
        person = await gateway.people.create(
            tenant.tenant_id,
            display_name=body.display_name,
            email=str(body.email),
            roles=list(body.roles),
            language=body.language,
            password_hash=password_hash,
            correlation_id=correlation_of(request),
            specialism=body.specialism,
            employment=body.employment,
            big_number=body.big_number,
        )
    except PersonConflict as error:
        raise ApiError(409, error.code, **error.params) from None
    await gateway.audit.record(
        tenant_id=tenant.tenant_id,
        action=PERSON_CREATED,
        actor=actor,
        roles=actor_roles,
        target=f"person {person.person_id}",
        outcome=201,
        ip=client_ip(request),
        correlation_id=correlation_of(request),
        detail={"roles": list(person.roles)},
    )
    tasks.add_task(send_verification, request, tenant, person)
    return person


def router() -> APIRouter:
    api = APIRouter(prefix="/people", tags=["people"])

    async def _check_grant(request: Request, tenant: Tenant, caller: Session, wanted: list[str]) -> None:
        if not may_grant(set(caller.roles), wanted):
            raise await refuse(
                request,
                tenant.tenant_id,
                403,
                "roles_not_grantable",
                actor=caller.subject,
                roles=caller.roles,
                wanted=", ".join(sorted(wanted)),
            )

    async def _person_or_404(request: Request, tenant: Tenant, person_id: str) -> Person:
        person = await gateway_of(request).people.get(tenant.tenant_id, person_id)
        if person is None:
            raise ApiError(404, "person_not_found", person_id=person_id)
        return person

    async def _check_still_allowed(request: Request, tenant: Tenant, caller: Session) -> None:
        """The caller's own record as it is now: their session may predate a change that just
        took a role from them or switched them off (ending their sessions is too late for a
        request already under way)."""
        me = await gateway_of(request).people.get(tenant.tenant_id, caller.subject)
        if me is None or not me.active or set(me.roles) != set(caller.roles):
            raise await refuse(
                request,
                tenant.tenant_id,
                403,
                "roles_changed_sign_in_again",
                actor=caller.subject,
                roles=caller.roles,
            )

    async def _check_an_administrator_stays(
        request: Request, tenant: Tenant, person: Person, change: dict[str, Any]
    ) -> None:
        admin = roles.TENANT_ADMIN
        stays_admin = change.get("active", person.active) and admin in change.get("roles", person.roles)
        if person.active and admin in person.roles and not stays_admin:
            admins = await gateway_of(request).people.active_with_role(tenant.tenant_id, admin, limit=2)
            if not [p for p in admins if p.person_id != person.person_id]:
                raise ApiError(409, "last_administrator")

    @api.get("", response_model=list[PersonOut])
    async def list_people(
        request: Request,
        response: Response,
        tenant: CurrentTenant,
        q: str = Query("", max_length=200, description="part of the name or the e-mail address"),
        role: str | None = Query(None, description="holding this role"),
        status: str | None = Query(None, description="active, inactive or not_activated"),
        group: str | None = Query(None, max_length=64, description="a group's id: its current members"),
        offset: int = Query(0, ge=0, le=1_000_000),
        limit: int = Query(1000, ge=1, le=1000),
        caller: Session = Managers,
    ) -> list[PersonOut]:
        """The hospital's people by name (tenant admins and coordinators): a search, filters and a
        page of it; `X-Total-Count` says how many match in all."""
        if role is not None and role not in TENANT_ROLES:
            raise ApiError(422, "invalid_filter", field="role", allowed=", ".join(TENANT_ROLES))
        if status is not None and status not in STATUSES:
            raise ApiError(422, "invalid_filter", field="status", allowed=", ".join(STATUSES))
        gateway = gateway_of(request)
        members = None
        if group is not None:
            found = await gateway.groups.get(tenant.tenant_id, group)
            if found is None:  # another hospital's group is unknown here
                raise ApiError(404, "group_not_found", group_id=group)
            members = list(found.members)
        people, total = await gateway.people.search(
            tenant.tenant_id, query=q, role=role, status=status, ids=members, offset=offset, limit=limit
        )
        response.headers["x-total-count"] = str(total)
        return [p.out() for p in people]

    @api.post("", status_code=201, response_model=PersonOut)
    async def create_person(
        body: PersonIn,
        request: Request,
        tenant: CurrentTenant,
        tasks: BackgroundTasks,
        caller: Session = Managers,
    ) -> PersonOut:
        """Register a person; they get an e-mail to confirm their address and choose a password."""
        await _check_grant(request, tenant, caller, list(body.roles))
        person = await register_person(
            request, tenant, body, actor=caller.subject, actor_roles=caller.roles, tasks=tasks
        )
        return person.out()

    @api.get("/{person_id}", response_model=PersonOut)
    async def get_person(
        person_id: str, request: Request, tenant: CurrentTenant, caller: Session = Managers
    ) -> PersonOut:
        return (await _person_or_404(request, tenant, person_id)).out()

    @api.patch("/{person_id}", response_model=PersonOut)
    async def change_person(
        person_id: str, body: PersonPatch, request: Request, tenant: CurrentTenant, caller: Session = Managers
    ) -> PersonOut:
        """Change name, e-mail address, language, the profile, roles, or switch an account off or
        on; a role change or switching off ends the person's sessions and API tokens at once."""
        gateway = gateway_of(request)
        change: dict[str, Any] = body.model_dump(exclude_none=True)
        email = change.pop("email", None)
        for optional in ("specialism", "employment", "big_number"):
            if change.get(optional) == "":
                change[optional] = None  # "" clears it
        try:
            if body.roles is None and body.active is None and email is None:
                # name, language, profile: no rights change hands
                person = await _person_or_404(request, tenant, person_id)
                if not change:
                    return person.out()
                updated = await gateway.people.change(person, change, correlation_id=correlation_of(request))
            else:
                # Who holds which role is decided one change at a time, on the records as they are
                # now: two administrators demoting each other at once leave one, not none.
                async with gateway.people.role_changes(tenant.tenant_id):
                    person = await _person_or_404(request, tenant, person_id)
                    await _check_still_allowed(request, tenant, caller)
                    # Changing someone's roles, switching them off or on, or their address (where
                    # their activation and password mails go) needs the right to grant all their roles.
                    await _check_grant(
                        request, tenant, caller, list(set(person.roles) | set(body.roles or []))
                    )
                    await _check_an_administrator_stays(request, tenant, person, change)
                    if email is not None:  # unique in the hospital; their sign-in name changes with it
                        person = await gateway.people.change_email(
                            person, str(email), correlation_id=correlation_of(request)
                        )
                    updated = (
                        await gateway.people.change(person, change, correlation_id=correlation_of(request))
                        if change
                        else person
                    )
        except PersonConflict as error:  # changed meanwhile, or another role change took too long
            raise ApiError(409, error.code, **error.params) from None
        if body.roles is not None or body.active is False:
            for credential in await gateway.sessions.close_all_of(
                tenant.tenant_id, person_id, api_tokens=True
            ):
                gateway.tokens.forget(credential)
        await gateway.audit.record(
            tenant_id=tenant.tenant_id,
            action=PERSON_CHANGED,
            actor=caller.subject,
            roles=caller.roles,
            target=f"person {person_id}",
            outcome=200,
            ip=client_ip(request),
            correlation_id=correlation_of(request),
            detail={k: v for k, v in change.items() if k in ("roles", "active")}
            | ({"email": "changed"} if email is not None else {})
            or None,
        )
        return updated.out()

    @api.post("/{person_id}/verification-mail", status_code=202)
    async def resend_verification(
        person_id: str,
        request: Request,
        tenant: CurrentTenant,
        tasks: BackgroundTasks,
        caller: Session = Managers,
    ) -> dict[str, str]:
        person = await _person_or_404(request, tenant, person_id)
        interval = timedelta(minutes=tenant.activation_mail_interval_minutes)
        claims = gateway_of(request).stores.tenant(tenant.tenant_id).people_claims
        refused = await activation_mails.claim(claims, person, interval)
        if refused == mail_limits.MAX_REACHED:
            raise ApiError(409, "activation_mail_max_reached", most=activation_mails.MOST_PER_ADDRESS)
        if refused is not None:
            raise ApiError(409, "activation_mail_too_soon", minutes=tenant.activation_mail_interval_minutes)
        tasks.add_task(send_verification, request, tenant, person)
        texts = translator(language_of(request.headers), ("spiegel_gateway",))
        return {"code": "verification_mail_sent", "message": texts.gettext("message.verification_mail_sent")}

    return api
