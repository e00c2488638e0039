"""The survey service's collections, each reached through a tenant-scoped repository.

| collection | document id | what |
| --- | --- | --- |
| rounds | round id | a round (events: RoundCreated/Opened/Extended/Closed) |
| instruments | "<instrument id>@<version>" | a tenant's own instrument versions |
| instrument_uses | "<instrument id>@<version>" | first use by a round: locks it (InstrumentPublished) |
| assignments | token hash | an assignment: round, group, language, expiry, status, draft answers |
| assignment_ids | assignment id | assignment id -> token hash (for AssignmentWithdrawn) |
| submissions | token hash | the one submission: its unique insert decides (AssignmentCompleted) |
| responses | random response id | answers without any identity (ResponseRecorded) |
| progress | round id | completed assignments per round (written by the consumer only) |
| schedule | "open-rounds" | a tenant's open rounds and their closing times (written by the consumer only) |
| tenants | "settings" | what the gateway said about the tenant (min_group_size) |
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import ClassVar

from pymongo.asynchronous.database import AsyncDatabase
from spiegel_platform.storage.repository import TenantRepository

OUTBOX_COLLECTIONS = ("rounds", "instrument_uses", "submissions", "responses")


@dataclass
class Store:
    rounds: TenantRepository
    instruments: TenantRepository
    instrument_uses: TenantRepository
    assignments: TenantRepository
    assignment_ids: TenantRepository
    submissions: TenantRepository
    responses: TenantRepository
    progress: TenantRepository
    schedule: TenantRepository
    tenants: TenantRepository

    # One Store per database and tenant, made once: every request needs one, and making a
    # collection object costs more than the read it is for. (A Store holds no state of its own.)
    _made: ClassVar[dict[tuple[int, str], tuple[AsyncDatabase, Store]]] = {}  # type: ignore[type-arg]

    @classmethod
    def of(cls, db: AsyncDatabase, tenant_id: str) -> Store:  # type: ignore[type-arg]
        made = cls._made.get((id(db), tenant_id))
        if made is not None and made[0] is db:
            return made[1]

        def repo(name: str) -> TenantRepository:
            return TenantRepository(db[name], tenant_id)

        store = cls(**{f.name: repo(f.name) for f in fields(cls)})
        if len(cls._made) >= 10_000:
            cls._made.clear()
        cls._made[(id(db), tenant_id)] = (db, store)
        return store

    @property
    def tenant_id(self) -> str:
        return self.rounds.tenant_id
