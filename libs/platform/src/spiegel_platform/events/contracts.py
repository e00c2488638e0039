"""What an event message declares about itself in proto/: topic, key field, anonymity."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import spiegel_contracts
from google.protobuf import descriptor_pool, message, message_factory
from spiegel.common.v1 import envelope_pb2


@dataclass(frozen=True)
class EventContract:
    event_type: str
    topic: str
    key_field: str
    anonymous: bool
    schema_version: int
    message_class: type[message.Message]


def _schema_version(full_name: str) -> int:
    # spiegel.<service>.v<N>.<Message>
    for part in full_name.split("."):
        if part.startswith("v") and part[1:].isdigit():
            return int(part[1:])
    raise ValueError(f"{full_name} has no version in its package")


@cache
def contract_for(event_type: str) -> EventContract:
    spiegel_contracts.load_all()
    try:
        descriptor = descriptor_pool.Default().FindMessageTypeByName(event_type)
    except KeyError:
        raise LookupError(f"unknown event type {event_type!r}") from None
    options = descriptor.GetOptions()
    topic = options.Extensions[envelope_pb2.topic]
    key_field = options.Extensions[envelope_pb2.key_field]
    if not topic or not key_field:
        raise LookupError(f"{event_type} is not an event (no topic/key_field option)")
    return EventContract(
        event_type=event_type,
        topic=topic,
        key_field=key_field,
        anonymous=options.Extensions[envelope_pb2.anonymous],
        schema_version=_schema_version(event_type),
        message_class=message_factory.GetMessageClass(descriptor),
    )


def all_contracts() -> list[EventContract]:
    spiegel_contracts.load_all()
    found = []
    for module in spiegel_contracts.event_modules():
        for descriptor in module.DESCRIPTOR.message_types_by_name.values():
            if descriptor.GetOptions().Extensions[envelope_pb2.topic]:
                found.append(contract_for(descriptor.full_name))
    return found


def topics_of(*event_types: str) -> list[str]:
    return sorted({contract_for(t).topic for t in event_types})
