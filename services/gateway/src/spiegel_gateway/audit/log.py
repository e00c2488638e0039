"""The audit log: who did what, when, from where, in which hospital. Append-only.

`audit_log`, one document per entry in the hospital's scope (the platform's
for operator acts and for requests that matched no hospital). This module is
the only code that touches the collection and it only inserts and reads: there
is no update or delete path (a test checks the whole package for one). Ids
sort by time, so a page of the log is a range of ids.
"""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase
from spiegel_platform.logging import get_logger
from spiegel_platform.storage.repository import TenantRepository
from spiegel_platform.storage.stores import Collection, TenantStores

log = get_logger(__name__)
COLLECTION = "audit_log"

REPORT_READ = "report.read"
POP_READ = "pop.read"
NOTES_READ = "notes.read"
AUTHORISATION_FAILED = "authorisation.failed"
TENANT_CREATED = "tenant.created"
TENANT_CHANGED = "tenant.changed"
TENANT_SUSPENDED = "tenant.suspended"
TENANT_REACTIVATED = "tenant.reactivated"
PERSON_CREATED = "person.created"
PERSON_CHANGED = "person.changed"
PEOPLE_IMPORTED = "people.imported"
GROUP_CREATED = "group.created"
GROUP_CHANGED = "group.changed"
SIGNED_OUT_EVERYWHERE = "sessions.revoked"


class AuditStore(TenantStores):
    """The audit log's one collection, declared here alone: no other module reaches it."""

    entries = Collection(COLLECTION)


class AuditLog:
    def __init__(self, db: AsyncDatabase[dict[str, Any]]) -> None:
        self.stores = AuditStore.on(db)

    def _repo(self, tenant_id: str) -> TenantRepository:
        return self.stores.tenant(tenant_id).entries

    async def record(
        self,
        *,
        tenant_id: str,
        action: str,
        actor: str | None,
        roles: list[str] | tuple[str, ...] = (),
        target: str,
        outcome: int | str,
        ip: str,
        correlation_id: str | None = None,
        detail: dict[str, Any] | None = None,
    ) -> None:
        entry = {
            "id": f"{time.time_ns():020d}-{uuid.uuid4().hex[:8]}",
            "at": datetime.now(UTC),
            "action": action,
            "actor": actor,
            "roles": list(roles),
            "target": target[:500],
            "outcome": outcome,
            "ip": ip,
            "correlation_id": correlation_id,
            **({"detail": detail} if detail else {}),
        }
        if action == AUTHORISATION_FAILED:
            log.warning(
                "authorisation_failed",
                tenant=tenant_id,
                actor=actor,
                roles=list(roles),
                target=target,
                outcome=outcome,
                ip=ip,
            )
        await self._repo(tenant_id).insert(entry)

    async def entries(
        self, tenant_id: str, *, limit: int = 100, before: str | None = None, action: str | None = None
    ) -> list[dict[str, Any]]:
        query: dict[str, Any] = {}
        if before:
            query["id"] = {"$lt": before}
        if action:
            query["action"] = action
        docs = await self._repo(tenant_id).find(query, sort=[("id", -1)], limit=limit)
        return [{k: v for k, v in d.items() if k not in ("_id",)} for d in docs]
