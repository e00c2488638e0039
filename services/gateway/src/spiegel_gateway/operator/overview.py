"""The operators' list of hospitals: settings, status and counts (never a hospital's data).

Three reads whatever the number of hospitals: the hospitals' settings (one read of the
collection), the people per hospital (one aggregation in the gateway's database) and the rounds
per hospital (one call to the survey service, `GET /platform/round-counts`, with a token the
gateway signs for itself in the platform's scope: see spiegel_survey.platform). A survey that does
not answer in time leaves the rounds unknown (None) rather than the page hanging or failing.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

from spiegel_platform.auth import roles
from spiegel_platform.logging import get_logger

from spiegel_gateway.routing.client import ServiceUnavailable
from spiegel_gateway.storage import Store
from spiegel_gateway.tenants.model import PLATFORM, TenantOverview

log = get_logger(__name__)
SURVEY = "survey"
ROUND_COUNTS_PATH = "/platform/round-counts"
ROUND_COUNTS_TIMEOUT_S = 3.0


async def people_counts(gateway: Any) -> dict[str, int]:
    rows = await gateway.stores.across_tenants(Store.people).aggregate(
        [{"$group": {"_id": "$tenant_id", "n": {"$sum": 1}}}]
    )
    return {str(row["_id"]): int(row["n"]) async for row in rows if row["_id"] != PLATFORM}


async def round_counts(gateway: Any, correlation_id: str) -> dict[str, int] | None:
    base = gateway.settings.service_url(SURVEY)
    if base is None:
        return None
    token = gateway.tokens.issue(
        cache_key="platform:round-counts",
        audience=SURVEY,
        subject="gateway:operator-overview",
        tenant_id=PLATFORM,
        roles=[roles.OPERATOR],
        extra={},
    )
    sent = {
        "authorization": f"Bearer {token}",
        "accept": "application/json",
        "x-correlation-id": correlation_id,
    }
    try:
        answer = await asyncio.wait_for(
            gateway.services.send(SURVEY, base, "GET", ROUND_COUNTS_PATH, sent=sent),
            ROUND_COUNTS_TIMEOUT_S,
        )
    except (TimeoutError, ServiceUnavailable):
        log.warning("round_counts_unavailable")
        return None
    if not answer.is_success:
        log.warning("round_counts_refused", status=answer.status_code)
        return None
    counts = json.loads(answer.content).get("counts", {})
    return {str(k): int(v) for k, v in counts.items()}


async def overview(gateway: Any, correlation_id: str) -> list[TenantOverview]:
    tenants, people, rounds = await asyncio.gather(
        gateway.tenants.all(), people_counts(gateway), round_counts(gateway, correlation_id)
    )
    return [
        TenantOverview(
            tenant_id=t.tenant_id,
            slug=t.slug,
            name=t.name,
            status=t.status,
            min_group_size=t.min_group_size,
            languages=list(t.languages),
            identity_provider=bool(t.identity_provider),
            people=people.get(t.tenant_id, 0),
            rounds=None if rounds is None else rounds.get(t.tenant_id, 0),
        )
        for t in tenants
    ]
