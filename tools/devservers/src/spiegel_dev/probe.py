"""A probe service for the event-bus tests and benchmarks.

It uses the platform exactly as a real service does (ServiceDefinition, outbox,
relay, consumer), with a trivial domain: ticks written with their ProbeTicked
events, and counters that the events increment, each exactly once in effect (a
counter is the number of applied-tick documents naming it). Not registered as a
service, so `make run` does not start it.

    python -m spiegel_dev.probe relay|consumer|api
    python -m spiegel_dev.probe relay-kill-after-publish   # kill -9 itself between
                                                           # publish and mark-sent
    python -m spiegel_dev.probe relay-kill-before-removal  # kill -9 itself after a pass
                                                           # deleted its hints, before its
                                                           # events left their documents
"""

from __future__ import annotations

import os
import signal
import sys
import time
from collections.abc import Mapping

from pydantic import Field
from spiegel.platform.v1 import events_pb2
from spiegel_platform.events import ReceivedEvent, new_event
from spiegel_platform.events.consumer import BatchHandler
from spiegel_platform.events.contracts import topics_of
from spiegel_platform.events.envelope import OutgoingEvent
from spiegel_platform.events.outbox import OutboxRelay
from spiegel_platform.logging import get_logger
from spiegel_platform.service import ConsumerSpec, Runtime, ServiceDefinition, ServiceSettings, main
from spiegel_platform.storage.repository import TenantRepository

log = get_logger(__name__)
TOPIC = topics_of("spiegel.platform.v1.ProbeTicked")[0]
GROUP = "probe.counters"  # the consumer group of the counters


class ProbeSettings(ServiceSettings):
    mongodb_database: str = Field("spiegel_probe", pattern=r"^[A-Za-z0-9_]{1,60}$")
    probe_fail_counter: str = ""  # events for this counter fail in the handler (retry/DLQ tests)


def tick(tenant_id: str, counter_id: str, sequence: int, padding: bytes = b"") -> OutgoingEvent:
    return new_event(
        events_pb2.ProbeTicked(counter_id=counter_id, sequence=sequence, padding=padding),
        tenant_id=tenant_id,
        producer="probe",
    )


APPLIED = "applied"  # one document per applied tick, its id the event's id


def _applied(event: ReceivedEvent, applied_ns: int) -> dict[str, object]:
    payload: events_pb2.ProbeTicked = event.payload
    return {
        "id": event.event_id,
        "counter": payload.counter_id,
        "sequence": payload.sequence,
        "applied_ns": applied_ns,  # when it was applied, for the latency benchmark
    }


async def _apply(runtime: Runtime, events: list[ReceivedEvent]) -> None:
    """Record each tick as a document whose id is its event id, in one insert per tenant.

    The insert is the state change and records the event id in the same write: a
    redelivered event is a duplicate key, skipped, so a counter (the number of its
    tick documents) cannot grow twice. An insert costs FerretDB a fraction of an
    update, and its cost does not grow with the number of ticks applied before.
    """
    now = time.time_ns()
    by_tenant: dict[str, list[ReceivedEvent]] = {}
    for event in events:
        by_tenant.setdefault(event.tenant_id, []).append(event)
    for tenant_id, group in by_tenant.items():
        applied = TenantRepository(runtime.db[APPLIED], tenant_id)
        inserted = await applied.insert_many([_applied(e, now) for e in group])
        if len(inserted) < len(group):
            log.info("event_duplicate_skipped", events=len(group) - len(inserted))


def _check_failure(settings: ProbeSettings, events: list[ReceivedEvent]) -> None:
    failing = settings.probe_fail_counter
    if failing and any(e.payload.counter_id == failing for e in events):
        raise RuntimeError(f"probe failure for counter {failing}")


def batch_handlers(runtime: Runtime) -> Mapping[str, BatchHandler]:
    """A run of ticks in one insert. Should it fail, the consumer hands the same function
    one event at a time, so a failing tick is retried and dead-lettered on its own."""
    settings = runtime.settings
    assert isinstance(settings, ProbeSettings)

    async def ticked(events: list[ReceivedEvent]) -> None:
        _check_failure(settings, events)
        await _apply(runtime, events)

    return {"spiegel.platform.v1.ProbeTicked": ticked}


DEFINITION = ServiceDefinition(
    name="probe",
    title="Spiegel event-bus probe",
    settings_class=ProbeSettings,
    outbox_collections=["ticks"],
    consumers=[ConsumerSpec(group_id=GROUP, topics=[TOPIC], batch_handlers=batch_handlers)],
    produces_topics=[TOPIC],
)


class _KillAfterPublish(OutboxRelay):
    async def mark_sent(self, pending: object, hints: object) -> None:
        # Everything was published and acknowledged; die before marking it sent.
        log.warning("probe_killing_relay_after_publish")
        os.kill(os.getpid(), signal.SIGKILL)


class _KillBeforeRemoval(OutboxRelay):
    async def remove_published(self) -> None:
        if self._removals:
            # Published and acknowledged, hints deleted; die before the events leave their documents.
            log.warning("probe_killing_relay_before_removal")
            os.kill(os.getpid(), signal.SIGKILL)
        await super().remove_published()


CRASHING_RELAYS: dict[str, type[OutboxRelay]] = {
    "relay-kill-after-publish": _KillAfterPublish,
    "relay-kill-before-removal": _KillBeforeRemoval,
}

if __name__ == "__main__":
    args = sys.argv[1:]
    if args[:1] and args[0] in CRASHING_RELAYS:
        import spiegel_platform.service as service_module

        service_module.OutboxRelay = CRASHING_RELAYS[args[0]]  # type: ignore[misc]
        args = ["relay"]
    sys.exit(main(DEFINITION, args))
