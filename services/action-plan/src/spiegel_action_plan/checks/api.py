"""The group plans' checks over HTTP (thin routes), and the hospital's settings for them.

A plan's checks are read and answered by the members of the plan's group (the `groups`
collection, from the gateway's GroupChanged): anyone else, whatever their roles, and another
hospital get 404 `plan_check_not_found`, as for a plan that does not exist.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, ConfigDict, Field, StringConstraints
from spiegel_platform.auth.dependencies import current_principal, require_roles
from spiegel_platform.auth.roles import COORDINATING
from spiegel_platform.auth.service_tokens import Principal

from spiegel_action_plan.checks import hospital, model
from spiegel_action_plan.checks.model import ActionProgress, Answer, NewAction
from spiegel_action_plan.checks.service import summary
from spiegel_action_plan.people.directory import display_names, named_in
from spiegel_action_plan.settings import ActionPlanRuntime
from spiegel_action_plan.storage import Document
from spiegel_action_plan.wiring import ActionPlan

Id = Annotated[str, StringConstraints(min_length=1, max_length=100, pattern=r"^[^/\s\x00-\x1f\x7f]+$")]
Anyone = Annotated[Principal, Depends(current_principal)]
Manager = Annotated[Principal, Depends(require_roles(*COORDINATING))]
Remark = Annotated[str, StringConstraints(max_length=model.REMARK_LENGTH)]
ActionText = Annotated[str, StringConstraints(max_length=model.ACTION_TEXT_LENGTH)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ProgressIn(Strict):
    action_id: Id
    progress: Literal["done", "on_track", "delayed", "stopped"]
    remark: Remark = ""


class NewActionIn(Strict):
    description: Annotated[str, StringConstraints(min_length=1, max_length=model.ACTION_TEXT_LENGTH)]
    owner_person_id: Id
    due: date
    measure: ActionText = ""
    embedding: ActionText = ""


class AnswerIn(Strict):
    progress: list[ProgressIn] = Field(default_factory=list, max_length=200)
    still_on_agenda: bool
    new_actions: list[NewActionIn] = Field(default_factory=list, max_length=model.MAX_NEW_ACTIONS)
    remark: Remark = ""


class SettingsIn(Strict):
    group_plan_check_interval_months: int = Field(model.DEFAULT_INTERVAL_MONTHS, ge=1, le=24)
    group_plan_check_recipients: Literal["contact", "members"] = model.DEFAULT_RECIPIENTS
    board_progress: bool = False
    board_overview_month: int = Field(1, ge=1, le=12)


def _answer(body: AnswerIn) -> Answer:
    return Answer(
        progress=tuple(ActionProgress(p.action_id, p.progress, p.remark) for p in body.progress),
        still_on_agenda=body.still_on_agenda,
        new_actions=tuple(
            NewAction(n.description, n.owner_person_id, n.due, n.measure, n.embedding)
            for n in body.new_actions
        ),
        remark=body.remark,
    )


def _plan_out(plan: Document, group: Document) -> dict[str, Any]:
    return {
        "plan_id": plan.get("plan_id") or plan["id"],
        "group_id": plan.get("group_id", ""),
        "group_name": group.get("name", ""),
        "status": plan.get("status", ""),
        "version": plan.get("version"),
        "members": list(group.get("member_person_ids") or []),
        "actions": [
            {
                k: a.get(k)
                for k in (
                    "action_id",
                    "description",
                    "owner_person_id",
                    "due",
                    "measure",
                    "embedding",
                    "status",
                )
            }
            for a in plan.get("actions") or []
        ],
    }


def _correlation(request: Request) -> str:
    return str(getattr(request.state, "correlation_id", "") or "")


def router(runtime: ActionPlanRuntime) -> APIRouter:
    api = APIRouter(prefix="/group-plans", tags=["checks"])
    checks = ActionPlan.of(runtime).checks

    @api.get("/{plan_id}/checks", summary="De controles van een groepsplan (leden van de groep)")
    async def list_checks(plan_id: Id, principal: Anyone) -> list[dict[str, Any]]:
        found = await checks.list_for(principal.tenant_id, plan_id, principal.subject)
        return [summary(c) for c in found]

    @api.get("/{plan_id}/checks/{check_id}", summary="Een controle met de acties van het plan")
    async def read_check(plan_id: Id, check_id: Id, principal: Anyone) -> dict[str, Any]:
        check, plan, group = await checks.get_for(principal.tenant_id, plan_id, check_id, principal.subject)
        # The names of the members and owners it shows, for the members it let in.
        people = await display_names(checks.stores.tenant(principal.tenant_id), named_in(plan, group))
        return {**summary(check), "plan": {**_plan_out(plan, group), "people": people}}

    @api.post("/{plan_id}/checks/{check_id}/answer", summary="De controle beantwoorden (eenmaal)")
    async def answer_check(
        plan_id: Id, check_id: Id, body: AnswerIn, principal: Anyone, request: Request
    ) -> dict[str, Any]:
        done = await checks.answer(
            principal.tenant_id,
            plan_id,
            check_id,
            principal.subject,
            _answer(body),
            correlation_id=_correlation(request),
        )
        return summary(done)

    return api


def settings_router(runtime: ActionPlanRuntime) -> APIRouter:
    api = APIRouter(prefix="/group-plan-settings", tags=["checks"])
    stores = ActionPlan.of(runtime).stores

    @api.get("", summary="De instellingen van het ziekenhuis voor de controles van groepsplannen")
    async def read_settings(principal: Manager) -> dict[str, Any]:
        return (await hospital.read(stores.tenant(principal.tenant_id))).out()

    @api.put("", summary="De instellingen wijzigen (interval in maanden, wie de controle krijgt)")
    async def write_settings(body: SettingsIn, principal: Manager) -> dict[str, Any]:
        store = stores.tenant(principal.tenant_id)
        await store.hospitals.update(
            hospital.SETTINGS,
            {
                "$set": {
                    "check_interval_months": body.group_plan_check_interval_months,
                    "check_recipients": body.group_plan_check_recipients,
                    "board_progress": body.board_progress,
                    "board_overview_month": body.board_overview_month,
                }
            },
            upsert=True,
        )
        return (await hospital.read(store)).out()

    return api
