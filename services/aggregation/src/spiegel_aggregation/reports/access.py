"""Who may read a round's reports. Object-level checks, in one place.

- the subject (IFMS: principal.subject == the round's subject id),
- a member of the group (Groepsmonitor: principal.subject in member ids),
- the tenant's coordinators and tenant admins,
- a facilitator of a planned discussion session that holds the round (the accreditation's
  sessions, followed by `discussions/handlers.py`).
"""

from __future__ import annotations

from spiegel_platform.auth.roles import COORDINATING, FACILITATOR
from spiegel_platform.auth.service_tokens import Principal

from spiegel_aggregation.discussions.model import PLANNED
from spiegel_aggregation.storage import Document, Store


async def facilitated_rounds(store: Store, principal: Principal) -> set[str]:
    """Rounds of the planned sessions this facilitator leads (indexed by facilitator)."""
    if not principal.has_role(FACILITATOR):
        return set()
    sessions = await store.sessions.find(
        {"facilitator_ids": principal.subject, "state": PLANNED}, projection={"round_ids": 1}
    )
    return {r for s in sessions for r in s.get("round_ids", ())}


async def reader_role(store: Store, principal: Principal, round_doc: Document) -> str | None:
    if principal.has_role(*COORDINATING):
        return "coordinator"
    if principal.subject and principal.subject == round_doc.get("subject_id"):
        return "subject"
    if principal.subject and principal.subject in round_doc.get("member_ids", ()):
        return "member"
    if round_doc["id"] in await facilitated_rounds(store, principal):
        return "facilitator"
    return None
