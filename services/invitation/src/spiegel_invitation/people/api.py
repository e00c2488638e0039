"""The directory and the tenant's settings over HTTP (coordinators)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, Field, field_validator
from spiegel_platform.errors import ApiError

from spiegel_invitation.access import Coordinator
from spiegel_invitation.discussions.model import MAX_DAYS_AHEAD, days_ahead_of
from spiegel_invitation.nominations.validation import check_email
from spiegel_invitation.people.directory import save_person
from spiegel_invitation.rounds.api import PolicyIn
from spiegel_invitation.settings import InvitationRuntime
from spiegel_invitation.wiring import Invitation


class PersonIn(BaseModel):
    display_name: str = Field(..., min_length=1, max_length=200)
    email: str = Field(..., max_length=320)
    roles: list[str] = Field(default_factory=list, max_length=10)
    language: str = Field("nl", pattern=r"^(nl|en)$")
    revision: int = Field(0, ge=0, le=2**63 - 1)  # stored as a BSON int64

    @field_validator("email")
    @classmethod
    def _valid(cls, value: str) -> str:
        normalised, reason = check_email(value)
        if normalised is None:
            raise ValueError(f"invalid e-mail address: {reason['en'] if reason else ''}")
        return normalised


class SettingsIn(BaseModel):
    reminders: PolicyIn | None = None
    fatigue_limit: int | None = Field(None, ge=1, le=100)
    slug: str | None = Field(None, pattern=r"^[a-z0-9-]{1,63}$", description="until the gateway announces it")
    name: str | None = Field(None, min_length=1, max_length=200)
    discussion_invitation_days_ahead: int | None = Field(
        None,
        ge=0,
        le=MAX_DAYS_AHEAD,
        description="days before a group discussion its invitations go out (0: at once when planned)",
    )


def router(runtime: InvitationRuntime) -> APIRouter:
    stores = Invitation.of(runtime).stores
    api = APIRouter(tags=["people"])

    @api.put("/people/{person_id}")
    async def put_person(person_id: str, body: PersonIn, principal: Coordinator) -> dict[str, Any]:
        store = stores.tenant(principal.tenant_id)
        applied = await save_person(store, person_id, {**body.model_dump(), "source": "coordinator"})
        if not applied:
            raise ApiError(409, "person_revision_newer")
        return {"person_id": person_id, **body.model_dump()}

    @api.get("/people/{person_id}")
    async def get_person(person_id: str, principal: Coordinator) -> dict[str, Any]:
        person = await stores.tenant(principal.tenant_id).people.get(person_id)
        if person is None:
            raise ApiError(404, "person_not_found")
        return {k: person.get(k) for k in ("id", "display_name", "email", "roles", "language", "revision")}

    @api.get("/settings")
    async def get_settings(principal: Coordinator) -> dict[str, Any]:
        tenant = await stores.tenant(principal.tenant_id).tenants.get(principal.tenant_id) or {}
        return {
            "slug": tenant.get("slug") or principal.tenant_id,
            "name": tenant.get("name") or principal.tenant_id,
            "reminders": tenant.get("reminders") or PolicyIn().model_dump(),
            "fatigue_limit": tenant.get("fatigue_limit") or 8,
            "discussion_invitation_days_ahead": days_ahead_of(tenant),
        }

    @api.put("/settings")
    async def put_settings(body: SettingsIn, principal: Coordinator) -> dict[str, Any]:
        store = stores.tenant(principal.tenant_id)
        change = {k: v for k, v in body.model_dump(exclude_none=True).items()}
        if change:
            await store.tenants.update(principal.tenant_id, {"$set": change}, upsert=True)
        return await get_settings(principal)

    return api
