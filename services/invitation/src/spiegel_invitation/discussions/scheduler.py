"""Discussion invitations that wait (a week before the session): a background job of the consumer.

Like the reminder scheduler: each tick reads only the sessions whose `next_at` has come (a small
collection, one document per session), queues the mails that fell due since its last tick
(`done_until`), and sets the next moment. That write is conditional on the session's version: if
a new event changed the session meanwhile, the tick's write loses and the next tick looks again
at what the handler wrote (which kept the sooner `next_at`). A crash after queueing and before
the write queues the same mails again at the next tick: the queue's unique keys, and the
mailer's records, send each once.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from pymongo.errors import PyMongoError
from spiegel_platform.logging import get_logger
from spiegel_platform.periodic import every

from spiegel_invitation.discussions.followup import with_checkin_links
from spiegel_invitation.discussions.model import now_due, still_waiting
from spiegel_invitation.mail.queue import enqueue
from spiegel_invitation.settings import InvitationRuntime
from spiegel_invitation.storage import Store
from spiegel_invitation.wiring import Invitation

log = get_logger(__name__)


async def tick(runtime: InvitationRuntime, now: datetime | None = None) -> int:
    wiring = Invitation.of(runtime)
    stores = wiring.stores
    now = now or datetime.now(UTC)
    waiting = await stores.across_tenants(Store.discussions).find({"next_at": {"$lte": now}}).to_list()
    total = 0
    for doc in waiting:
        store = stores.tenant(doc["tenant_id"])
        session_id = doc["_id"].split(":", 1)[1]
        mails = doc.get("mails") or {}
        due = await with_checkin_links(store, wiring.link_tokens, now_due(mails, doc.get("done_until"), now))
        queued = await enqueue(store, due)
        await store.discussions.update(
            session_id,
            {"$set": {"next_at": still_waiting(mails, now), "done_until": now}},
            expect={"version": doc.get("version")},
        )
        total += len(queued)
        log.info("discussion_invitations_due", session_id=session_id, queued=len(queued))
    return total


async def run(runtime: InvitationRuntime, stop: asyncio.Event) -> None:
    await every(
        runtime.settings.scheduler_interval_s,
        lambda: tick(runtime),
        stop,
        name="discussion_tick",
        failures=PyMongoError,
        log=log,
    )
