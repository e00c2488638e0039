"""Building, encoding and decoding the envelope around every event."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from google.protobuf import message
from google.protobuf.timestamp_pb2 import Timestamp
from spiegel.common.v1 import envelope_pb2

from spiegel_platform.events.contracts import EventContract, contract_for

AMSTERDAM = ZoneInfo("Europe/Amsterdam")


class DecodeError(ValueError):
    """A message that is not a valid Spiegel envelope."""


@dataclass(frozen=True)
class OutgoingEvent:
    """An event caused by a state change, stored in the outbox with that change."""

    event_id: str
    event_type: str
    topic: str
    key: str
    tenant_id: str
    envelope: bytes
    timestamp_ms: int
    correlation_id: str

    def headers(self) -> list[tuple[str, bytes]]:
        return [
            ("event_type", self.event_type.encode()),
            ("event_id", self.event_id.encode()),
            ("tenant_id", self.tenant_id.encode()),
            ("correlation_id", self.correlation_id.encode()),
        ]

    def to_outbox(self, seq: int) -> dict[str, Any]:
        return {
            "seq": seq,
            "event_id": self.event_id,
            "event_type": self.event_type,
            "topic": self.topic,
            "key": self.key,
            "tenant_id": self.tenant_id,
            "envelope": self.envelope,
            "timestamp_ms": self.timestamp_ms,
            "correlation_id": self.correlation_id,
        }

    @classmethod
    def from_outbox(cls, entry: dict[str, Any]) -> OutgoingEvent:
        return cls(
            event_id=entry["event_id"],
            event_type=entry["event_type"],
            topic=entry["topic"],
            key=entry["key"],
            tenant_id=entry["tenant_id"],
            envelope=bytes(entry["envelope"]),
            timestamp_ms=int(entry["timestamp_ms"]),
            correlation_id=entry["correlation_id"],
        )


@dataclass(frozen=True)
class ReceivedEvent:
    event_id: str
    event_type: str
    tenant_id: str
    occurred_at: datetime
    producer: str
    correlation_id: str
    causation_id: str
    schema_version: int
    key: str
    payload: Any
    topic: str = ""
    partition: int = -1
    offset: int = -1
    headers: tuple[tuple[str, bytes], ...] = field(default=())


def _day_of(moment: datetime) -> datetime:
    """Midnight (UTC) of the Amsterdam calendar day of `moment`: nothing finer leaks."""
    day = moment.astimezone(AMSTERDAM).date()
    return datetime.combine(day, time(0, 0), tzinfo=UTC)


def new_event(
    payload: message.Message,
    *,
    tenant_id: str,
    producer: str,
    correlation_id: str | None = None,
    causation_id: str | None = None,
    occurred_at: datetime | None = None,
) -> OutgoingEvent:
    if not tenant_id:
        raise ValueError("an event needs a tenant id")
    contract: EventContract = contract_for(payload.DESCRIPTOR.full_name)
    key = str(getattr(payload, contract.key_field))
    if not key:
        raise ValueError(f"{contract.event_type}.{contract.key_field} (the Kafka key) is empty")
    moment = occurred_at or datetime.now(UTC)
    correlation = correlation_id or str(uuid.uuid4())
    causation = causation_id or ""
    if contract.anonymous:
        # Answers travel without anything that links them to a request or a moment.
        moment = _day_of(moment)
        correlation = str(uuid.uuid4())
        causation = ""
    stamp = Timestamp()
    stamp.FromDatetime(moment.astimezone(UTC).replace(tzinfo=None))
    event_id = str(uuid.uuid4())
    envelope = envelope_pb2.Envelope(
        event_id=event_id,
        event_type=contract.event_type,
        tenant_id=tenant_id,
        occurred_at=stamp,
        producer=producer,
        correlation_id=correlation,
        causation_id=causation,
        schema_version=contract.schema_version,
        payload=payload.SerializeToString(),
        key=key,
    )
    return OutgoingEvent(
        event_id=event_id,
        event_type=contract.event_type,
        topic=contract.topic,
        key=key,
        tenant_id=tenant_id,
        envelope=envelope.SerializeToString(),
        timestamp_ms=int(moment.timestamp() * 1000),
        correlation_id=correlation,
    )


def decode(
    value: bytes | None,
    *,
    topic: str = "",
    partition: int = -1,
    offset: int = -1,
    headers: tuple[tuple[str, bytes], ...] = (),
) -> ReceivedEvent:
    if not value:
        raise DecodeError("empty message")
    try:
        envelope = envelope_pb2.Envelope.FromString(value)
    except message.DecodeError as error:
        raise DecodeError(f"not an envelope: {error}") from None
    if not envelope.event_id or not envelope.event_type:
        raise DecodeError("envelope without event id or type")
    if not envelope.tenant_id:
        raise DecodeError("envelope without tenant id")
    try:
        contract = contract_for(envelope.event_type)
    except LookupError as error:
        raise DecodeError(str(error)) from None
    if envelope.schema_version != contract.schema_version:
        raise DecodeError(
            f"schema version {envelope.schema_version} of {envelope.event_type} is not "
            f"{contract.schema_version}"
        )
    try:
        payload = contract.message_class.FromString(envelope.payload)
    except message.DecodeError as error:
        raise DecodeError(f"payload is not a {envelope.event_type}: {error}") from None
    return ReceivedEvent(
        event_id=envelope.event_id,
        event_type=envelope.event_type,
        tenant_id=envelope.tenant_id,
        occurred_at=envelope.occurred_at.ToDatetime(tzinfo=UTC),
        producer=envelope.producer,
        correlation_id=envelope.correlation_id,
        causation_id=envelope.causation_id,
        schema_version=envelope.schema_version,
        key=envelope.key,
        payload=payload,
        topic=topic,
        partition=partition,
        offset=offset,
        headers=headers,
    )
