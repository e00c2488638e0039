"""The reminder scheduler: a background job of the consumer process.

Cheap on FerretDB: each tick reads the small `reminder_due` collection (one
tiny document per open round with a reminder still to come), and for a due
round reads its documents by id. Reminder n of an assignment has its own mail
key, so a tick repeated after a crash queues nothing twice. A suspended hospital's
rounds wait; a reminder that came due before its reactivation is passed over
(`suspension.model`).
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

from pymongo.errors import PyMongoError
from spiegel_platform.logging import get_logger
from spiegel_platform.periodic import every

from spiegel_invitation.mail.due import reminder_recipients
from spiegel_invitation.mail.queue import assignment_mail, enqueue, reminder_key
from spiegel_invitation.reminders.claims import claim_reminders
from spiegel_invitation.rounds.handlers import schedule_reminders
from spiegel_invitation.rounds.issuing import self_entries
from spiegel_invitation.rounds.views import active_entries, reminder_policy, round_view
from spiegel_invitation.settings import InvitationRuntime
from spiegel_invitation.storage import Store
from spiegel_invitation.suspension import model as suspension
from spiegel_invitation.wiring import Invitation

log = get_logger(__name__)


async def fire(store: Store, due: dict[str, Any], tenant: dict[str, Any] | None = None) -> int:
    round_id = due["id"]
    number = int(due["next_number"])
    view = await round_view(store, round_id)
    if view is None or view["status"] != "open":
        await store.reminder_due.delete(round_id)
        return 0
    if suspension.missed_reminder(due.get("next_at"), tenant):
        # Due while the hospital was suspended: passed over, the schedule goes on (no burst).
        await store.reminder_due.update(round_id, {"$set": {"done": number}})
        await schedule_reminders(store, round_id)
        log.info("reminder_missed_while_suspended", round_id=round_id, number=number)
        return 0
    completed = (await store.progress.get(round_id) or {}).get("completed") or {}
    selves = [e["id"] for e in await self_entries(store, view)]
    recipients = reminder_recipients(active_entries(view), selves, completed)
    # Reminders asked for by hand count too: the maximum and the interval hold per person.
    allowed, skipped = await claim_reminders(
        store,
        round_id,
        [(aid, reminder_key(aid, number)) for aid in recipients],
        await reminder_policy(store, view),
        datetime.now(UTC),
    )
    mails = [
        assignment_mail(reminder_key(aid, number), "reminder", aid, round_id, number=number)
        for aid in allowed
    ]
    queued = await enqueue(store, mails)
    await store.reminder_due.update(round_id, {"$set": {"done": number}})
    await schedule_reminders(store, round_id)
    log.info("reminders_queued", round_id=round_id, number=number, queued=len(queued), skipped=skipped)
    return len(queued)


async def tick(runtime: InvitationRuntime) -> int:
    stores = Invitation.of(runtime).stores
    now = datetime.now(UTC)
    due = await stores.across_tenants(Store.reminder_due).find({"next_at": {"$lte": now}}).to_list()
    total = 0
    tenants: dict[str, dict[str, Any] | None] = {}
    for doc in due:
        doc["id"] = doc["_id"].split(":", 1)[1]
        store = stores.tenant(doc["tenant_id"])
        if doc["tenant_id"] not in tenants:
            tenants[doc["tenant_id"]] = await store.tenants.get(doc["tenant_id"])
        tenant = tenants[doc["tenant_id"]]
        if suspension.is_suspended(tenant):
            continue  # nothing for a suspended hospital; after it, `fire` passes over what was due
        total += await fire(store, doc, tenant)
    return total


async def run(runtime: InvitationRuntime, stop: asyncio.Event) -> None:
    # Only the database being away is retried; anything else is a bug and ends the process.
    await every(
        runtime.settings.scheduler_interval_s,
        lambda: tick(runtime),
        stop,
        name="reminder_tick",
        failures=PyMongoError,
        log=log,
    )
