"""The gateway's TenantConfigured: the hospital's time zone, for the checks' local due moments.

One entry per settings revision (`$set`: idempotent, in any order), the highest revision wins."""

from __future__ import annotations

from collections.abc import Mapping

from spiegel.gateway.v1 import events_pb2
from spiegel_platform.events import Handler, ReceivedEvent

from spiegel_action_plan.checks.hospital import SETTINGS
from spiegel_action_plan.settings import ActionPlanRuntime
from spiegel_action_plan.wiring import ActionPlan

EVENTS = ["spiegel.gateway.v1.TenantConfigured"]


def handlers(runtime: ActionPlanRuntime) -> Mapping[str, Handler]:
    stores = ActionPlan.of(runtime).stores

    async def configured(event: ReceivedEvent) -> None:
        payload: events_pb2.TenantConfigured = event.payload
        revision = int(payload.revision)
        await stores.tenant(event.tenant_id).hospitals.apply_idempotent(
            SETTINGS,
            event.event_id,
            {"$set": {f"zones.{revision}": payload.time_zone}, "$max": {"revision": revision}},
        )

    return {EVENTS[0]: configured}
