"""Envelopes: every field set, anonymous events reveal nothing finer than a day."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from spiegel.common.v1 import envelope_pb2
from spiegel.survey.v1 import events_pb2
from spiegel_platform.events.contracts import all_contracts, contract_for
from spiegel_platform.events.envelope import DecodeError, decode, new_event


def test_round_trip_keeps_every_envelope_field():  # type: ignore[no-untyped-def]
    moment = datetime(2026, 3, 4, 10, 11, 12, tzinfo=UTC)
    event = new_event(
        events_pb2.RoundOpened(round_id="r1", title="IFMS"),
        tenant_id="h1",
        producer="survey",
        correlation_id="c1",
        causation_id="cause",
        occurred_at=moment,
    )
    received = decode(event.envelope)
    assert received.event_id == event.event_id
    assert received.event_type == "spiegel.survey.v1.RoundOpened"
    assert received.tenant_id == "h1"
    assert received.occurred_at == moment
    assert received.producer == "survey"
    assert received.correlation_id == "c1"
    assert received.causation_id == "cause"
    assert received.schema_version == 1
    assert received.key == "r1"
    assert received.payload.title == "IFMS"
    assert event.topic == "spiegel.survey.rounds.v1"
    assert dict(event.headers())["correlation_id"] == b"c1"


def test_anonymous_events_carry_only_the_day_and_no_request_link():  # type: ignore[no-untyped-def]
    late_evening = datetime(2026, 3, 4, 22, 30, 5, tzinfo=UTC)  # 23:30 in Amsterdam, same day
    event = new_event(
        events_pb2.ResponseRecorded(response_id="x", round_id="r1"),
        tenant_id="h1",
        producer="survey",
        correlation_id="request-42",
        causation_id="assignment-7",
        occurred_at=late_evening,
    )
    received = decode(event.envelope)
    assert received.occurred_at == datetime(2026, 3, 4, tzinfo=UTC)
    assert event.timestamp_ms == int(datetime(2026, 3, 4, tzinfo=UTC).timestamp() * 1000)
    assert received.correlation_id != "request-42"
    assert received.causation_id == ""
    after_midnight = datetime(2026, 3, 4, 23, 30, tzinfo=UTC)  # 00:30 the next day in Amsterdam
    assert (
        decode(
            new_event(
                events_pb2.ResponseRecorded(response_id="y", round_id="r1"),
                tenant_id="h1",
                producer="survey",
                occurred_at=after_midnight,
            ).envelope
        ).occurred_at.day
        == 5
    )


def test_every_event_declares_topic_and_key_and_a_versioned_package():  # type: ignore[no-untyped-def]
    contracts = all_contracts()
    assert {"spiegel.survey.v1.RoundOpened", "spiegel.survey.v1.ResponseRecorded"} <= {
        c.event_type for c in contracts
    }
    for contract in contracts:
        assert contract.topic.startswith("spiegel.") and contract.topic.endswith(".v1")
        assert contract.key_field in contract.message_class.DESCRIPTOR.fields_by_name


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        (b"", "empty"),
        (b"\xff\xfe garbage", "not an envelope"),
        (envelope_pb2.Envelope(event_id="e", event_type="", tenant_id="t").SerializeToString(), "type"),
        (
            envelope_pb2.Envelope(
                event_id="e", event_type="spiegel.survey.v1.RoundOpened"
            ).SerializeToString(),
            "tenant",
        ),
        (
            envelope_pb2.Envelope(event_id="e", event_type="nope.v1.X", tenant_id="t").SerializeToString(),
            "unknown event type",
        ),
        (
            envelope_pb2.Envelope(
                event_id="e", event_type="spiegel.survey.v1.RoundOpened", tenant_id="t", schema_version=2
            ).SerializeToString(),
            "schema version",
        ),
        (
            envelope_pb2.Envelope(
                event_id="e",
                event_type="spiegel.survey.v1.RoundOpened",
                tenant_id="t",
                schema_version=1,
                payload=b"\xff\xff\xff",
            ).SerializeToString(),
            "payload",
        ),
    ],
)
def test_malformed_messages_are_decode_errors(value, reason):  # type: ignore[no-untyped-def]
    with pytest.raises(DecodeError, match=reason):
        decode(value)


def test_events_need_a_tenant_and_a_key():  # type: ignore[no-untyped-def]
    with pytest.raises(ValueError, match="tenant"):
        new_event(events_pb2.RoundOpened(round_id="r"), tenant_id="", producer="survey")
    with pytest.raises(ValueError, match="key"):
        new_event(events_pb2.RoundOpened(), tenant_id="t", producer="survey")
    assert contract_for("spiegel.survey.v1.ResponseRecorded").anonymous
