"""The medical staff board's view of the group action plans (issue 20, point 6), where the
hospital has made them part of its quality policy (`board_progress` in the hospital's settings,
off by default): per group its plans' actions with their status, and the last check.

Only that: no report, score, comment, respondent, round or POP is in this service's answer (the
POPs are sealed and never read here), and the checks' remarks are left out too (the group's own).
With the setting off the board gets 404 `board_progress_off`, as if there were nothing to see.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response
from spiegel_platform.auth.dependencies import require_roles
from spiegel_platform.auth.roles import BOARD
from spiegel_platform.auth.service_tokens import Principal
from spiegel_platform.errors import ApiError
from spiegel_platform.i18n import language_of, translator

from spiegel_action_plan.board import pdf
from spiegel_action_plan.checks import hospital
from spiegel_action_plan.checks.model import COMPLETED, PROGRESS
from spiegel_action_plan.settings import ActionPlanRuntime
from spiegel_action_plan.storage import Document
from spiegel_action_plan.wiring import ActionPlan

Board = Annotated[Principal, Depends(require_roles(BOARD))]
SHOWN_STATUSES = ("adopted", "closed")


def _iso(value: Any) -> str | None:
    if not isinstance(value, datetime):
        return None
    return (value if value.tzinfo else value.replace(tzinfo=UTC)).isoformat()


def last_check_out(check: Document | None) -> dict[str, Any] | None:
    """The last answered check: when, still on the agenda, how many actions per progress."""
    if check is None:
        return None
    answer = check.get("answer") or {}
    counts = {p: 0 for p in PROGRESS}
    for item in answer.get("progress", []):
        if item.get("progress") in counts:
            counts[item["progress"]] += 1
    return {
        "completed_at": _iso(check.get("completed_at")),
        "still_on_agenda": bool(answer.get("still_on_agenda")),
        "progress": counts,
        "new_actions": len(answer.get("new_actions", [])),
    }


def plan_out(plan: Document, group: Document | None, last: Document | None) -> dict[str, Any]:
    return {
        "plan_id": plan.get("plan_id") or plan["id"],
        "group_id": plan.get("group_id", ""),
        "group_name": (group or {}).get("name", ""),
        "status": plan.get("status", ""),
        "adopted_at": _iso(plan.get("adopted_at")),
        "next_check_at": _iso(plan.get("next_check_at")),
        "actions": [
            {
                "description": a.get("description", ""),
                "status": a.get("status", "open"),
                "due": a.get("due", ""),
            }
            for a in plan.get("actions") or []
        ],
        "last_check": last_check_out(last),
    }


def router(runtime: ActionPlanRuntime) -> APIRouter:
    api = APIRouter(prefix="/board", tags=["board"])
    stores = ActionPlan.of(runtime).stores

    async def overview(principal: Principal) -> dict[str, Any]:
        store = stores.tenant(principal.tenant_id)
        if not (await hospital.read(store)).board_progress:
            raise ApiError(404, "board_progress_off")
        plans = await store.group_plans.find({"status": {"$in": list(SHOWN_STATUSES)}})
        groups = {
            g["group_id"]: g for g in await store.groups.find({}, projection={"group_id": 1, "name": 1})
        }
        answered = await store.plan_checks.find(
            {"state": COMPLETED}, projection={"plan_id": 1, "completed_at": 1, "answer": 1}
        )
        last: dict[str, Document] = {}
        for check in answered:
            known = last.get(check["plan_id"])
            if known is None or (check.get("completed_at") or datetime.min.replace(tzinfo=UTC)) > (
                known.get("completed_at") or datetime.min.replace(tzinfo=UTC)
            ):
                last[check["plan_id"]] = check
        shown = [
            plan_out(p, groups.get(p.get("group_id", "")), last.get(p.get("plan_id") or p["id"]))
            for p in plans
        ]
        shown.sort(key=lambda p: (p["group_name"], p["adopted_at"] or ""))
        return {"year": datetime.now(UTC).year, "plans": shown}

    @api.get(
        "/group-plans", summary="Bestuur: per groep de acties van het plan, hun status en de laatste controle"
    )
    async def progress(principal: Board) -> dict[str, Any]:
        return await overview(principal)

    @api.get("/group-plans.pdf", summary="Bestuur: het jaaroverzicht van de groepsplannen als PDF")
    async def progress_pdf(principal: Board, request: Request) -> Response:
        found = await overview(principal)
        gettext = translator(language_of(request.headers, principal.claims), ("spiegel_action_plan",)).gettext
        return Response(
            pdf.render(found, gettext=gettext),
            media_type="application/pdf",
            headers={"content-disposition": f'attachment; filename="groepsplannen-{found["year"]}.pdf"'},
        )

    return api
