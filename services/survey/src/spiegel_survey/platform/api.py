"""The platform's view of the survey service: how many rounds each hospital has, and nothing else.

Why an endpoint and not a count kept by the gateway from RoundCreated: the gateway consumes no
events (it would need a consumer process, its idempotency records and a topic subscription for one
number on one page), while the survey already holds the rounds and counts them in one aggregation.
Only the gateway's own token for the operators' list reaches it (scope `platform`, role operator: no
hospital's token has that scope, and a platform-scoped token reaches no hospital's rounds), and it
answers numbers per hospital id: no titles, no people, no dates.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field
from spiegel_platform.auth import roles
from spiegel_platform.auth.dependencies import require_roles
from spiegel_platform.auth.service_tokens import Principal
from spiegel_platform.errors import ApiError

from spiegel_survey.settings import SurveyRuntime
from spiegel_survey.storage import Store
from spiegel_survey.wiring import Survey


async def _platform(principal: Annotated[Principal, Depends(require_roles(roles.OPERATOR))]) -> Principal:
    if principal.tenant_id != roles.PLATFORM_SCOPE:
        raise ApiError(403, "role_required", needed=roles.OPERATOR)
    return principal


class RoundCounts(BaseModel):
    counts: dict[str, int] = Field(..., description="hospital id -> number of rounds (every status)")


def router(runtime: SurveyRuntime) -> APIRouter:
    api = APIRouter(prefix="/platform", tags=["platform"])
    stores = Survey.of(runtime).stores

    @api.get("/round-counts", response_model=RoundCounts, summary="Rounds per hospital (numbers only)")
    async def round_counts(principal: Annotated[Principal, Depends(_platform)]) -> RoundCounts:
        """For the operators' list of hospitals: one aggregation over every hospital's rounds."""
        rows = stores.across_tenants(Store.rounds).aggregate(
            [{"$group": {"_id": "$tenant_id", "n": {"$sum": 1}}}]
        )
        return RoundCounts(counts={str(row["_id"]): int(row["n"]) async for row in await rows})

    return api
