"""The gateway's people and hospitals: the copy the RGS declarations need.

A declaration names the specialist, their specialism, their hospital and the facilitator, and
its form follows the specialist's employment (employed or self-employed). The gateway owns
people and hospitals and announces them (`PersonRegistered`, `TenantConfigured`); this service
keeps what it needs (never the e-mail address, which it has no use for), each event one `$set`
on the person's or hospital's own document (`apply_idempotent`), skipped when an event of a
higher revision was applied already (the gateway's revision: the latest wins, whatever the order
of delivery).
"""

from __future__ import annotations

from collections.abc import Mapping

from spiegel.gateway.v1 import events_pb2 as gateway
from spiegel_platform.events import Handler, PermanentError, ReceivedEvent

from spiegel_accreditation.settings import AccreditationRuntime
from spiegel_accreditation.wiring import Accreditation

EVENTS = ["spiegel.gateway.v1.PersonRegistered", "spiegel.gateway.v1.TenantConfigured"]


def handlers(runtime: AccreditationRuntime) -> Mapping[str, Handler]:
    stores = Accreditation.of(runtime).stores

    async def person(event: ReceivedEvent) -> None:
        payload: gateway.PersonRegistered = event.payload
        if not payload.person_id:
            raise PermanentError("PersonRegistered without person_id")
        people = stores.tenant(event.tenant_id).people
        current = await people.get(payload.person_id) or {}
        if int(current.get("revision") or 0) > payload.revision:
            return
        await people.apply_idempotent(
            payload.person_id,
            event.event_id,
            {
                "$set": {
                    "display_name": payload.display_name,
                    "roles": list(payload.roles),
                    "language": payload.language or "nl",
                    "specialism": payload.specialism,
                    "employment": payload.employment,
                    "active": payload.active,
                    "revision": payload.revision,
                }
            },
        )

    async def hospital(event: ReceivedEvent) -> None:
        payload: gateway.TenantConfigured = event.payload
        hospitals = stores.tenant(event.tenant_id).hospitals
        current = await hospitals.get(event.tenant_id) or {}
        if int(current.get("revision") or 0) > payload.revision:
            return
        await hospitals.apply_idempotent(
            event.tenant_id,
            event.event_id,
            {"$set": {"slug": payload.slug, "name": payload.name, "revision": payload.revision}},
        )

    return {EVENTS[0]: person, EVENTS[1]: hospital}
