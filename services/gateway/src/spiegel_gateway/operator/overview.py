"""The operators' list of hospitals: settings, status and counts (never a hospital's data).

Three reads whatever the number of hospitals: the hospitals' settings (one read of the
collection, kept by the tenant store for a few seconds like every tenant read on the request path),
the people per hospital (one aggregation in the gateway's database) and the rounds per hospital
(one call to the survey service, `GET /platform/round-counts`, with a token the gateway signs for
itself in the platform's scope: see spiegel_survey.platform). A survey that does not answer in
time leaves the rounds unknown (None) rather than the page hanging or failing.

The counts are a snapshot at most `REFRESH_S` old, made off the request path: FerretDB v1 groups
by reading every document (about 0.3 s of the database's CPU for 1,000 people, measured), which
twenty operators' pages at once must not each pay. A request that finds the snapshot old gets it
as it is and starts one refresh (never two at once); after an operator's own act in this process
(a new hospital, its first administrator, a suspension) the next list waits for fresh counts.
"""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass
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


@dataclass(frozen=True)
class Counts:
    people: dict[str, int]
    rounds: dict[str, int] | None
    at: float


class CountsSnapshot:
    REFRESH_S = 10.0

    def __init__(self, gateway: Any) -> None:
        self.gateway = gateway
        self._counts: Counts | None = None
        self._running: asyncio.Task[Counts] | None = None
        self._forced = False

    def invalidate(self) -> None:
        """The operator just changed something: the next list waits for fresh counts."""
        self._forced = True

    async def _count(self, correlation_id: str) -> Counts:
        started = time.monotonic()
        people, rounds = await asyncio.gather(
            people_counts(self.gateway), round_counts(self.gateway, correlation_id)
        )
        self._counts = Counts(people, rounds, started)
        return self._counts

    def _refresh(self, correlation_id: str) -> asyncio.Task[Counts]:
        if self._running is None or self._running.done():
            self._running = asyncio.create_task(self._count(correlation_id))
            # A failed refresh in the background is retried by the next caller, not a stray warning.
            self._running.add_done_callback(lambda task: task.cancelled() or task.exception())
        return self._running

    async def get(self, correlation_id: str) -> Counts:
        if self._counts is None or self._forced:
            self._forced = False
            return await asyncio.shield(self._refresh(correlation_id))
        if time.monotonic() - self._counts.at > self.REFRESH_S:
            self._refresh(correlation_id)  # in the background; this request gets the snapshot
        return self._counts


async def overview(gateway: Any, correlation_id: str) -> list[TenantOverview]:
    tenants, counts = await asyncio.gather(gateway.tenants.all(), gateway.counts.get(correlation_id))
    people, rounds = counts.people, counts.rounds
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
