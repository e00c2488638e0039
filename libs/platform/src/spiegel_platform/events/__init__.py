"""The event bus: envelopes, the transactional outbox and its relay, idempotent consumers."""

from spiegel_platform.events.consumer import BatchHandler, EventConsumer, Handler, PermanentError, settle
from spiegel_platform.events.envelope import OutgoingEvent, ReceivedEvent, new_event

__all__ = [
    "BatchHandler",
    "EventConsumer",
    "Handler",
    "OutgoingEvent",
    "PermanentError",
    "ReceivedEvent",
    "new_event",
    "settle",
]
