"""The rounds the aggregation service knows of, from the survey service's round events."""

from __future__ import annotations

from collections.abc import Mapping

from spiegel.survey.v1 import events_pb2
from spiegel_platform.events import Handler, ReceivedEvent
from spiegel_platform.service import Runtime
from spiegel_platform.storage.repository import TenantRepository


def handlers(runtime: Runtime) -> Mapping[str, Handler]:
    def rounds(event: ReceivedEvent) -> TenantRepository:
        return TenantRepository(runtime.db["rounds"], event.tenant_id)

    async def round_opened(event: ReceivedEvent) -> None:
        opened: events_pb2.RoundOpened = event.payload
        await rounds(event).apply_idempotent(
            opened.round_id,
            event.event_id,
            {
                "$set": {
                    "title": opened.title,
                    "subject_id": opened.subject.subject_id,
                    "min_group_size": max(4, opened.min_group_size),
                    "closes_at": opened.closes_at.ToDatetime(),
                },
                # Status only moves forward: a late "opened" never reopens a closed round.
                "$max": {"status_rank": 1},
            },
        )

    async def round_closed(event: ReceivedEvent) -> None:
        closed: events_pb2.RoundClosed = event.payload
        await rounds(event).apply_idempotent(
            closed.round_id,
            event.event_id,
            {"$max": {"status_rank": 2}, "$set": {"closed_at": closed.closed_at.ToDatetime()}},
        )

    return {
        "spiegel.survey.v1.RoundOpened": round_opened,
        "spiegel.survey.v1.RoundClosed": round_closed,
    }
