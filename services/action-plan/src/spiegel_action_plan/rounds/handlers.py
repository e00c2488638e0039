"""The survey's round events: which IFMS rounds exist and whose they are.

So "a POP belongs to its owner's own IFMS round" and the coordinator's "POP complete: yes/no
per specialist and round" are answered here, without calling the survey. Each event is one
`$set` of the round's own document (`apply_idempotent`): a redelivery writes the same values.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from spiegel.survey.v1 import events_pb2 as survey
from spiegel_platform.events import Handler, PermanentError, ReceivedEvent

from spiegel_action_plan.settings import ActionPlanRuntime
from spiegel_action_plan.wiring import ActionPlan

EVENTS = ["spiegel.survey.v1.RoundCreated", "spiegel.survey.v1.RoundOpened", "spiegel.survey.v1.RoundClosed"]


def facts(announced: survey.RoundCreated | survey.RoundOpened) -> dict[str, Any]:
    return {
        "kind": "GROUP_MONITOR" if announced.kind == survey.ROUND_KIND_GROUP_MONITOR else "IFMS",
        "subject_id": announced.subject.subject_id,
        "title": announced.title,
    }


def handlers(runtime: ActionPlanRuntime) -> Mapping[str, Handler]:
    stores = ActionPlan.of(runtime).stores

    async def announced(event: ReceivedEvent) -> None:
        payload: survey.RoundCreated | survey.RoundOpened = event.payload
        if not payload.round_id:
            raise PermanentError(f"{event.event_type} without round_id")
        await stores.tenant(event.tenant_id).rounds.apply_idempotent(
            payload.round_id, event.event_id, {"$set": facts(payload)}
        )

    async def closed(event: ReceivedEvent) -> None:
        payload: survey.RoundClosed = event.payload
        if not payload.round_id:
            raise PermanentError("RoundClosed without round_id")
        await stores.tenant(event.tenant_id).rounds.apply_idempotent(
            payload.round_id, event.event_id, {"$set": {"closed": True}}
        )

    return {EVENTS[0]: announced, EVENTS[1]: announced, EVENTS[2]: closed}
