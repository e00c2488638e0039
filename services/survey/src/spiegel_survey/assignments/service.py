"""Issuing and withdrawing assignments (from the invitation service's events, or the coordinator API)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from spiegel_platform.errors import Text

from spiegel_survey.assignments.model import PACKAGE, AssignmentStatus, InvalidAssignment, new_assignment
from spiegel_survey.storage import Store


async def issue(
    store: Store,
    *,
    event_id: str,
    assignment_id: str,
    round_id: str,
    respondent_group: str,
    token_hash: str,
    language: str,
    expires_at: datetime | None,
) -> dict[str, Any]:
    """Record an assignment; idempotent (a repeated issue changes nothing)."""
    round_doc = await store.rounds.get(round_id)
    if round_doc is None:
        raise InvalidAssignment(Text("assignment.round_unknown", package=PACKAGE, round_id=round_id))
    index = await store.assignment_ids.get(assignment_id)
    if index and index.get("token_hash") not in (None, token_hash):
        raise InvalidAssignment(
            Text("assignment.issued_with_other_link", package=PACKAGE, assignment_id=assignment_id)
        )
    doc = new_assignment(
        assignment_id=assignment_id,
        round_doc=round_doc,
        respondent_group=respondent_group,
        token_hash=token_hash,
        language=language,
        expires_at=expires_at,
        withdrawn=bool(index and index.get("withdrawn")),
    )
    existing = await store.assignments.get(token_hash, projection={"assignment_id": 1})
    if existing and existing.get("assignment_id") != assignment_id:
        raise InvalidAssignment(Text("assignment.token_of_other_assignment", package=PACKAGE))
    # Index first: a withdrawal arriving later finds the token hash.
    await store.assignment_ids.apply_idempotent(
        assignment_id, event_id, {"$set": {"token_hash": token_hash, "round_id": round_id}}
    )
    fields = {k: v for k, v in doc.items() if k != "id"}
    await store.assignments.apply_idempotent(token_hash, event_id, {"$setOnInsert": fields})
    return doc


async def withdraw(store: Store, *, event_id: str, assignment_id: str) -> None:
    """Withdraw a nomination: its link opens nothing any more (a submitted response stays)."""
    await store.assignment_ids.apply_idempotent(assignment_id, event_id, {"$set": {"withdrawn": True}})
    index = await store.assignment_ids.get(assignment_id)
    token_hash = (index or {}).get("token_hash")
    if token_hash:
        await store.assignments.update(
            token_hash,
            {"$set": {"status": AssignmentStatus.WITHDRAWN.value}, "$unset": {"draft": ""}},
            expect={"status": AssignmentStatus.OPEN.value},
        )
