"""A probe service for the event-bus tests and benchmarks.

It uses the platform exactly as a real service does (ServiceDefinition, outbox,
relay, consumer), with a trivial domain: counters that ProbeTicked events
increment, each event exactly once in effect. Not registered as a service, so
`make run` does not start it.

    python -m spiegel_dev.probe relay|consumer|api
    python -m spiegel_dev.probe relay-kill-after-publish   # kill -9 itself between
                                                           # publish and mark-sent
"""

from __future__ import annotations

import os
import signal
import sys
import time
from collections.abc import Mapping

from pydantic import Field
from spiegel.platform.v1 import events_pb2
from spiegel_platform.events import Handler, ReceivedEvent, new_event
from spiegel_platform.events.consumer import BatchHandler
from spiegel_platform.events.contracts import topics_of
from spiegel_platform.events.envelope import OutgoingEvent
from spiegel_platform.events.outbox import OutboxRelay
from spiegel_platform.logging import get_logger
from spiegel_platform.service import ConsumerSpec, Runtime, ServiceDefinition, ServiceSettings, main
from spiegel_platform.storage.repository import TenantRepository

log = get_logger(__name__)
TOPIC = topics_of("spiegel.platform.v1.ProbeTicked")[0]


class ProbeSettings(ServiceSettings):
    mongodb_database: str = Field("spiegel_probe", pattern=r"^[A-Za-z0-9_]{1,60}$")
    probe_fail_counter: str = ""  # events for this counter fail in the handler (retry/DLQ tests)


def tick(tenant_id: str, counter_id: str, sequence: int, padding: bytes = b"") -> OutgoingEvent:
    return new_event(
        events_pb2.ProbeTicked(counter_id=counter_id, sequence=sequence, padding=padding),
        tenant_id=tenant_id,
        producer="probe",
    )


def handlers(runtime: Runtime) -> Mapping[str, Handler]:
    settings = runtime.settings
    assert isinstance(settings, ProbeSettings)

    async def ticked(event: ReceivedEvent) -> None:
        payload: events_pb2.ProbeTicked = event.payload
        if settings.probe_fail_counter and payload.counter_id == settings.probe_fail_counter:
            raise RuntimeError(f"probe failure for counter {payload.counter_id}")
        counters = TenantRepository(runtime.db["counters"], event.tenant_id)
        # The tick is recorded under its event id (with when it was applied, for the
        # latency benchmark): a redelivery sets the same key again and changes
        # nothing, so the count (the number of ticks) cannot grow twice.
        changed = await counters.apply_idempotent(
            payload.counter_id,
            event.event_id,
            {
                "$set": {f"ticks.{event.event_id}": payload.sequence},
                "$min": {f"applied_ns.{payload.sequence}": time.time_ns()},
            },
        )
        if not changed:
            log.info("event_duplicate_skipped", event_id=event.event_id)

    return {"spiegel.platform.v1.ProbeTicked": ticked}


def batch_handlers(runtime: Runtime) -> Mapping[str, BatchHandler]:
    """The same change for many events: one write per counter instead of one per event."""

    settings = runtime.settings
    assert isinstance(settings, ProbeSettings)

    async def ticked(events: list[ReceivedEvent]) -> None:
        if settings.probe_fail_counter and any(
            e.payload.counter_id == settings.probe_fail_counter for e in events
        ):
            raise RuntimeError("probe failure in a batch")  # the consumer falls back to one by one
        by_counter: dict[tuple[str, str], list[ReceivedEvent]] = {}
        for event in events:
            by_counter.setdefault((event.tenant_id, event.payload.counter_id), []).append(event)
        now = time.time_ns()
        for (tenant_id, counter_id), group in by_counter.items():
            counters = TenantRepository(runtime.db["counters"], tenant_id)
            changed = await counters.apply_idempotent(
                counter_id,
                [e.event_id for e in group],
                {
                    "$set": {f"ticks.{e.event_id}": e.payload.sequence for e in group},
                    "$min": {f"applied_ns.{e.payload.sequence}": now for e in group},
                },
            )
            if not changed:
                log.info("event_duplicate_skipped", events=len(group))

    return {"spiegel.platform.v1.ProbeTicked": ticked}


DEFINITION = ServiceDefinition(
    name="probe",
    title="Spiegel event-bus probe",
    settings_class=ProbeSettings,
    outbox_collections=["ticks"],
    consumers=[
        ConsumerSpec(
            group_id="probe.counters", handlers=handlers, topics=[TOPIC], batch_handlers=batch_handlers
        )
    ],
    produces_topics=[TOPIC],
)


class _KillAfterPublish(OutboxRelay):
    async def mark_sent(self, pending: object, hints: object) -> None:
        # Everything was published and acknowledged; die before marking it sent.
        log.warning("probe_killing_relay_after_publish")
        os.kill(os.getpid(), signal.SIGKILL)


if __name__ == "__main__":
    args = sys.argv[1:]
    if args[:1] == ["relay-kill-after-publish"]:
        import spiegel_platform.service as service_module

        service_module.OutboxRelay = _KillAfterPublish  # type: ignore[misc]
        args = ["relay"]
    sys.exit(main(DEFINITION, args))
