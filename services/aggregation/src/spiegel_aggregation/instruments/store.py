"""Instrument versions, per tenant, by id: `<instrument id>@<version>`."""

from __future__ import annotations

from pymongo.asynchronous.database import AsyncDatabase

from spiegel_aggregation.instruments.model import InstrumentModel, instrument_key
from spiegel_aggregation.storage import INSTRUMENTS, Document, repo


async def save_instrument(
    db: AsyncDatabase[Document], tenant_id: str, instrument: InstrumentModel, event_id: str
) -> None:
    """An instrument version never changes once published: the same event sets the same fields."""
    await repo(db, INSTRUMENTS, tenant_id).apply_idempotent(
        instrument.key, event_id, {"$set": {"model": instrument.to_document()}}
    )


async def load_instrument(
    db: AsyncDatabase[Document], tenant_id: str, instrument_id: str, version: int
) -> InstrumentModel | None:
    doc = await repo(db, INSTRUMENTS, tenant_id).get(instrument_key(instrument_id, version))
    if not doc or "model" not in doc:
        return None
    return InstrumentModel.from_document(doc["model"])
