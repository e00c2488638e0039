"""The survey service's collections, each reached through a tenant-scoped repository.

| collection | document id | what |
| --- | --- | --- |
| rounds | round id | a round (events: RoundOpened/Extended/Closed) |
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

from dataclasses import dataclass

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

    @classmethod
    def of(cls, db: AsyncDatabase, tenant_id: str) -> Store:  # type: ignore[type-arg]
        def repo(name: str) -> TenantRepository:
            return TenantRepository(db[name], tenant_id)

        return cls(**{name: repo(name) for name in cls.__dataclass_fields__})

    @property
    def tenant_id(self) -> str:
        return self.rounds.tenant_id
