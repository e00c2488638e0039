"""Group plans and groups of the contract's shape (contract-gplan.md), written straight into a
test database of the action-plan service, and the checks' events read from their outbox."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase
from spiegel_action_plan.storage import Store
from spiegel_platform.events.envelope import decode
from spiegel_platform.storage.stores import Stores


def plan_doc(tenant: str, group_id: str, next_check_at: datetime | None, **extra: Any) -> dict[str, Any]:
    plan_id = extra.pop("plan_id", str(uuid.uuid4()))
    return {
        "id": plan_id,
        "plan_id": plan_id,
        "group_id": group_id,
        "round_id": "",
        "status": "adopted",
        "adopted_at": extra.pop("adopted_at", None),
        "next_check_at": next_check_at,
        "version": 1,
        "actions": [
            {
                "action_id": "a1",
                "description": "Feedback als vast agendapunt in het vakgroepsoverleg",
                "owner_person_id": "m1",
                "due": "2026-06-01",
                "measure": "elke maand besproken",
                "embedding": {"kind": "standing_agenda_item", "text": "vast agendapunt"},
                "status": "open",
            },
            {
                "action_id": "a2",
                "description": "Protocol overdracht",
                "owner_person_id": "m2",
                "due": "2026-07-01",
                "measure": "protocol vastgesteld",
                "embedding": {"kind": "protocol", "text": "protocol"},
                "status": "open",
            },
        ],
        **extra,
    }


def group_doc(group_id: str, members: list[str], contact: str = "") -> dict[str, Any]:
    return {
        "id": group_id,
        "group_id": group_id,
        "name": f"Vakgroep {group_id}",
        "member_person_ids": members,
        "contact_person_id": contact,
        "revision": 1,
    }


async def add_group(
    stores: Stores[Store], tenant: str, group_id: str, members: list[str], contact: str = ""
) -> None:
    await stores.tenant(tenant).groups.insert(group_doc(group_id, members, contact))


async def add_plans(stores: Stores[Store], tenant: str, plans: list[dict[str, Any]]) -> None:
    await stores.tenant(tenant).group_plans.insert_many(plans)


async def check_events(db: AsyncDatabase[dict[str, Any]]) -> list[Any]:
    """Every event waiting in the checks' outbox (no relay runs in these tests), decoded."""
    found = []
    async for doc in db["plan_checks"].find({}, projection={"_outbox": 1}):
        for entry in (doc.get("_outbox") or {}).values():
            found.append(decode(entry["envelope"]))
    return found
