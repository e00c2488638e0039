"""A hospital's suspension and reactivation in this service's own records (see `model`)."""

from __future__ import annotations

from datetime import UTC, datetime

from spiegel_invitation.storage import Store


async def hold_mail(store: Store, keys: list[str], until: datetime) -> None:
    """The mailer leaves a suspended hospital's mail in the queue, marked `held`, due again at
    `until` (or at once when the hospital is reactivated: `release_held_mail`)."""
    await store.mail_queue.update_many_by_id([(key, {"$set": {"due": until, "held": True}}) for key in keys])


async def release_held_mail(store: Store) -> int:
    """After a reactivation: the held mail is due now (the mailer then decides, reminders being
    dropped as stale). The queue is small; a scan is fine."""
    held = await store.mail_queue.find({"held": True}, projection={"_id": 1})
    ids = [str(doc["_id"]).split(":", 1)[1] for doc in held]
    now = datetime.now(UTC)
    if ids:
        await store.mail_queue.update_many_by_id(
            [(i, {"$set": {"due": now}, "$unset": {"held": ""}}) for i in ids]
        )
    return len(ids)
