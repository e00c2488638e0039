"""Discussion groups (coordinator) and the facilitator's preparation view."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, Field, StringConstraints
from spiegel_platform.auth.dependencies import require_roles
from spiegel_platform.auth.roles import COORDINATING, FACILITATOR
from spiegel_platform.auth.service_tokens import Principal
from spiegel_platform.errors import ApiError

from spiegel_aggregation.discussions.model import DiscussionError, check_composition, preparation
from spiegel_aggregation.discussions.page import render_preparation
from spiegel_aggregation.settings import AggregationRuntime
from spiegel_aggregation.storage import Document, unpack_json
from spiegel_aggregation.wiring import Aggregation

Coordinator = Annotated[Principal, Depends(require_roles(*COORDINATING))]
Viewer = Annotated[Principal, Depends(require_roles(FACILITATOR, *COORDINATING))]


class DiscussionIn(BaseModel):
    title: str = Field(..., min_length=1, max_length=200)
    kind: Literal["IFMS", "GROUP_MONITOR"]
    round_ids: list[Annotated[str, StringConstraints(min_length=1, max_length=100)]] = Field(
        ..., min_length=1, max_length=50
    )
    facilitator_id: str = Field(..., min_length=1, max_length=100)
    meeting_date: date | None = None


def _out(doc: Document) -> dict[str, Any]:
    return {k: doc.get(k) for k in ("id", "title", "kind", "round_ids", "facilitator_id", "meeting_date")}


def router(runtime: AggregationRuntime) -> APIRouter:
    api = APIRouter(prefix="/discussion-groups", tags=["discussion groups"])
    wiring = Aggregation.of(runtime)
    reports, stores = wiring.reports, wiring.stores

    async def validated(principal: Principal, body: DiscussionIn) -> Document:
        round_ids = list(dict.fromkeys(body.round_ids))
        rounds = stores.tenant(principal.tenant_id).rounds
        kinds = {}
        for round_id in round_ids:
            doc = await rounds.get(round_id, projection={"kind": 1, "opened": 1})
            if not doc or not doc.get("opened"):
                raise ApiError(422, "discussion_round_unknown", round_id=round_id)
            kinds[round_id] = doc.get("kind", "IFMS")
        try:
            check_composition(body.kind, kinds)
        except DiscussionError as error:
            raise ApiError(422, "discussion_invalid", field=error.field, problem=error.reason) from None
        return {
            "title": body.title,
            "kind": body.kind,
            "round_ids": round_ids,
            "facilitator_id": body.facilitator_id,
            "meeting_date": body.meeting_date.isoformat() if body.meeting_date else None,
        }

    async def visible_group(principal: Principal, group_id: str) -> Document:
        doc = await stores.tenant(principal.tenant_id).discussions.get(group_id)
        if doc is None or not (
            principal.has_role(*COORDINATING) or doc.get("facilitator_id") == principal.subject
        ):
            raise ApiError(404, "discussion_group_not_found", group_id=group_id)
        return doc

    @api.post("", status_code=201, summary="Gespreksgroep aanmaken")
    async def create(body: DiscussionIn, principal: Coordinator) -> dict[str, Any]:
        doc = {"id": str(uuid.uuid4()), **await validated(principal, body)}
        return _out(await stores.tenant(principal.tenant_id).discussions.insert(doc))

    @api.put("/{group_id}", summary="Gespreksgroep wijzigen")
    async def replace(group_id: str, body: DiscussionIn, principal: Coordinator) -> dict[str, Any]:
        fields = await validated(principal, body)
        updated = await stores.tenant(principal.tenant_id).discussions.update(group_id, {"$set": fields})
        if updated is None:
            raise ApiError(404, "discussion_group_not_found", group_id=group_id)
        return _out(updated)

    @api.get("", summary="Gespreksgroepen (coördinator: alle; gespreksleider: eigen)")
    async def list_groups(principal: Viewer) -> list[dict[str, Any]]:
        groups = stores.tenant(principal.tenant_id).discussions
        if principal.has_role(*COORDINATING):
            docs = await groups.find({})
        else:
            docs = await groups.find({"facilitator_id": principal.subject})
        return [_out(d) for d in docs]

    @api.get("/{group_id}", summary="Gespreksgroep")
    async def get_group(group_id: str, principal: Viewer) -> dict[str, Any]:
        return _out(await visible_group(principal, group_id))

    async def prepared(principal: Principal, group_id: str) -> dict[str, Any]:
        group = await visible_group(principal, group_id)
        bodies, missing = [], []
        for round_id in group["round_ids"]:
            round_doc = await stores.tenant(principal.tenant_id).rounds.get(round_id)
            latest = await reports.latest_version(principal.tenant_id, round_doc) if round_doc else 0
            doc = await reports.load(principal.tenant_id, round_id, latest) if latest else None
            if doc is None:
                missing.append(round_id)
            else:
                bodies.append(unpack_json(doc["body"]))
        return preparation(group, bodies, missing)

    @api.get("/{group_id}/preparation", summary="Voorbereiding voor de gespreksleider (JSON)")
    async def preparation_json(group_id: str, principal: Viewer) -> dict[str, Any]:
        return await prepared(principal, group_id)

    @api.get("/{group_id}/preparation/html", response_class=HTMLResponse, summary="Voorbereiding (pagina)")
    async def preparation_page(
        group_id: str, principal: Viewer, lang: Literal["nl", "en"] = "nl"
    ) -> HTMLResponse:
        return HTMLResponse(render_preparation(await prepared(principal, group_id), lang))

    @api.get(
        "/{group_id}/preparation/fragment",
        response_class=HTMLResponse,
        summary="Voorbereiding (HTML-fragment voor de webpagina's)",
    )
    async def preparation_fragment(
        group_id: str, principal: Viewer, lang: Literal["nl", "en"] = "nl"
    ) -> HTMLResponse:
        """The preparation without page or styles, for the web pages' own layout."""
        return HTMLResponse(render_preparation(await prepared(principal, group_id), lang, fragment=True))

    return api
