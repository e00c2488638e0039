"""Claims on a piece of work, for a while: one holder at a time, and none kept by a dead one.

A claim is a document (`id` = what is claimed) in a collection of the caller's choice. It is
made by a unique insert, or by taking over a claim older than its lease with one conditional
write; both are single-document writes, atomic on FerretDB too, so of two claimants at the
same moment exactly one holds it. A process that crashes while holding a claim cannot release
it: the lease lets the next claimant in. Release names the holder, so a claim taken over after
its lease is never released by the one who lost it.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from spiegel_platform.storage.repository import TenantRepository


async def claim(repo: TenantRepository, claim_id: str, lease: timedelta) -> str | None:
    """Claim `claim_id`: the holder's token, or None while someone else holds it."""
    holder = uuid.uuid4().hex
    now = datetime.now(UTC)
    if await repo.insert_many([{"id": claim_id, "at": now, "holder": holder}]):
        return holder
    taken = await repo.update(
        claim_id, {"$set": {"at": now, "holder": holder}}, expect={"at": {"$lt": now - lease}}
    )
    return holder if taken is not None else None


async def release(repo: TenantRepository, claim_id: str, holder: str) -> None:
    """Give a claim up (if it is still this holder's)."""
    await repo.collection.delete_one({"_id": repo.key(claim_id), "holder": holder})
