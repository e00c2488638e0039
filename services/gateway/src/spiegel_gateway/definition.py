"""The gateway's wiring for the platform: what it stores, publishes and serves."""

from __future__ import annotations

from spiegel_platform.events.contracts import topics_of
from spiegel_platform.service import ServiceDefinition
from spiegel_platform.storage.repository import IndexSpec

from spiegel_gateway.audit.log import COLLECTION as AUDIT_COLLECTION
from spiegel_gateway.settings import GatewaySettings

DEFINITION = ServiceDefinition(
    name="gateway",
    title="Spiegel gateway",
    description="Tenants, sign-in, sessions, service tokens, routing, rate limits and the audit log.",
    settings_class=GatewaySettings,
    # TenantConfigured and PersonRegistered sit in these documents' outboxes.
    outbox_collections=["tenants", "people"],
    indexes={
        # Rare scans only: logout everywhere, a person's API tokens, the audit log page.
        "sessions": [IndexSpec([("person_id", 1)])],
        "api_tokens": [IndexSpec([("person_id", 1)])],
        AUDIT_COLLECTION: [IndexSpec([("action", 1), ("id", -1)])],
    },
    produces_topics=topics_of("spiegel.gateway.v1.TenantConfigured", "spiegel.gateway.v1.PersonRegistered"),
)
