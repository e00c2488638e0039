"""The notes' due date: a background job of the consumer process.

Each tick reads the sessions that ended between `LOOKBACK` and 5 days ago (5 working days are
at least 5 days; an index-free range on a small collection) and asks `Notes.remind_if_overdue`
for each: past the due date with notes not released, it announces NotesOverdue once (a unique
insert with its event; the invitation service mails the facilitators). Sessions older than
`LOOKBACK` are not looked at again (they were, on every tick, while they were due).
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

from pymongo.errors import PyMongoError
from spiegel_platform.logging import get_logger
from spiegel_platform.periodic import every

from spiegel_accreditation.notes.model import DUE_WORKING_DAYS
from spiegel_accreditation.sessions.model import PLANNED
from spiegel_accreditation.settings import AccreditationRuntime
from spiegel_accreditation.storage import Store
from spiegel_accreditation.wiring import Accreditation

log = get_logger(__name__)
LOOKBACK = timedelta(days=60)


async def tick(runtime: AccreditationRuntime, now: datetime | None = None) -> int:
    wiring = Accreditation.of(runtime)
    now = now or datetime.now(UTC)
    ended = await (
        wiring.stores.across_tenants(Store.sessions)
        .find(
            {
                "state": PLANNED,
                "ends_at": {"$lte": now - timedelta(days=DUE_WORKING_DAYS), "$gte": now - LOOKBACK},
            },
            projection={"_outbox": 0},
        )
        .to_list()
    )
    reminded = 0
    for doc in ended:
        session = {**doc, "id": doc.get("id") or str(doc["_id"]).split(":", 1)[1]}
        if await wiring.notes.remind_if_overdue(doc["tenant_id"], session, now):
            reminded += 1
            log.info("notes_overdue", session_id=session["id"], tenant_id=doc["tenant_id"])
    return reminded


async def run(runtime: AccreditationRuntime, stop: asyncio.Event) -> None:
    await every(
        runtime.settings.notes_reminder_interval_s,
        lambda: tick(runtime),
        stop,
        name="notes_due_tick",
        failures=PyMongoError,
        log=log,
    )
