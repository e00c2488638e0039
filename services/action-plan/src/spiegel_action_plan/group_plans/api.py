"""The groups' action plans over HTTP: thin routes (parse, call the steps), under /group-plans.

The routes of one plan (`/group-plans/{plan_id}...`) admit any signed-in caller and answer 404
`group_plan_not_found` to everyone who is not a current member of the plan's group (a
coordinator, an administrator, the board, a former member, another hospital), as for a plan that
does not exist. The coordinators' overview (`/group-plans/status`) shows every group's plan status,
never its actions.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Request, Response
from pydantic import BaseModel, ConfigDict, Field, StringConstraints
from spiegel_platform.auth.dependencies import current_principal, require_roles
from spiegel_platform.auth.roles import COORDINATING
from spiegel_platform.auth.service_tokens import Principal
from spiegel_platform.errors import ApiError

from spiegel_action_plan.group_plans import cycles as pdsa
from spiegel_action_plan.group_plans.model import MAX_ACTIONS, MAX_ITEMS, Action, ReportItem
from spiegel_action_plan.group_plans.service import NotMember
from spiegel_action_plan.settings import ActionPlanRuntime
from spiegel_action_plan.storage import Document
from spiegel_action_plan.wiring import ActionPlan

Id = Annotated[str, StringConstraints(min_length=1, max_length=100, pattern=r"^[^/\s\x00-\x1f\x7f]+$")]
Anyone = Annotated[Principal, Depends(current_principal)]
Coordinator = Annotated[Principal, Depends(require_roles(*COORDINATING))]
# A thoughtful paragraph; a 1 MB field is refused by field (422; the gateway's body limit is 413).
LongText = Annotated[str, StringConstraints(max_length=4000)]
ShortText = Annotated[str, StringConstraints(max_length=200)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ReportItemIn(Strict):
    kind: Literal["strength", "development_point", "suggestion", "discussion_point", "other"]
    ref: Annotated[str, StringConstraints(min_length=1, max_length=100)]
    label: ShortText = ""


class EmbeddingIn(Strict):
    kind: Literal["standing_agenda_item", "protocol", "responsible_person", "other"] = "standing_agenda_item"
    text: LongText = ""


class ActionIn(Strict):
    action_id: Annotated[str, StringConstraints(max_length=40, pattern=r"^[A-Za-z0-9_-]*$")] = ""
    description: Annotated[str, StringConstraints(min_length=1, max_length=2000)]
    owner_person_id: Id
    due: date
    measure: LongText = ""
    embedding: EmbeddingIn = Field(default_factory=EmbeddingIn)
    status: Literal["open", "on_track", "delayed", "done", "stopped"] = "open"
    report_items: list[ReportItemIn] = Field(default_factory=list, max_length=MAX_ITEMS)
    # As a read answered it, so a page may send an action back as it got it: the service's own.
    carried_from: Annotated[str, StringConstraints(max_length=40)] = ""


class PlanIn(Strict):
    version: int = Field(..., ge=1)
    actions: list[ActionIn] = Field(default_factory=list, max_length=MAX_ACTIONS)


class StartIn(Strict):
    group_id: Id
    # The Groepsmonitor round the plan follows ("": the group's plan without a round).
    round_id: Annotated[str, StringConstraints(max_length=100, pattern=r"^[^/\s\x00-\x1f\x7f]*$")] = ""


class VersionIn(Strict):
    version: int = Field(..., ge=1)


class CycleIn(Strict):
    cycle_id: Annotated[str, StringConstraints(max_length=40, pattern=r"^[A-Za-z0-9_-]*$")] = ""
    change: Annotated[str, StringConstraints(min_length=1, max_length=2000)]
    prediction: LongText = ""
    done: LongText = ""
    observed: LongText = ""
    result: LongText = ""
    decision: Literal["", "adopt", "adapt", "abandon"] = ""
    stage: str = ""  # as a read answered it: the service's own, ignored here


class PointIn(Strict):
    on: date
    value: float
    note: ShortText = ""


class CyclesIn(Strict):
    version: int = Field(..., ge=1)
    cycles: list[CycleIn] = Field(default_factory=list, max_length=pdsa.MAX_CYCLES)
    measurements: list[PointIn] = Field(default_factory=list, max_length=pdsa.MAX_POINTS)


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None and hasattr(value, "isoformat") else None


def summary(doc: Document) -> dict[str, Any]:
    return {
        "plan_id": doc["id"],
        "group_id": doc["group_id"],
        "round_id": doc.get("round_id", ""),
        "status": doc["status"],
        "version": doc["version"],
        "created_at": _iso(doc.get("created_at")),
        "updated_at": _iso(doc.get("updated_at")),
        "adopted_at": _iso(doc.get("adopted_at")),
        "next_check_at": _iso(doc.get("next_check_at")),
        "closed_at": _iso(doc.get("closed_at")),
        "previous_plan_id": doc.get("previous_plan_id") or None,
        "taken_over_by": doc.get("taken_over_by") or None,
    }


def plan_out(doc: Document, group: Document, caller: str = "") -> dict[str, Any]:
    return {
        **summary(doc),
        # The caller reads it as the facilitator of the group's session now (not as a member):
        # they read, edit and adopt the plan, never close it nor its improvement cycles.
        "as_facilitator": bool(caller) and caller not in group.get("member_person_ids", ()),
        "group_name": group.get("name", ""),
        "members": list(group.get("member_person_ids", ())),
        "contact_person_id": group.get("contact_person_id") or None,
        "actions": list(doc.get("actions", ())),
    }


def _action(raw: ActionIn) -> Action:
    return Action(
        action_id=raw.action_id,
        description=raw.description,
        owner_person_id=raw.owner_person_id,
        due=raw.due,
        measure=raw.measure,
        embedding_kind=raw.embedding.kind,
        embedding_text=raw.embedding.text,
        status=raw.status,
        report_items=tuple(ReportItem(i.kind, i.ref, i.label) for i in raw.report_items),
    )


def _correlation(request: Request) -> str:
    return str(getattr(request.state, "correlation_id", "") or "")


def router(runtime: ActionPlanRuntime) -> APIRouter:
    api = APIRouter(prefix="/group-plans", tags=["group-plans"])
    plans = ActionPlan.of(runtime).group_plans

    def not_found(plan_id: str) -> ApiError:
        return ApiError(404, "group_plan_not_found", plan_id=plan_id)

    @api.get("/mine", summary="De plannen van aanpak van mijn groepen")
    async def mine(principal: Anyone) -> list[dict[str, Any]]:
        return [
            {
                "group_id": group["id"],
                "group_name": group.get("name", ""),
                # The Groepsmonitor sessions the caller facilitates now (not a member).
                "facilitating": group.get("facilitating", []),
                "plans": [summary(p) for p in found],
            }
            for group, found in await plans.mine(principal.tenant_id, principal.subject)
        ]

    @api.get("/status", summary="Status van het plan van aanpak per groep (coördinator)")
    async def status(principal: Coordinator) -> list[dict[str, Any]]:
        rows = await plans.overview(principal.tenant_id)
        for row in rows:
            row["adopted_at"] = _iso(row["adopted_at"])
            row["next_check_at"] = _iso(row["next_check_at"])
        return rows

    @api.post("", summary="Het plan van aanpak van mijn groep beginnen (of het bestaande)")
    async def start(body: StartIn, principal: Anyone, request: Request, response: Response) -> dict[str, Any]:
        doc, made = await plans.start(
            principal.tenant_id, principal.subject, body.group_id, body.round_id, _correlation(request)
        )
        response.status_code = 201 if made else 200
        return summary(doc)

    @api.get("/{plan_id}", summary="Het plan van aanpak van mijn groep")
    async def read(plan_id: Id, principal: Anyone) -> dict[str, Any]:
        try:
            doc, group = await plans.read(principal.tenant_id, principal.subject, plan_id)
        except NotMember:
            raise not_found(plan_id) from None
        # The names of the people it shows by id, for whoever may read it (never on a 404).
        people = await plans.people_of(principal.tenant_id, doc, group)
        return {**plan_out(doc, group, principal.subject), "people": people}

    @api.put("/{plan_id}", summary="De acties bewaren (met de versie die u las)")
    async def save(plan_id: Id, body: PlanIn, principal: Anyone, request: Request) -> dict[str, Any]:
        try:
            doc, group = await plans.save(
                principal.tenant_id,
                principal.subject,
                plan_id,
                body.version,
                [_action(a) for a in body.actions],
                _correlation(request),
            )
        except NotMember:
            raise not_found(plan_id) from None
        return plan_out(doc, group, principal.subject)

    @api.post("/{plan_id}/adopt", summary="Het plan vaststellen (de controle wordt gepland)")
    async def adopt(plan_id: Id, body: VersionIn, principal: Anyone, request: Request) -> dict[str, Any]:
        try:
            doc, group = await plans.adopt(
                principal.tenant_id, principal.subject, plan_id, body.version, _correlation(request)
            )
        except NotMember:
            raise not_found(plan_id) from None
        return plan_out(doc, group, principal.subject)

    @api.post("/{plan_id}/close", summary="Het plan afsluiten")
    async def close(plan_id: Id, body: VersionIn, principal: Anyone, request: Request) -> dict[str, Any]:
        try:
            doc, group = await plans.close(
                principal.tenant_id, principal.subject, plan_id, body.version, _correlation(request)
            )
        except NotMember:
            raise not_found(plan_id) from None
        return plan_out(doc, group, principal.subject)

    def cycles_out(doc: Document, group: Document, action: dict[str, Any]) -> dict[str, Any]:
        found = [pdsa.Cycle.of(c) for c in doc.get("cycles", {}).get(action["action_id"], [])]
        return {
            **summary(doc),
            "group_name": group.get("name", ""),
            "action": action,
            "cycles": [{**c.as_dict(), "stage": c.stage} for c in found],
            "measurements": list(doc.get("measurements", {}).get(action["action_id"], [])),
        }

    @api.get(
        "/{plan_id}/actions/{action_id}/cycles", summary="De verbetercycli (PDSA) en metingen van een actie"
    )
    async def read_cycles(plan_id: Id, action_id: Id, principal: Anyone) -> dict[str, Any]:
        try:
            doc, group, action = await plans.action_of(
                principal.tenant_id, principal.subject, plan_id, action_id
            )
        except NotMember:
            raise not_found(plan_id) from None
        return cycles_out(doc, group, action)

    @api.put("/{plan_id}/actions/{action_id}/cycles", summary="De verbetercycli (PDSA) en metingen bewaren")
    async def save_cycles(
        plan_id: Id, action_id: Id, body: CyclesIn, principal: Anyone, request: Request
    ) -> dict[str, Any]:
        try:
            doc, group, action = await plans.save_cycles(
                principal.tenant_id,
                principal.subject,
                plan_id,
                action_id,
                body.version,
                [
                    pdsa.Cycle(c.cycle_id, c.change, c.prediction, c.done, c.observed, c.result, c.decision)
                    for c in body.cycles
                ],
                [pdsa.Point(p.on, p.value, p.note) for p in body.measurements],
                _correlation(request),
            )
        except NotMember:
            raise not_found(plan_id) from None
        return cycles_out(doc, group, action)

    @api.get("/{plan_id}/history", summary="Wie wijzigde wat en wanneer")
    async def history(plan_id: Id, principal: Anyone) -> list[dict[str, Any]]:
        try:
            entries = await plans.history(principal.tenant_id, principal.subject, plan_id)
        except NotMember:
            raise not_found(plan_id) from None
        return [{**e, "at": _iso(e.get("at"))} for e in entries]

    return api
