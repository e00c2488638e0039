"""POPs over HTTP: thin routes (parse, call the steps), all under /pops.

A POP is its owner's alone. The routes of one POP (`/pops/{plan_id}...`) admit any signed-in
caller and answer 404 `pop_not_found` to everyone but the owner in the token, whatever their
roles (coordinator, tenant admin, facilitator, colleague, board, another hospital): no role
check first, so a refusal says nothing about who may do what, nor whether the POP exists. The
gateway audits every read of a POP and every refusal (its policy: a 404 on /pops is an
authorisation failure); this service logs the refusal (`pop_refused`, ids only).
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Request, Response
from pydantic import BaseModel, ConfigDict, Field, StringConstraints
from spiegel_platform.auth.dependencies import current_principal, require_roles
from spiegel_platform.auth.roles import SPECIALIST
from spiegel_platform.auth.service_tokens import Principal
from spiegel_platform.errors import ApiError
from spiegel_platform.i18n import language_of, translator

from spiegel_action_plan.pops import model, pdf
from spiegel_action_plan.pops.model import Content, Goal, ReviewItem, Why
from spiegel_action_plan.pops.service import NotYours, Opened
from spiegel_action_plan.settings import ActionPlanRuntime
from spiegel_action_plan.storage import Document
from spiegel_action_plan.wiring import ActionPlan

PACKAGES = ("spiegel_action_plan",)
Id = Annotated[str, StringConstraints(min_length=1, max_length=100, pattern=r"^[^/\s\x00-\x1f\x7f]+$")]
Anyone = Annotated[Principal, Depends(current_principal)]
Specialist = Annotated[Principal, Depends(require_roles(SPECIALIST))]
# Long enough for a thoughtful paragraph; a goal of 1 MB is refused by field (422), the body
# limit at the gateway answers 413 before.
LongText = Annotated[str, StringConstraints(max_length=4000)]
ShortText = Annotated[str, StringConstraints(max_length=200)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class WhyIn(Strict):
    kind: Literal["strength", "development_point", "blind_spot", "hidden_strength", "facilitator_note"]
    ref: Annotated[str, StringConstraints(min_length=1, max_length=100)]
    label: ShortText = ""


class GoalIn(Strict):
    id: Annotated[str, StringConstraints(max_length=40, pattern=r"^[A-Za-z0-9_-]*$")] = ""
    what: Annotated[str, StringConstraints(min_length=1, max_length=1000)]
    why: list[WhyIn] = Field(default_factory=list, max_length=20)
    how: LongText = ""
    by_when: date | None = None
    support: LongText = ""
    evidence: LongText = ""
    status: Literal["not_started", "in_progress", "achieved", "stopped"] = "not_started"
    # As a read answered them, so a page may send a goal back as it got it: both are the
    # service's (the stored `carried_from` is kept, prompts are made anew) and ignored here.
    carried_from: Annotated[str, StringConstraints(max_length=40)] = ""
    prompts: list[dict[str, str]] = Field(default_factory=list, max_length=20)


class PopIn(Strict):
    version: int = Field(..., ge=1)
    keep_and_extend: Annotated[str, StringConstraints(max_length=8000)] = ""
    goals: list[GoalIn] = Field(default_factory=list, max_length=model.MAX_GOALS)


class StartIn(Strict):
    round_id: Id


class ReviewItemIn(Strict):
    goal_id: Annotated[str, StringConstraints(min_length=1, max_length=40)]
    outcome: Literal["achieved", "ongoing", "carried_forward", "dropped"]
    reason: LongText = ""


class ReviewIn(Strict):
    version: int = Field(..., ge=1)
    items: list[ReviewItemIn] = Field(..., max_length=100)


class VersionIn(Strict):
    version: int = Field(..., ge=1)


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None and hasattr(value, "isoformat") else None


def summary(doc: Document) -> dict[str, Any]:
    return {
        "id": doc["id"],
        "round_id": doc["round_id"],
        "state": doc["state"],
        "version": doc["version"],
        "created_at": _iso(doc.get("created_at")),
        "updated_at": _iso(doc.get("updated_at")),
        "completed_at": _iso(doc.get("completed_at")),
        "review_needed": not doc.get("review_done", True),
        "previous_plan_id": doc.get("previous_plan_id") or None,
    }


def pop_out(opened: Opened, language: str) -> dict[str, Any]:
    if opened.content is None:
        raise ApiError(410, "pop_erased")
    gettext = translator(language, PACKAGES).gettext
    content = opened.content.as_dict()
    for goal, raw in zip(opened.content.goals, content["goals"], strict=True):
        raw["prompts"] = [{"key": key, "text": gettext(key)} for key in model.prompts(goal)]
    return {**summary(opened.doc), **content}


def _goal(raw: GoalIn) -> Goal:
    return Goal(
        id=raw.id,
        what=raw.what,
        why=tuple(Why(w.kind, w.ref, w.label) for w in raw.why),
        how=raw.how,
        by_when=raw.by_when,
        support=raw.support,
        evidence=raw.evidence,
        status=raw.status,
    )


def _correlation(request: Request) -> str:
    return str(getattr(request.state, "correlation_id", "") or "")


def router(runtime: ActionPlanRuntime) -> APIRouter:
    api = APIRouter(prefix="/pops", tags=["pops"])
    pops = ActionPlan.of(runtime).pops

    def not_found(plan_id: str) -> ApiError:
        return ApiError(404, "pop_not_found", plan_id=plan_id)

    @api.get("/mine", summary="Mijn ontwikkelplannen (zonder inhoud)")
    async def mine(principal: Specialist) -> list[dict[str, Any]]:
        return [summary(d) for d in await pops.mine(principal.tenant_id, principal.subject)]

    @api.post("", summary="Mijn ontwikkelplan voor mijn IFMS-ronde beginnen (of het bestaande)")
    async def start(body: StartIn, principal: Anyone, request: Request, response: Response) -> dict[str, Any]:
        doc, made = await pops.start(
            principal.tenant_id, principal.subject, body.round_id, _correlation(request)
        )
        response.status_code = 201 if made else 200
        return summary(doc)

    @api.get("/{plan_id}", summary="Mijn ontwikkelplan")
    async def read(plan_id: Id, principal: Anyone, request: Request) -> dict[str, Any]:
        try:
            opened = await pops.read(principal.tenant_id, principal.subject, plan_id)
        except NotYours:
            raise not_found(plan_id) from None
        return pop_out(opened, language_of(request.headers, principal.claims))

    @api.put("/{plan_id}", summary="Mijn ontwikkelplan bewaren (met de versie die u las)")
    async def save(plan_id: Id, body: PopIn, principal: Anyone, request: Request) -> dict[str, Any]:
        try:
            opened = await pops.save(
                principal.tenant_id,
                principal.subject,
                plan_id,
                body.version,
                body.keep_and_extend,
                [_goal(g) for g in body.goals],
            )
        except NotYours:
            raise not_found(plan_id) from None
        return pop_out(opened, language_of(request.headers, principal.claims))

    @api.get("/{plan_id}/previous", summary="Het vorige ontwikkelplan, om de doelen terug te blikken")
    async def previous(plan_id: Id, principal: Anyone, request: Request) -> dict[str, Any] | None:
        try:
            opened = await pops.previous(principal.tenant_id, principal.subject, plan_id)
        except NotYours:
            raise not_found(plan_id) from None
        return None if opened is None else pop_out(opened, language_of(request.headers, principal.claims))

    @api.put("/{plan_id}/review", summary="Terugblik op de doelen van het vorige ontwikkelplan")
    async def review(plan_id: Id, body: ReviewIn, principal: Anyone, request: Request) -> dict[str, Any]:
        items = [ReviewItem(i.goal_id, i.outcome, i.reason) for i in body.items]
        try:
            opened = await pops.review(principal.tenant_id, principal.subject, plan_id, body.version, items)
        except NotYours:
            raise not_found(plan_id) from None
        return pop_out(opened, language_of(request.headers, principal.claims))

    @api.post("/{plan_id}/complete", summary="Mijn ontwikkelplan afronden (meldt alleen dát het af is)")
    async def complete(plan_id: Id, body: VersionIn, principal: Anyone, request: Request) -> dict[str, Any]:
        try:
            doc = await pops.complete(
                principal.tenant_id, principal.subject, plan_id, body.version, _correlation(request)
            )
        except NotYours:
            raise not_found(plan_id) from None
        return summary(doc)

    @api.get("/{plan_id}/pdf", summary="Mijn ontwikkelplan als PDF (A4)")
    async def as_pdf(plan_id: Id, principal: Anyone, request: Request) -> Response:
        try:
            opened = await pops.read(principal.tenant_id, principal.subject, plan_id)
        except NotYours:
            raise not_found(plan_id) from None
        if opened.content is None:
            raise ApiError(410, "pop_erased")
        language = language_of(request.headers, principal.claims)
        gettext = translator(language, PACKAGES).gettext
        title = gettext("pop.pdf.round", round_id=opened.doc["round_id"])
        body = pdf.render(opened.content, title=title, state=opened.doc["state"], gettext=gettext)
        name = f"ontwikkelplan-{plan_id}.pdf" if language == "nl" else f"development-plan-{plan_id}.pdf"
        return Response(
            body,
            media_type="application/pdf",
            headers={"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"},
        )

    @api.delete("/mine", summary="Al mijn ontwikkelplannen onleesbaar maken (sleutel wissen)")
    async def erase(principal: Specialist) -> dict[str, Any]:
        return {"plans_erased": await pops.erase(principal.tenant_id, principal.subject)}

    return api


__all__ = ["Content", "router"]
