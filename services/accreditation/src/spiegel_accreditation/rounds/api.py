"""The rounds a coordinator may plan a discussion for: closed, as the survey announced them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends
from spiegel_platform.auth.dependencies import require_roles
from spiegel_platform.auth.roles import COORDINATING
from spiegel_platform.auth.service_tokens import Principal

from spiegel_accreditation.sessions import seats
from spiegel_accreditation.sessions.model import IFMS, Participant
from spiegel_accreditation.settings import AccreditationRuntime
from spiegel_accreditation.wiring import Accreditation

Coordinator = Annotated[Principal, Depends(require_roles(*COORDINATING))]


def router(runtime: AccreditationRuntime) -> APIRouter:
    api = APIRouter(prefix="/rounds", tags=["rounds"])
    stores = Accreditation.of(runtime).stores
    grace = runtime.settings.seat_claim_grace_seconds

    @api.get("/closed", summary="Gesloten rondes: te plannen in een groepsbespreking")
    async def closed_rounds(principal: Coordinator) -> list[dict[str, Any]]:
        """Each closed round with its subject, and for an IFMS round the session its subject is
        in already (if any)."""
        store = stores.tenant(principal.tenant_id)
        found = []
        for doc in await store.rounds.find({"closed": True}):
            session_id = None
            if doc.get("kind") == IFMS and doc.get("subject_id"):
                session_id = await seats.holder(
                    store, Participant(doc["subject_id"], doc["id"]), timedelta(seconds=grace)
                )
            closed_at = doc.get("closed_at")
            if isinstance(closed_at, datetime) and closed_at.tzinfo is None:
                closed_at = closed_at.replace(tzinfo=UTC)
            found.append(
                {
                    "round_id": doc["id"],
                    "kind": doc.get("kind"),
                    "title": doc.get("title", ""),
                    "subject_id": doc.get("subject_id", ""),
                    "subject_name": doc.get("subject_name", ""),
                    "member_ids": doc.get("member_ids", []),
                    "closed_at": closed_at.isoformat() if isinstance(closed_at, datetime) else None,
                    "session_id": session_id,
                }
            )
        return sorted(found, key=lambda r: (r["closed_at"] or "", r["round_id"]))

    return api
