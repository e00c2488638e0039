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

from spiegel_platform.storage.stores import Collection, TenantStores


class Store(TenantStores):
    """One tenant's collections (see the table above); `Store.on(db)` in the wiring keeps them."""

    rounds = Collection()
    instruments = Collection()
    instrument_uses = Collection()
    assignments = Collection()
    assignment_ids = Collection()
    submissions = Collection()
    responses = Collection()
    progress = Collection()
    schedule = Collection()
    tenants = Collection()


OUTBOX_COLLECTIONS = tuple(
    c.name for c in (Store.rounds, Store.instrument_uses, Store.submissions, Store.responses)
)
