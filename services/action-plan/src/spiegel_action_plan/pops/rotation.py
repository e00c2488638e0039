"""Key rotation: every data key still wrapped by an older KEK is re-wrapped by the newest.

To rotate: put a new KEK first in POP_KEY_ENCRYPTION_KEYS (keeping the old ones), restart;
the consumer process re-wraps in the background (`rewrap_periodically`), or run it at once:
`python -m spiegel_action_plan.rotate_keys` (same settings). When it reports 0 left, the old
KEK can be removed. Only the small wrapped keys change; no POP is re-encrypted. Each re-wrap is
one conditional write on the key's old wrapping, so two rotations at once cannot lose a key.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from bson import Binary
from spiegel_platform.logging import get_logger
from spiegel_platform.periodic import every
from spiegel_platform.storage.stores import Stores

from spiegel_action_plan.pops import sealing
from spiegel_action_plan.settings import ActionPlanRuntime
from spiegel_action_plan.storage import Store

log = get_logger(__name__)


async def rewrap(stores: Stores[Store], keyring: sealing.Keyring) -> int:
    """Re-wrap every data key (of every tenant) not wrapped by the newest KEK; how many."""
    done = 0
    async for doc in stores.across_tenants(Store.data_keys).find({"kek_id": {"$ne": keyring.newest}}):
        store = stores.tenant(doc["tenant_id"])
        context = sealing.key_context(doc["tenant_id"], doc["id"], doc["data_key_id"])
        try:
            key = keyring.unwrap(sealing.Wrapped(doc["kek_id"], bytes(doc["wrapped"])), context)
        except sealing.Unreadable as error:  # its KEK is not in the keyring: left as it is, said why
            log.error(
                "pop_key_rewrap_impossible",
                tenant_id=doc["tenant_id"],
                kek_id=doc["kek_id"],
                reason=str(error),
            )
            continue
        wrapped = keyring.wrap(key, context)
        written = await store.data_keys.update(
            doc["id"],
            {
                "$set": {
                    "kek_id": wrapped.kek_id,
                    "wrapped": Binary(wrapped.blob),
                    "rewrapped_at": datetime.now(UTC),
                }
            },
            expect={"kek_id": doc["kek_id"], "data_key_id": doc["data_key_id"]},
        )
        done += written is not None
    return done


async def rewrap_periodically(runtime: ActionPlanRuntime, stop: asyncio.Event) -> None:
    from spiegel_action_plan.wiring import ActionPlan

    parts = ActionPlan.of(runtime)
    await every(
        runtime.settings.key_rotation_interval_s,
        lambda: rewrap(parts.stores, parts.keyring),
        stop,
        name="pop_key_rewrap",
        max_backoff=3600,
    )
