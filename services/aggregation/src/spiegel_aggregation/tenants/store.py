"""A tenant's settings as this service knows them: the anonymity threshold (from the gateway)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from spiegel_aggregation.reports.anonymity import effective_threshold
from spiegel_aggregation.storage import Store

CONFIG = "config"


def threshold_of(doc: Mapping[str, Any] | None) -> int:
    """The latest revision's min_group_size (never below 4)."""
    if not doc or not doc.get("revisions"):
        return effective_threshold()
    latest = str(doc.get("revision", 0))
    entry = doc["revisions"].get(latest) or doc["revisions"][max(doc["revisions"], key=int)]
    return effective_threshold(int(entry.get("min_group_size", 0)))


async def tenant_threshold(store: Store) -> int:
    return threshold_of(await store.tenants.get(CONFIG))
