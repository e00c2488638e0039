"""A reminder to a person is claimed before it is queued: reminder n of an assignment is one unique
insert (`reminder_claims`, id "<assignment>#<n>"), so of two requests at the same moment one wins,
and the rule (`mail.due.reminder_refusal`: the maximum per person, the minimum interval) is
weighed against every reminder claimed before, scheduled or by hand, whoever asked.

A request repeated with the same mail key (a redelivered tick, a chase with the same request id)
finds its own claim and may queue again (the queue's unique key sends it once). A crash between
the claim and the queue loses that one reminder: fewer mails, never more.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from spiegel_invitation.mail.due import reminder_refusal
from spiegel_invitation.rounds.model import ReminderPolicy
from spiegel_invitation.storage import Store


async def claim_reminders(
    store: Store, round_id: str, wanted: Sequence[tuple[str, str]], policy: ReminderPolicy, now: datetime
) -> tuple[list[str], dict[str, int]]:
    """`wanted`: (assignment id, mail key) pairs. Returns the assignment ids that may be reminded
    now, and how many were refused for each reason."""
    claimed: dict[str, list[dict[str, Any]]] = {}
    for doc in await store.reminder_claims.find({"round_id": round_id}):
        claimed.setdefault(doc["assignment_id"], []).append(doc)
    allowed: list[str] = []
    refused = {"too_soon": 0, "max_reached": 0}
    docs: list[dict[str, Any]] = []
    interval = timedelta(hours=policy.min_interval_hours)
    for assignment_id, key in wanted:
        before = claimed.get(assignment_id, [])
        if any(c.get("origin") == key for c in before):
            allowed.append(assignment_id)
            continue
        reason = reminder_refusal(
            [c["at"] for c in before], now, most=policy.max_reminders, min_interval=interval
        )
        if reason is not None:
            refused[reason] += 1
            continue
        docs.append(
            {
                "id": f"{assignment_id}#{len(before) + 1}",
                "assignment_id": assignment_id,
                "round_id": round_id,
                "origin": key,
                "at": now,
            }
        )
    won = set(await store.reminder_claims.insert_many(docs)) if docs else set()
    for doc in docs:
        if doc["id"] in won:
            allowed.append(doc["assignment_id"])
        else:  # another request claimed this person's next reminder a moment ago
            refused["too_soon"] += 1
    return allowed, refused
