"""Rounds from the survey's round events; invited counts from the invitation service's assignments.

Events of one round arrive in order on each topic (key: the round id), but the
topics differ: an assignment or a response may arrive before RoundOpened. Every
write is an upsert of the round's own document, idempotent by construction.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime

from spiegel.invitation.v1 import events_pb2 as invitation
from spiegel.survey.v1 import events_pb2 as survey
from spiegel_platform import anonymity
from spiegel_platform.events import BatchHandler, Handler, PermanentError, ReceivedEvent, settle

from spiegel_aggregation.responses.model import escape_key
from spiegel_aggregation.rounds.model import CLOSED, KINDS, OPENED
from spiegel_aggregation.settings import AggregationRuntime
from spiegel_aggregation.storage import Store
from spiegel_aggregation.wiring import Aggregation


def handlers(runtime: AggregationRuntime) -> Mapping[str, Handler]:
    wiring = Aggregation.of(runtime)
    reports, stores = wiring.reports, wiring.stores

    def rounds(event: ReceivedEvent):  # type: ignore[no-untyped-def]
        return stores.tenant(event.tenant_id).rounds

    async def round_opened(event: ReceivedEvent) -> None:
        opened: survey.RoundOpened = event.payload
        if not opened.round_id:
            raise PermanentError("RoundOpened without round_id")
        await rounds(event).apply_idempotent(
            opened.round_id,
            event.event_id,
            {
                "$set": {
                    "opened": True,
                    "kind": KINDS.get(int(opened.kind), KINDS[0]),
                    "title": opened.title,
                    "subject_id": opened.subject.subject_id,
                    "subject_name": opened.subject.display_name,
                    "member_ids": list(opened.subject.member_ids),
                    "instrument_id": opened.instrument_id,
                    "instrument_version": int(opened.instrument_version),
                    "groups": [
                        {"code": g.code, "label_nl": g.label_nl, "label_en": g.label_en, "is_self": g.is_self}
                        for g in opened.respondent_groups
                    ],
                    "min_group_size": anonymity.threshold(opened.min_group_size),
                    "closes_at": opened.closes_at.ToDatetime(tzinfo=UTC),
                },
                # Status only moves forward: a late "opened" never reopens a closed round.
                "$max": {"status_rank": OPENED},
            },
        )

    async def round_extended(event: ReceivedEvent) -> None:
        extended: survey.RoundExtended = event.payload
        await rounds(event).apply_idempotent(
            extended.round_id,
            event.event_id,
            {"$max": {"closes_at": extended.closes_at.ToDatetime(tzinfo=UTC)}},
        )

    async def round_closed(event: ReceivedEvent) -> None:
        await record_close(stores.tenant(event.tenant_id), event)
        await reports.first_version_if_ready(event.tenant_id, event.payload.round_id)

    async def assignment_issued(event: ReceivedEvent) -> None:
        issued: invitation.AssignmentIssued = event.payload
        if not issued.assignment_id or not issued.respondent_group:
            raise PermanentError("AssignmentIssued without assignment id or respondent group")
        # Only counted (invited per group); the token hash is not kept.
        await rounds(event).apply_idempotent(
            issued.round_id,
            event.event_id,
            {
                "$set": {
                    f"invited.{escape_key(issued.respondent_group)}.{escape_key(issued.assignment_id)}": True
                }
            },
        )

    async def assignment_withdrawn(event: ReceivedEvent) -> None:
        withdrawn: invitation.AssignmentWithdrawn = event.payload
        await rounds(event).apply_idempotent(
            withdrawn.round_id,
            event.event_id,
            {"$set": {f"withdrawn.{escape_key(withdrawn.assignment_id)}": True}},
        )

    return {
        "spiegel.survey.v1.RoundOpened": round_opened,
        "spiegel.survey.v1.RoundExtended": round_extended,
        "spiegel.survey.v1.RoundClosed": round_closed,
        "spiegel.invitation.v1.AssignmentIssued": assignment_issued,
        "spiegel.invitation.v1.AssignmentWithdrawn": assignment_withdrawn,
    }


async def record_close(store: Store, event: ReceivedEvent) -> None:
    """Record a RoundClosed (idempotent); the first version follows separately."""
    closed: survey.RoundClosed = event.payload
    await store.rounds.apply_idempotent(
        closed.round_id,
        event.event_id,
        {
            "$max": {"status_rank": CLOSED},
            "$set": {
                "closed_at": closed.closed_at.ToDatetime(tzinfo=UTC),
                "close_reason": int(closed.reason),
                "expected": {escape_key(g): int(n) for g, n in closed.completed_per_group.items()},
            },
            "$min": {"close_seen_at": datetime.now(UTC)},
        },
    )


def batch_handlers(runtime: AggregationRuntime) -> Mapping[str, BatchHandler]:
    """RoundClosed a run at a time: record each close, then make the first versions concurrently
    (reports of different rounds are independent documents)."""
    wiring = Aggregation.of(runtime)
    reports, stores = wiring.reports, wiring.stores
    single = handlers(runtime)["spiegel.survey.v1.RoundClosed"]
    limit = asyncio.Semaphore(8)

    async def closed(events: Sequence[ReceivedEvent]) -> None:
        if len(events) == 1:
            await single(events[0])
            return
        for event in events:
            await record_close(stores.tenant(event.tenant_id), event)

        async def first(event: ReceivedEvent) -> None:
            async with limit:
                await reports.first_version_if_ready(event.tenant_id, event.payload.round_id)

        await settle(*(first(e) for e in events))

    return {"spiegel.survey.v1.RoundClosed": closed}
