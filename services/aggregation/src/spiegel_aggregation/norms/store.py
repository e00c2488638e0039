"""Norm contributions and snapshots per tenant and instrument version; cross-tenant sharing."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from spiegel_platform.storage.stores import Stores

from spiegel_aggregation.norms.model import combine_snapshots, comparison, due, snapshot_of
from spiegel_aggregation.responses.model import escape_key, unescape_key
from spiegel_aggregation.settings import AggregationSettings
from spiegel_aggregation.storage import PLATFORM_SCOPE, Document, Store

REGISTRY = "registry"
SHARING = "norm_sharing"


@dataclass(frozen=True)
class Contribution:
    """One report version's statement means, from its ReportPublished event."""

    round_id: str
    version: int
    means: dict[str, float]
    event_id: str


def _latest_contributions(doc: Document | None) -> list[dict[str, float]]:
    found = []
    for versions in ((doc or {}).get("c") or {}).values():
        latest = max(versions, key=lambda v: int(v.lstrip("v")))
        found.append(json.loads(versions[latest]))
    return found


class Norms:
    def __init__(self, stores: Stores[Store], settings: AggregationSettings) -> None:
        self.stores = stores
        self.settings = settings

    async def contribute_many(
        self, tenant_id: str, instrument: str, contributions: Sequence[Contribution]
    ) -> None:
        """Several reports' contributions to one instrument's norms: one write and one read.

        The norm document holds every contribution, so it is written once per batch of
        published reports, not once per report (which rewrote a growing document each time).
        """
        if not contributions:
            return
        norms = self.stores.tenant(tenant_id).norms
        await norms.apply_idempotent(
            instrument,
            [c.event_id for c in contributions],
            {
                "$set": {
                    f"c.{escape_key(c.round_id)}.v{c.version}": json.dumps(c.means, separators=(",", ":"))
                    for c in contributions
                }
            },
        )
        doc = await norms.get(instrument)
        everyone = _latest_contributions(doc)
        snapshot = (doc or {}).get("snapshot") or {}
        if due(len(everyone), int(snapshot.get("count", 0)), self.settings.norm_min_reports):
            taken = snapshot_of(everyone)
            await norms.update(
                instrument,
                {
                    "$set": {
                        "snapshot": {
                            "count": taken["count"],
                            "at": datetime.now(UTC).isoformat(timespec="seconds"),
                            "items": json.dumps(taken["items"], separators=(",", ":")),
                        }
                    }
                },
            )

    async def snapshot(self, tenant_id: str, instrument: str) -> dict[str, Any] | None:
        doc = await self.stores.tenant(tenant_id).norms.get(instrument, projection={"snapshot": 1})
        snap = (doc or {}).get("snapshot")
        if not snap:
            return None
        return {"count": snap["count"], "at": snap["at"], "items": json.loads(snap["items"])}

    # -- sharing ----------------------------------------------------------------------------
    async def set_sharing(self, tenant_id: str, share: bool) -> None:
        # The tenant's own setting, and the platform's list that cross-tenant norms read.
        await self.stores.tenant(tenant_id).tenants.update(SHARING, {"$set": {"share": share}}, upsert=True)
        await self.stores.tenant(PLATFORM_SCOPE).norm_sharing.update(
            REGISTRY, {"$set": {f"tenants.{escape_key(tenant_id)}": share}}, upsert=True
        )

    async def sharing(self, tenant_id: str) -> bool:
        doc = await self.stores.tenant(tenant_id).tenants.get(SHARING)
        return bool(doc and doc.get("share"))

    async def sharing_tenants(self) -> list[str]:
        doc = await self.stores.tenant(PLATFORM_SCOPE).norm_sharing.get(REGISTRY)
        return sorted(unescape_key(t) for t, on in ((doc or {}).get("tenants") or {}).items() if on)

    async def cross_tenant(self, instrument: str) -> dict[str, Any] | None:
        """N3: only with enough opted-in tenants with a snapshot; stepped like N2."""
        found = [(t, s) for t in await self.sharing_tenants() if (s := await self.snapshot(t, instrument))]
        if len(found) < self.settings.norm_min_tenants:
            return None
        snapshots = [s for _, s in found]
        members = hashlib.sha256("|".join(t for t, _ in found).encode()).hexdigest()
        registry = self.stores.tenant(PLATFORM_SCOPE).norm_sharing
        key = f"cross.{escape_key(instrument)}"
        cached = ((await registry.get(REGISTRY)) or {}).get("cross", {}).get(escape_key(instrument))
        combined = combine_snapshots(snapshots)
        # Stepped (N2) while the same tenants share; a tenant that stops sharing is left out at once.
        if (
            cached
            and cached.get("members") == members
            and combined["count"] - int(cached["count"]) < self.settings.norm_min_reports
        ):
            return {"count": cached["count"], "at": cached["at"], "items": json.loads(cached["items"])}
        at = datetime.now(UTC).isoformat(timespec="seconds")
        await registry.update(
            REGISTRY,
            {
                "$set": {
                    key: {
                        "count": combined["count"],
                        "members": members,
                        "at": at,
                        "items": json.dumps(combined["items"], separators=(",", ":")),
                    }
                }
            },
            upsert=True,
        )
        return {**combined, "at": at}

    async def for_report(self, tenant_id: str, instrument: str, body: dict[str, Any]) -> dict[str, Any]:
        own = await self.snapshot(tenant_id, instrument)
        cross = await self.cross_tenant(instrument) if await self.sharing(tenant_id) else None
        return {
            "min_reports": self.settings.norm_min_reports,
            "tenant": {**(comparison(body, own) or {}), "at": own["at"]} if own else None,
            "cross_tenant": {**(comparison(body, cross) or {}), "at": cross["at"]} if cross else None,
        }
