"""The survey's instrument event, through the adapter, into the instrument store."""

from __future__ import annotations

from collections.abc import Mapping

from spiegel_platform.events import Handler, ReceivedEvent
from spiegel_platform.events.contracts import contract_for

from spiegel_aggregation.instruments.adapter import EVENT_TYPE, instrument_from_event
from spiegel_aggregation.instruments.store import save_instrument
from spiegel_aggregation.settings import AggregationRuntime
from spiegel_aggregation.wiring import Aggregation


def instrument_event_available() -> bool:
    """True once the survey's contract defines the instrument event (then it is consumed)."""
    try:
        contract_for(EVENT_TYPE)
    except LookupError:
        return False
    return True


def handlers(runtime: AggregationRuntime) -> Mapping[str, Handler]:
    stores = Aggregation.of(runtime).stores

    async def instrument_published(event: ReceivedEvent) -> None:
        instrument = instrument_from_event(event.payload)
        await save_instrument(stores.tenant(event.tenant_id), instrument, event.event_id)

    return {EVENT_TYPE: instrument_published}
