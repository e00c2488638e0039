"""The facilitator's preparation view of a discussion session (planned in the accreditation service).

Sessions are planned, changed and cancelled in the accreditation service only; this service
follows its events (`handlers.py`) and serves the preparation for exactly the session's
participants' rounds. The discussion groups that could once be created here are gone
(`/discussion-groups` answers 404 like any unknown path).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path
from fastapi.responses import HTMLResponse
from spiegel_platform.auth.dependencies import require_roles
from spiegel_platform.auth.roles import COORDINATING, FACILITATOR
from spiegel_platform.auth.service_tokens import Principal
from spiegel_platform.errors import ApiError

from spiegel_aggregation.discussions.model import may_prepare, preparation
from spiegel_aggregation.discussions.page import render_preparation
from spiegel_aggregation.settings import AggregationRuntime
from spiegel_aggregation.storage import unpack_json
from spiegel_aggregation.wiring import Aggregation

Viewer = Annotated[Principal, Depends(require_roles(FACILITATOR, *COORDINATING))]
SessionId = Annotated[str, Path(min_length=1, max_length=100)]


def router(runtime: AggregationRuntime) -> APIRouter:
    api = APIRouter(prefix="/sessions", tags=["discussion sessions"])
    wiring = Aggregation.of(runtime)
    reports, stores = wiring.reports, wiring.stores

    async def prepared(principal: Principal, session_id: str) -> dict[str, Any]:
        store = stores.tenant(principal.tenant_id)
        session = await store.sessions.get(session_id)
        # Unknown, cancelled and not-yours look the same: no probing for other sessions.
        if not may_prepare(session, principal.subject, coordinating=principal.has_role(*COORDINATING)):
            raise ApiError(404, "session_not_found", session_id=session_id)
        assert session is not None
        bodies, missing = [], []
        for round_id in session.get("round_ids", ()):
            round_doc = await store.rounds.get(round_id)
            latest = await reports.latest_version(principal.tenant_id, round_doc) if round_doc else 0
            doc = await reports.load(principal.tenant_id, round_id, latest) if latest else None
            if doc is None:
                missing.append(round_id)
            else:
                bodies.append(unpack_json(doc["body"]))
        return preparation(session, bodies, missing)

    @api.get("/{session_id}/preparation", summary="Voorbereiding voor de gespreksleider (JSON)")
    async def preparation_json(session_id: SessionId, principal: Viewer) -> dict[str, Any]:
        return await prepared(principal, session_id)

    @api.get("/{session_id}/preparation/html", response_class=HTMLResponse, summary="Voorbereiding (pagina)")
    async def preparation_page(
        session_id: SessionId, principal: Viewer, lang: Literal["nl", "en"] = "nl"
    ) -> HTMLResponse:
        return HTMLResponse(render_preparation(await prepared(principal, session_id), lang))

    @api.get(
        "/{session_id}/preparation/fragment",
        response_class=HTMLResponse,
        summary="Voorbereiding (HTML-fragment voor de webpagina's)",
    )
    async def preparation_fragment(
        session_id: SessionId, principal: Viewer, lang: Literal["nl", "en"] = "nl"
    ) -> HTMLResponse:
        """The preparation without page or styles, for the web pages' own layout (which adds the
        themes the participants chose, from the accreditation service)."""
        return HTMLResponse(render_preparation(await prepared(principal, session_id), lang, fragment=True))

    return api
