"""What the survey service keeps of a tenant: its anonymity threshold (min_group_size)."""

from __future__ import annotations

from collections.abc import Mapping

from spiegel.gateway.v1 import events_pb2
from spiegel_platform import anonymity
from spiegel_platform.events import Handler, ReceivedEvent

from spiegel_survey.settings import SurveyRuntime
from spiegel_survey.wiring import Survey


def handlers(runtime: SurveyRuntime) -> Mapping[str, Handler]:
    stores = Survey.of(runtime).stores

    async def configured(event: ReceivedEvent) -> None:
        payload: events_pb2.TenantConfigured = event.payload
        tenants = stores.tenant(event.tenant_id).tenants
        current = await tenants.get("settings")
        # The latest revision wins; this consumer is the only writer of the document.
        if current is not None and int(current.get("revision", 0)) > payload.revision:
            return
        await tenants.apply_idempotent(
            "settings",
            event.event_id,
            {
                "$set": {
                    "revision": payload.revision,
                    "slug": payload.slug,
                    "min_group_size": anonymity.threshold(payload.min_group_size),
                    "languages": list(payload.languages),
                    "time_zone": payload.time_zone,
                }
            },
        )

    return {"spiegel.gateway.v1.TenantConfigured": configured}
