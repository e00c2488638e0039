"""The gateway's GroupChanged: each group's members and contact person, kept in `groups`.

Who may read and edit a group's action plan is decided from this copy (a member is a person id in
`member_person_ids`), without calling the gateway. Idempotent by revision: a change is written only
over an older revision (one conditional write on the group's own document), so a redelivered or
late event (a lower or equal revision) changes nothing and the latest revision wins whatever the
order of arrival.
"""

from __future__ import annotations

from collections.abc import Mapping

from spiegel.gateway.v1 import events_pb2 as gateway
from spiegel_platform.events import Handler, PermanentError, ReceivedEvent

from spiegel_action_plan.settings import ActionPlanRuntime
from spiegel_action_plan.storage import Store
from spiegel_action_plan.wiring import ActionPlan

EVENTS = ["spiegel.gateway.v1.GroupChanged"]


async def apply_group(store: Store, changed: gateway.GroupChanged) -> bool:
    """The group as announced, if its revision is newer than the one kept; False when not."""
    revision = int(changed.revision)
    facts = {
        "group_id": changed.group_id,
        "name": changed.name,
        "kind": changed.kind,
        "specialism": changed.specialism,
        "member_person_ids": sorted(set(changed.member_person_ids)),
        "contact_person_id": changed.contact_person_id,
        "revision": revision,
    }
    return await store.groups.keep_newest(changed.group_id, facts, version="revision")


def handlers(runtime: ActionPlanRuntime) -> Mapping[str, Handler]:
    stores = ActionPlan.of(runtime).stores

    async def group_changed(event: ReceivedEvent) -> None:
        changed: gateway.GroupChanged = event.payload
        if not changed.group_id:
            raise PermanentError("GroupChanged without group_id")
        await apply_group(stores.tenant(event.tenant_id), changed)

    return {EVENTS[0]: group_changed}
