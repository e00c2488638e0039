"""The coordinator's overview: per specialist and IFMS round, whether the POP is complete.

It answers that and nothing else: no content, no goal count, not even whether a POP was
started (a draft and no POP are both "no").
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from spiegel_platform.auth.dependencies import require_roles
from spiegel_platform.auth.roles import COORDINATING
from spiegel_platform.auth.service_tokens import Principal

from spiegel_action_plan.pops.model import COMPLETE
from spiegel_action_plan.settings import ActionPlanRuntime
from spiegel_action_plan.wiring import ActionPlan

Coordinator = Annotated[Principal, Depends(require_roles(*COORDINATING))]


def router(runtime: ActionPlanRuntime) -> APIRouter:
    api = APIRouter(prefix="/completion", tags=["completion"])
    stores = ActionPlan.of(runtime).stores

    @api.get("", summary="POP afgerond: ja/nee per specialist en IFMS-ronde")
    async def completion(
        principal: Coordinator,
        round_id: Annotated[str | None, Query(max_length=100)] = None,
    ) -> list[dict[str, Any]]:
        store = stores.tenant(principal.tenant_id)
        query: dict[str, Any] = {"kind": "IFMS"}
        if round_id:
            query["id"] = round_id
        rounds = await store.rounds.find(query, projection={"_applied": 0})
        done = {
            (d["owner_id"], d["round_id"])
            for d in await store.pops.find({"state": COMPLETE}, projection={"owner_id": 1, "round_id": 1})
        }
        return sorted(
            (
                {
                    "round_id": r["id"],
                    "person_id": r.get("subject_id", ""),
                    "pop_complete": (r.get("subject_id", ""), r["id"]) in done,
                }
                for r in rounds
                if r.get("subject_id")
            ),
            key=lambda row: (row["round_id"], row["person_id"]),
        )

    return api
