"""The survey's round events: which rounds exist, whose they are, and which have closed.

So "a coordinator picks specialists whose rounds have closed" is checked here, without calling
the survey. Each event is one `$set` of the round's own document (`apply_idempotent`): a
redelivery writes the same values again, and a round's facts and its closing are separate
fields, so their order does not matter either.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC
from typing import Any

from spiegel.survey.v1 import events_pb2 as survey
from spiegel_platform.events import Handler, PermanentError, ReceivedEvent

from spiegel_accreditation.sessions.model import GROUP_MONITOR, IFMS
from spiegel_accreditation.settings import AccreditationRuntime
from spiegel_accreditation.wiring import Accreditation

EVENTS = ["spiegel.survey.v1.RoundCreated", "spiegel.survey.v1.RoundOpened", "spiegel.survey.v1.RoundClosed"]


def facts(announced: survey.RoundCreated | survey.RoundOpened) -> dict[str, Any]:
    return {
        "kind": GROUP_MONITOR if announced.kind == survey.ROUND_KIND_GROUP_MONITOR else IFMS,
        "subject_id": announced.subject.subject_id,
        "subject_name": announced.subject.display_name,
        "member_ids": list(announced.subject.member_ids),
        "title": announced.title,
    }


def handlers(runtime: AccreditationRuntime) -> Mapping[str, Handler]:
    stores = Accreditation.of(runtime).stores

    async def announced(event: ReceivedEvent) -> None:
        """RoundCreated, and RoundOpened (the same facts; rounds made before RoundCreated existed)."""
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
        closed_at = (
            payload.closed_at.ToDatetime(tzinfo=UTC) if payload.HasField("closed_at") else event.occurred_at
        )
        await stores.tenant(event.tenant_id).rounds.apply_idempotent(
            payload.round_id, event.event_id, {"$set": {"closed": True, "closed_at": closed_at}}
        )

    return {EVENTS[0]: announced, EVENTS[1]: announced, EVENTS[2]: closed}
