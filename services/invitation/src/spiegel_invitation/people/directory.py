"""This service's own directory of people and tenants (from the gateway's events).

The subject's e-mail address and language (for the self-evaluation and the
report-ready mail) and the to-do list come from here. Until the gateway
publishes PersonRegistered, a coordinator fills the same directory through
`PUT /people/{person_id}`; the latest revision wins either way.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from spiegel.gateway.v1 import events_pb2
from spiegel_platform import anonymity
from spiegel_platform.events import Handler, ReceivedEvent
from spiegel_platform.logging import get_logger

from spiegel_invitation.settings import InvitationRuntime
from spiegel_invitation.storage import Store
from spiegel_invitation.suspension import model as suspension
from spiegel_invitation.suspension.service import release_held_mail
from spiegel_invitation.wiring import Invitation

Document = dict[str, Any]
log = get_logger(__name__)


def email_domain(email: str) -> str:
    return email.rpartition("@")[2].strip().lower()


async def save_person(store: Store, person_id: str, fields: Document, *, event_id: str | None = None) -> bool:
    """Store a person unless a newer revision is stored; returns whether it was applied."""
    current = await store.people.get(person_id) or {}
    revision = int(fields.get("revision") or 0)
    if revision and int(current.get("revision") or 0) > revision:
        return False
    values = {**fields, "email": (fields.get("email") or "").strip(), "updated_at": datetime.now(UTC)}
    if event_id:
        await store.people.apply_idempotent(person_id, event_id, {"$set": values})
    else:
        await store.people.update(person_id, {"$set": values}, upsert=True)
    domain = email_domain(values["email"]) if "@" in values["email"] else ""
    if domain:
        await store.tenants.update(store.tenant_id, {"$addToSet": {"known_domains": domain}}, upsert=True)
    return True


def handlers(runtime: InvitationRuntime) -> Mapping[str, Handler]:
    stores = Invitation.of(runtime).stores

    async def person_registered(event: ReceivedEvent) -> None:
        person: events_pb2.PersonRegistered = event.payload
        await save_person(
            stores.tenant(event.tenant_id),
            person.person_id,
            {
                "display_name": person.display_name,
                "email": person.email,
                "roles": list(person.roles),
                "language": person.language or "nl",
                "active": person.active,
                "revision": person.revision,
                "source": "gateway",
            },
            event_id=event.event_id,
        )

    async def tenant_configured(event: ReceivedEvent) -> None:
        tenant: events_pb2.TenantConfigured = event.payload
        store = stores.tenant(event.tenant_id)
        current = await store.tenants.get(event.tenant_id) or {}
        if int(current.get("revision") or 0) > tenant.revision:
            return
        status = suspension.status_change(current, tenant.suspended, event.occurred_at)
        await store.tenants.apply_idempotent(
            event.tenant_id,
            event.event_id,
            {
                "$set": {
                    "slug": tenant.slug,
                    "name": tenant.name,
                    "languages": list(tenant.languages),
                    "time_zone": tenant.time_zone,
                    "min_group_size": anonymity.threshold(tenant.min_group_size),
                    "revision": tenant.revision,
                    **status,
                }
            },
        )
        if suspension.reactivated(current, tenant.suspended) or (
            # A redelivery after a crash between the two steps: release what is still held.
            not tenant.suspended and current.get("resumed_at") is not None
        ):
            released = await release_held_mail(store)
            if released:
                log.info("held_mail_released", tenant_id=event.tenant_id, mails=released)

    return {
        "spiegel.gateway.v1.PersonRegistered": person_registered,
        "spiegel.gateway.v1.TenantConfigured": tenant_configured,
    }
