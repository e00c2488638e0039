"""The gateway's PersonRegistered: each person's display name, kept in `people`.

A group plan names people by id (its members, its contact person, its actions' owners, the
authors of its history). Whoever may read the plan (its group's members, or the facilitator of
the group's Groepsmonitor session during the session and `EDIT_MARGIN` after) gets their display
names with it, from this copy (`people/directory.py`), so no reader needs the gateway's
`/groups/{id}` (members only) and nobody's reading rights change. Only the display name and the
revision are kept: never the e-mail address, roles or anything else of the event.

Idempotent by revision: one conditional write on the person's own document over an older
revision (or a unique insert of the first), so a redelivered or late event changes nothing and
the newest revision wins whatever the order of arrival.
"""

from __future__ import annotations

from collections.abc import Mapping

from spiegel.gateway.v1 import events_pb2 as gateway
from spiegel_platform.events import Handler, PermanentError, ReceivedEvent

from spiegel_action_plan.settings import ActionPlanRuntime
from spiegel_action_plan.storage import Store
from spiegel_action_plan.wiring import ActionPlan

EVENTS = ["spiegel.gateway.v1.PersonRegistered"]


async def apply_person(store: Store, registered: gateway.PersonRegistered) -> bool:
    """The person's display name as announced, if its revision is newer than the one kept."""
    facts = {
        "person_id": registered.person_id,
        "display_name": registered.display_name,
        "revision": int(registered.revision),
    }
    return await store.people.keep_newest(registered.person_id, facts, version="revision")


def handlers(runtime: ActionPlanRuntime) -> Mapping[str, Handler]:
    stores = ActionPlan.of(runtime).stores

    async def person_registered(event: ReceivedEvent) -> None:
        registered: gateway.PersonRegistered = event.payload
        if not registered.person_id:
            raise PermanentError("PersonRegistered without person_id")
        await apply_person(stores.tenant(event.tenant_id), registered)

    return {EVENTS[0]: person_registered}
