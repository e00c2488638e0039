"""Instrument versions, per tenant, by id: `<instrument id>@<version>`."""

from __future__ import annotations

from spiegel_aggregation.instruments.model import InstrumentModel, instrument_key
from spiegel_aggregation.storage import Store


async def save_instrument(store: Store, instrument: InstrumentModel, event_id: str) -> None:
    """An instrument version never changes once published: the same event sets the same fields."""
    await store.instruments.apply_idempotent(
        instrument.key, event_id, {"$set": {"model": instrument.to_document()}}
    )


async def load_instrument(store: Store, instrument_id: str, version: int) -> InstrumentModel | None:
    doc = await store.instruments.get(instrument_key(instrument_id, version))
    if not doc or "model" not in doc:
        return None
    return InstrumentModel.from_document(doc["model"])
