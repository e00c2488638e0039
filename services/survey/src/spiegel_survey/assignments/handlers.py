"""The invitation service's assignment events: which links may open which questionnaire."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC

from spiegel.invitation.v1 import events_pb2
from spiegel_platform.events import Handler, PermanentError, ReceivedEvent

from spiegel_survey.assignments import service
from spiegel_survey.assignments.model import InvalidAssignment
from spiegel_survey.settings import SurveyRuntime
from spiegel_survey.wiring import Survey


def handlers(runtime: SurveyRuntime) -> Mapping[str, Handler]:
    stores = Survey.of(runtime).stores

    async def issued(event: ReceivedEvent) -> None:
        payload: events_pb2.AssignmentIssued = event.payload
        expires_at = payload.expires_at.ToDatetime(tzinfo=UTC) if payload.HasField("expires_at") else None
        try:
            await service.issue(
                stores.tenant(event.tenant_id),
                event_id=event.event_id,
                assignment_id=payload.assignment_id,
                round_id=payload.round_id,
                respondent_group=payload.respondent_group,
                token_hash=payload.token_hash,
                language=payload.language,
                expires_at=expires_at,
            )
        except InvalidAssignment as error:
            raise PermanentError(str(error)) from None

    async def withdrawn(event: ReceivedEvent) -> None:
        payload: events_pb2.AssignmentWithdrawn = event.payload
        if not payload.assignment_id:
            raise PermanentError("assignment_id is empty")
        await service.withdraw(
            stores.tenant(event.tenant_id),
            event_id=event.event_id,
            assignment_id=payload.assignment_id,
        )

    return {
        "spiegel.invitation.v1.AssignmentIssued": issued,
        "spiegel.invitation.v1.AssignmentWithdrawn": withdrawn,
    }
