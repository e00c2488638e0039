"""The issuer: a background job of the consumer process that issues the links of opened rounds.

The RoundOpened handler only records the round and queues it here (a unique
insert into the small `issue_queue` collection), so the consumer is not held
up while hundreds of rounds open at once; this job issues many rounds side by
side. An entry leaves the queue only after its round is fully issued and
invited, so a crash at any point issues the rest on the next pass (each
assignment at most once: issuing is a unique insert).
"""

from __future__ import annotations

import asyncio

from pymongo.errors import PyMongoError
from spiegel_platform.logging import get_logger
from spiegel_platform.periodic import every

from spiegel_invitation.mail.tokens import LinkTokens
from spiegel_invitation.rounds.handlers import issue_open_round, schedule_reminders
from spiegel_invitation.settings import InvitationRuntime
from spiegel_invitation.storage import Store
from spiegel_invitation.wiring import Invitation

log = get_logger(__name__)
PARALLEL_ROUNDS = 12


async def pass_once(runtime: InvitationRuntime, tokens: LinkTokens, limit: int = 200) -> int:
    stores = Invitation.of(runtime).stores
    entries = await stores.across_tenants(Store.issue_queue).find({}).sort("at", 1).limit(limit).to_list()
    if not entries:
        return 0
    slots = asyncio.Semaphore(PARALLEL_ROUNDS)

    async def one(entry: dict[str, object]) -> None:
        store = stores.tenant(str(entry["tenant_id"]))
        round_id = str(entry["_id"]).split(":", 1)[1]
        async with slots:
            try:
                correlation = str(entry.get("correlation_id") or "") or None
                await issue_open_round(store, tokens, round_id, correlation)
                await schedule_reminders(store, round_id)
                await store.issue_queue.delete_many_by_id([round_id])
            except PyMongoError as error:
                log.warning("issue_round_failed", round_id=round_id, error=repr(error))

    await asyncio.gather(*(one(e) for e in entries))
    return len(entries)


async def run(runtime: InvitationRuntime, stop: asyncio.Event) -> None:
    tokens = Invitation.of(runtime).link_tokens
    # A pass that found rounds is followed at once by the next; an empty or failed one waits 0.2 s.
    await every(
        0.2,
        lambda: pass_once(runtime, tokens),
        stop,
        name="issuer_pass",
        failures=PyMongoError,
        again_at_once=lambda handled: handled > 0,
        log=log,
    )
