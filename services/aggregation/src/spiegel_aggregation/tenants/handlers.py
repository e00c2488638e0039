"""The gateway's TenantConfigured: the tenant's anonymity threshold (the highest revision wins)."""

from __future__ import annotations

from collections.abc import Mapping

from spiegel.gateway.v1 import events_pb2
from spiegel_platform import anonymity
from spiegel_platform.events import Handler, ReceivedEvent

from spiegel_aggregation.settings import AggregationRuntime
from spiegel_aggregation.tenants.store import CONFIG
from spiegel_aggregation.wiring import Aggregation


def handlers(runtime: AggregationRuntime) -> Mapping[str, Handler]:
    stores = Aggregation.of(runtime).stores

    async def tenant_configured(event: ReceivedEvent) -> None:
        configured: events_pb2.TenantConfigured = event.payload
        # Each revision is kept under its number ($set: idempotent, order-independent);
        # readers take the highest.
        revision = int(configured.revision)
        await stores.tenant(event.tenant_id).tenants.apply_idempotent(
            CONFIG,
            event.event_id,
            {
                "$set": {
                    f"revisions.{revision}": {
                        "min_group_size": anonymity.threshold(configured.min_group_size),
                        "slug": configured.slug,
                    }
                },
                "$max": {"revision": revision},
            },
        )

    return {"spiegel.gateway.v1.TenantConfigured": tenant_configured}
