"""Closing rounds at their closing time, and the two small documents that make it cheap.

The survey consumer reads the service's own events and keeps, per tenant:
- `schedule/open-rounds`: every open round with its closing time (RoundOpened
  and RoundExtended set it, RoundClosed removes it);
- `progress/<round id>`: the completed assignments of the round
  (AssignmentCompleted), from which completed counts per respondent group follow.
The consumer is their only writer (events of one round share a partition), so
there are no concurrent writes to either document, which FerretDB v1 would not
serialise. The closing job runs in the consumer process: every
`round_close_interval_s` it reads the small `schedule` collection (one document
per tenant) and closes what is due: one read by id per due round, nothing scans
the rounds.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from datetime import UTC
from typing import Any

from spiegel.survey.v1 import events_pb2
from spiegel_platform.events import Handler, ReceivedEvent
from spiegel_platform.logging import get_logger
from spiegel_platform.periodic import every

from spiegel_survey import times
from spiegel_survey.rounds import service
from spiegel_survey.settings import SurveyRuntime
from spiegel_survey.storage import Store
from spiegel_survey.wiring import Survey

SCHEDULE_ID = "open-rounds"
log = get_logger(__name__)


def handlers(runtime: SurveyRuntime) -> Mapping[str, Handler]:
    stores = Survey.of(runtime).stores

    def store(event: ReceivedEvent) -> Store:
        return stores.tenant(event.tenant_id)

    async def opened(event: ReceivedEvent) -> None:
        payload: events_pb2.RoundOpened = event.payload
        closes_at = payload.closes_at.ToDatetime(tzinfo=UTC)
        await store(event).schedule.apply_idempotent(
            SCHEDULE_ID, event.event_id, {"$max": {f"rounds.{payload.round_id}": closes_at}}
        )

    async def extended(event: ReceivedEvent) -> None:
        payload: events_pb2.RoundExtended = event.payload
        closes_at = payload.closes_at.ToDatetime(tzinfo=UTC)
        # Extensions only move later: $max makes redelivery and reordering harmless.
        await store(event).schedule.apply_idempotent(
            SCHEDULE_ID, event.event_id, {"$max": {f"rounds.{payload.round_id}": closes_at}}
        )

    async def closed(event: ReceivedEvent) -> None:
        payload: events_pb2.RoundClosed = event.payload
        await store(event).schedule.apply_idempotent(
            SCHEDULE_ID,
            event.event_id,
            {"$unset": {f"rounds.{payload.round_id}": ""}, "$set": {f"closed.{payload.round_id}": True}},
        )

    async def completed(event: ReceivedEvent) -> None:
        payload: events_pb2.AssignmentCompleted = event.payload
        await store(event).progress.apply_idempotent(
            payload.round_id,
            event.event_id,
            {"$set": {f"completed.{payload.assignment_id}": payload.respondent_group}},
        )

    return {
        "spiegel.survey.v1.RoundOpened": opened,
        "spiegel.survey.v1.RoundExtended": extended,
        "spiegel.survey.v1.RoundClosed": closed,
        "spiegel.survey.v1.AssignmentCompleted": completed,
    }


async def close_due_rounds(runtime: SurveyRuntime) -> int:
    """One pass of the closing job. Returns the number of rounds closed."""
    stores = Survey.of(runtime).stores
    closed = 0
    now = times.now()
    # The one cross-tenant read of the service: the schedule holds one small document per tenant.
    async for doc in stores.across_tenants(Store.schedule).find({}, projection={"_outbox": 0, "_applied": 0}):
        tenant_id = doc.get("tenant_id")
        if not tenant_id:
            continue
        store = stores.tenant(tenant_id)
        already: dict[str, Any] = doc.get("closed", {})
        for round_id, closes_at in doc.get("rounds", {}).items():
            if round_id in already or times.from_db(closes_at) > now:
                continue
            try:
                if await service.close(store, round_id, early=False) is not None:
                    closed += 1
                    log.info("round_closed_on_time", tenant_id=tenant_id, round_id=round_id)
            except service.NotFound:
                continue
    return closed


async def closing_job(runtime: SurveyRuntime, stop: asyncio.Event) -> None:
    # A failure (the database away) is logged and tried again at the next interval.
    await every(
        runtime.settings.round_close_interval_s,
        lambda: close_due_rounds(runtime),
        stop,
        name="closing_job",
        log=log,
    )
