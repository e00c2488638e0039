"""A hospital's groups (vakgroepen, maatschappen): managed by its tenant admins and
coordinators; a specialist reads the groups they are a member of; nobody else reads them.

A group another hospital holds, or one a specialist is not in, is answered as unknown (404),
so ids cannot be probed.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from spiegel_platform.auth import roles
from spiegel_platform.errors import ApiError, Text

from spiegel_gateway.audit.log import GROUP_CHANGED, GROUP_CREATED
from spiegel_gateway.groups.model import (
    MAX_NAME,
    MAX_SPECIALISM,
    GroupIn,
    GroupOut,
    GroupPatch,
    HistoryOut,
    HistoryPage,
    MemberIn,
    MemberOut,
    MembersOn,
    text_problem,
)
from spiegel_gateway.groups.store import Group, GroupConflict
from spiegel_gateway.sessions.auth import client_ip, correlation_of, gateway_of, require_roles
from spiegel_gateway.sessions.store import Session
from spiegel_gateway.tenants.resolution import CurrentTenant
from spiegel_gateway.tenants.store import Tenant

Managers = require_roles(roles.TENANT_ADMIN, roles.COORDINATOR)
Readers = require_roles(roles.TENANT_ADMIN, roles.COORDINATOR, roles.SPECIALIST)


def _manages(caller: Session) -> bool:
    return bool(set(caller.roles) & set(roles.COORDINATING))


def _invalid(field: str, reason: Text) -> ApiError:
    return ApiError(
        422,
        "invalid_group_field",
        field=Text(f"label.group.{field}", package="spiegel_gateway"),
        reason=reason,
        extra={"field": field},
    )


def _check_text(field: str, value: str | None, limit: int, *, required: bool) -> None:
    if value is None:
        return
    problem = text_problem(value, limit=limit, required=required)
    if problem is not None:
        raise _invalid(field, problem)


async def _names(request: Request, tenant: Tenant, person_ids: set[str]) -> dict[str, str]:
    # From the hospital's people list as this process holds it: one read per change of people,
    # not one per member (a group list of thousands of members).
    return await gateway_of(request).people.names_by_id(tenant.tenant_id, person_ids)


async def _check_members(request: Request, tenant: Tenant, person_ids: list[str], field: str) -> None:
    """Every one an active specialist of this hospital (another hospital's id is unknown here)."""
    found = await gateway_of(request).people.many(tenant.tenant_id, person_ids)
    for person_id in person_ids:
        person = found.get(person_id)
        if person is None:
            raise _invalid(field, Text("reason.no_person_here", package="spiegel_gateway", id=person_id))
        if roles.SPECIALIST not in person.roles or not person.active:
            raise _invalid(
                field,
                Text("reason.not_an_active_specialist", package="spiegel_gateway", name=person.display_name),
            )


async def _check_contact(request: Request, tenant: Tenant, person_id: str | None) -> None:
    if not person_id:
        return
    person = await gateway_of(request).people.get(tenant.tenant_id, person_id)
    if person is None or not person.active:
        raise _invalid(
            "contact_person_id", Text("reason.no_person_here", package="spiegel_gateway", id=person_id)
        )


async def group_out(request: Request, tenant: Tenant, group: Group) -> GroupOut:
    ids = set(group.members) | ({group.contact_person_id} if group.contact_person_id else set())
    names = await _names(request, tenant, ids)
    return GroupOut(
        group_id=group.group_id,
        name=group.name,
        kind=group.kind,
        specialism=group.specialism,
        contact_person_id=group.contact_person_id,
        contact_name=names.get(group.contact_person_id or ""),
        members=[MemberOut(person_id=p, display_name=names.get(p, "")) for p in group.members],
        revision=group.revision,
    )


def router() -> APIRouter:
    api = APIRouter(prefix="/groups", tags=["groups"])

    async def _group_or_404(request: Request, tenant: Tenant, caller: Session, group_id: str) -> Group:
        group = await gateway_of(request).groups.get(tenant.tenant_id, group_id)
        if group is None or (not _manages(caller) and caller.subject not in group.members):
            raise ApiError(404, "group_not_found", group_id=group_id)
        return group

    async def _audit(
        request: Request, tenant: Tenant, caller: Session, action: str, group: Group, **detail: Any
    ) -> None:
        await gateway_of(request).audit.record(
            tenant_id=tenant.tenant_id,
            action=action,
            actor=caller.subject,
            roles=caller.roles,
            target=f"group {group.group_id}",
            outcome=200,
            ip=client_ip(request),
            correlation_id=correlation_of(request),
            detail=detail or None,
        )

    @api.get("", response_model=list[GroupOut])
    async def list_groups(
        request: Request,
        tenant: CurrentTenant,
        brief: bool = Query(False, description="each group without its members (a choice of group)"),
        member: str | None = Query(None, max_length=64, description="only the groups this person is in"),
        caller: Session = Readers,
    ) -> list[GroupOut]:
        """The hospital's groups (tenant admins and coordinators); a specialist's own groups."""
        store = gateway_of(request).groups
        if _manages(caller):
            groups = await (
                store.groups_of(tenant.tenant_id, member)
                if member
                else (store.briefly(tenant.tenant_id) if brief else store.all(tenant.tenant_id))
            )
        else:
            groups = await store.groups_of(tenant.tenant_id, caller.subject)
        if brief:
            return [
                GroupOut(
                    group_id=g.group_id,
                    name=g.name,
                    kind=g.kind,
                    specialism=g.specialism,
                    contact_person_id=g.contact_person_id,
                    members=[],
                    revision=g.revision,
                )
                for g in groups
            ]
        return [await group_out(request, tenant, g) for g in groups]

    @api.post("", status_code=201, response_model=GroupOut)
    async def create_group(
        body: GroupIn, request: Request, tenant: CurrentTenant, caller: Session = Managers
    ) -> GroupOut:
        """A new group; its name is unique in the hospital (whatever its case)."""
        _check_text("name", body.name, MAX_NAME, required=True)
        _check_text("specialism", body.specialism, MAX_SPECIALISM, required=False)
        await _check_members(request, tenant, body.member_person_ids, "member_person_ids")
        await _check_contact(request, tenant, body.contact_person_id)
        try:
            group = await gateway_of(request).groups.create(
                tenant.tenant_id,
                name=body.name,
                kind=body.kind,
                specialism=body.specialism,
                contact_person_id=body.contact_person_id,
                members=body.member_person_ids,
                by=caller.subject,
                correlation_id=correlation_of(request),
            )
        except GroupConflict as error:
            raise ApiError(409, error.code, extra={"field": "name"}, **error.params) from None
        await _audit(request, tenant, caller, GROUP_CREATED, group)
        return await group_out(request, tenant, group)

    @api.get("/{group_id}", response_model=GroupOut)
    async def get_group(
        group_id: str, request: Request, tenant: CurrentTenant, caller: Session = Readers
    ) -> GroupOut:
        return await group_out(request, tenant, await _group_or_404(request, tenant, caller, group_id))

    @api.patch("/{group_id}", response_model=GroupOut)
    async def change_group(
        group_id: str, body: GroupPatch, request: Request, tenant: CurrentTenant, caller: Session = Managers
    ) -> GroupOut:
        """Change name, kind, specialism or contact person (`""` removes the contact person)."""
        await _group_or_404(request, tenant, caller, group_id)
        _check_text("name", body.name, MAX_NAME, required=True)
        _check_text("specialism", body.specialism, MAX_SPECIALISM, required=False)
        await _check_contact(request, tenant, body.contact_person_id)
        try:
            group = await gateway_of(request).groups.change(
                tenant.tenant_id,
                group_id,
                name=body.name,
                kind=body.kind,
                specialism=body.specialism,
                contact_person_id=body.contact_person_id,
                by=caller.subject,
                correlation_id=correlation_of(request),
            )
        except GroupConflict as error:
            raise ApiError(409, error.code, extra={"field": "name"}, **error.params) from None
        if group is None:
            raise ApiError(404, "group_not_found", group_id=group_id)
        await _audit(request, tenant, caller, GROUP_CHANGED, group)
        return await group_out(request, tenant, group)

    @api.post("/{group_id}/members", response_model=GroupOut)
    async def add_member(
        group_id: str, body: MemberIn, request: Request, tenant: CurrentTenant, caller: Session = Managers
    ) -> GroupOut:
        """Add a specialist of this hospital (no change when they are a member already)."""
        await _group_or_404(request, tenant, caller, group_id)
        await _check_members(request, tenant, [body.person_id], "person_id")
        try:
            group = await gateway_of(request).groups.add_member(
                tenant.tenant_id,
                group_id,
                body.person_id,
                by=caller.subject,
                correlation_id=correlation_of(request),
            )
        except GroupConflict as error:
            raise ApiError(409, error.code, **error.params) from None
        if group is None:
            raise ApiError(404, "group_not_found", group_id=group_id)
        await _audit(request, tenant, caller, GROUP_CHANGED, group, joined=body.person_id)
        return await group_out(request, tenant, group)

    @api.delete("/{group_id}/members/{person_id}", response_model=GroupOut)
    async def remove_member(
        group_id: str, person_id: str, request: Request, tenant: CurrentTenant, caller: Session = Managers
    ) -> GroupOut:
        """Remove a member (kept in the history with the date they left)."""
        await _group_or_404(request, tenant, caller, group_id)
        try:
            group = await gateway_of(request).groups.remove_member(
                tenant.tenant_id,
                group_id,
                person_id,
                by=caller.subject,
                correlation_id=correlation_of(request),
            )
        except GroupConflict as error:
            raise ApiError(409, error.code, **error.params) from None
        if group is None:
            raise ApiError(404, "group_not_found", group_id=group_id)
        await _audit(request, tenant, caller, GROUP_CHANGED, group, left=person_id)
        return await group_out(request, tenant, group)

    @api.get("/{group_id}/history", response_model=HistoryPage)
    async def history(
        group_id: str, request: Request, tenant: CurrentTenant, caller: Session = Managers
    ) -> HistoryPage:
        """Every membership change, oldest first: who joined or left, when, and by whom."""
        group = await _group_or_404(request, tenant, caller, group_id)
        ids = {h.person_id for h in group.history} | {h.by for h in group.history}
        names = await _names(request, tenant, ids)
        entries = [
            HistoryOut(
                person_id=h.person_id,
                display_name=names.get(h.person_id, ""),
                change=h.change,  # type: ignore[arg-type]
                at=h.at,
                by=h.by,
                by_name=names.get(h.by, ""),
            )
            for h in group.history
        ]
        return HistoryPage(group_id=group.group_id, name=group.name, entries=entries)

    @api.get("/{group_id}/members", response_model=MembersOn)
    async def members_on(
        group_id: str,
        request: Request,
        tenant: CurrentTenant,
        caller: Session = Managers,
        on: Annotated[
            date | None, Query(description="the members at the end of this day (UTC); now when omitted")
        ] = None,
    ) -> MembersOn:
        """The members at the end of a day (from the history), or now."""
        group = await _group_or_404(request, tenant, caller, group_id)
        if on is None:
            ids = list(group.members)
        else:
            end = datetime.combine(on, time.min, tzinfo=UTC) + timedelta(days=1) - timedelta(microseconds=1)
            ids = group.members_on(end)
        names = await _names(request, tenant, set(ids))
        return MembersOn(
            group_id=group.group_id,
            name=group.name,
            on=on,
            members=[MemberOut(person_id=p, display_name=names.get(p, "")) for p in ids],
        )

    return api
