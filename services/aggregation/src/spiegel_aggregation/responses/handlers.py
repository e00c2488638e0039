"""ResponseRecorded into the round's responses document, a run of events at a time.

All responses of one round in a batch become ONE `$set` on the round's
document (each under its response id, with every event id recorded): idempotent
by construction, and one write per round instead of one per response. A round
that has closed and waits for these responses gets its first version right after.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from spiegel.survey.v1 import events_pb2
from spiegel_platform.events import BatchHandler, PermanentError, ReceivedEvent, settle

from spiegel_aggregation.responses.model import set_fields
from spiegel_aggregation.rounds.model import CLOSED
from spiegel_aggregation.settings import AggregationRuntime
from spiegel_aggregation.wiring import Aggregation

EVENT_TYPE = "spiegel.survey.v1.ResponseRecorded"


def batch_handlers(runtime: AggregationRuntime) -> Mapping[str, BatchHandler]:
    wiring = Aggregation.of(runtime)
    reports, stores = wiring.reports, wiring.stores

    async def record(tenant_id: str, round_id: str, events: list[ReceivedEvent]) -> None:
        fields: dict[str, Any] = {}
        for event in events:
            recorded: events_pb2.ResponseRecorded = event.payload
            # The response's language and day are not kept: nothing finer than the group.
            fields.update(set_fields(recorded.response_id, recorded.respondent_group, recorded.answers))
        await stores.tenant(tenant_id).responses.apply_idempotent(
            round_id, [e.event_id for e in events], {"$set": fields}
        )
        round_doc = await stores.tenant(tenant_id).rounds.get(
            round_id, projection={"status_rank": 1, "latest_version": 1}
        )
        if (
            round_doc
            and int(round_doc.get("status_rank", 0)) >= CLOSED
            and not round_doc.get("latest_version")
        ):
            await reports.first_version_if_ready(tenant_id, round_id)

    async def responses_recorded(events: Sequence[ReceivedEvent]) -> None:
        by_round: dict[tuple[str, str], list[ReceivedEvent]] = {}
        for event in events:
            recorded: events_pb2.ResponseRecorded = event.payload
            if not recorded.response_id or not recorded.round_id or not recorded.respondent_group:
                raise PermanentError("ResponseRecorded needs response_id, round_id and respondent_group")
            by_round.setdefault((event.tenant_id, recorded.round_id), []).append(event)
        await settle(*(record(t, r, evs) for (t, r), evs in by_round.items()))

    return {EVENT_TYPE: responses_recorded}
