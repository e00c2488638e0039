"""A round as seen here: the coordinator's setup (before opening) merged with the survey's facts."""

from __future__ import annotations

from typing import Any

from spiegel_invitation.rounds.model import ReminderPolicy, default_groups
from spiegel_invitation.storage import Store

Document = dict[str, Any]
FACTS = (
    "title",
    "kind",
    "subject_id",
    "subject_name",
    "member_ids",
    "groups",
    "opens_at",
    "closes_at",
    "min_group_size",
)


async def round_view(store: Store, round_id: str) -> Document | None:
    facts = await store.rounds.get(round_id)
    roster = await store.rosters.get(round_id)
    return merge_view(round_id, facts, roster)


def merge_view(round_id: str, facts: Document | None, roster: Document | None) -> Document | None:
    if facts is None and roster is None:
        return None
    setup = dict((roster or {}).get("setup") or {})
    view: Document = {"id": round_id, **setup}
    for name in FACTS:
        value = (facts or {}).get(name)
        if value not in (None, "", []):
            view[name] = value
    view.setdefault("kind", "IFMS")
    view.setdefault("member_ids", [])  # an IFMS round has none (as described by PUT, or announced)
    if not view.get("groups"):
        view["groups"] = [g.model_dump() for g in default_groups(view["kind"])]
    view["status"] = (facts or {}).get("status") or "draft"
    view["entries"] = (roster or {}).get("entries") or {}
    view["reminders"] = setup.get("reminders")
    return view


def active_entries(view: Document) -> dict[str, Document]:
    return {aid: e for aid, e in view.get("entries", {}).items() if e.get("status", "active") == "active"}


async def reminder_policy(store: Store, view: Document) -> ReminderPolicy:
    tenant = await store.tenants.get(store.tenant_id) or {}
    default = ReminderPolicy.from_doc(tenant.get("reminders"))
    return ReminderPolicy.from_doc(view.get("reminders"), default)
