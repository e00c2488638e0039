"""A discussion session written with the accreditation service's own store, as if the clock had
moved on (the API plans no session in the past): for the pages' tests of check-in, notes and GAIA."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from pymongo import AsyncMongoClient
from web_helpers import WebDeployment


async def past_session(
    web: WebDeployment,
    tenant: str,
    people: dict[str, str],
    facilitator: str,
    *,
    started_ago: timedelta = timedelta(hours=1),
    location: str = "Vergaderzaal 2",
    session_id: str | None = None,
) -> str:
    """An IFMS session of `people` (person id -> name), two hours long, that began `started_ago`,
    with the closed rounds the survey would have announced. Returns the session's id."""
    from spiegel_accreditation.storage import Store

    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(web.env["MONGODB_URL"], tz_aware=True)
    try:
        store = Store.on(client[f"{web.prefix}_accreditation"]).tenant(tenant)
        participants = []
        for person_id, name in people.items():
            round_id = f"r-{uuid.uuid4().hex[:10]}"
            await store.rounds.insert(
                {
                    "id": round_id,
                    "kind": "IFMS",
                    "subject_id": person_id,
                    "subject_name": name,
                    "closed": True,
                }
            )
            participants.append({"person_id": person_id, "round_id": round_id})
        start = datetime.now(UTC) - started_ago
        session_id = session_id or str(uuid.uuid4())
        await store.sessions.insert(
            {
                "id": session_id,
                "kind": "IFMS",
                "participants": participants,
                "participant_ids": list(people),
                "facilitator_ids": [facilitator],
                "starts_at": start,
                "ends_at": start + timedelta(hours=2),
                "location": location,
                "online_url": "",
                "group_id": "",
                "series_id": "",
                "state": "planned",
                "version": 1,
            }
        )
        return session_id
    finally:
        await client.close()


async def store_session(web: WebDeployment, tenant: str, session: Any) -> None:
    """The accreditation service's own record of `session` (its `Session` message, as a test announces
    it on Kafka): the pages list a person's sessions from the accreditation service, which planned
    them; the invitation service learns of them from the event."""
    from spiegel_accreditation.storage import Store

    kinds = {1: "IFMS", 2: "GROUP_MONITOR"}
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(web.env["MONGODB_URL"], tz_aware=True)
    try:
        store = Store.on(client[f"{web.prefix}_accreditation"]).tenant(tenant)
        await store.sessions.insert(
            {
                "id": session.session_id,
                "kind": kinds[int(session.kind)],
                "participants": [
                    {"person_id": p.person_id, "round_id": p.round_id} for p in session.participants
                ],
                "participant_ids": [p.person_id for p in session.participants],
                "facilitator_ids": list(session.facilitator_ids),
                "starts_at": session.starts_at.ToDatetime(UTC),
                "ends_at": session.ends_at.ToDatetime(UTC),
                "location": session.location,
                "online_url": session.online_url,
                "group_id": session.group_id,
                "series_id": "",
                "state": "planned",
                "version": session.version or 1,
            }
        )
    finally:
        await client.close()
