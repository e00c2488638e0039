"""Coordinator API to create assignments directly, for tests and demos until the invitation service
announces them (AssignmentIssued). The raw link token is returned once and never stored."""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field, StringConstraints
from spiegel_platform.errors import ApiError
from spiegel_platform.links import hash_link_token, new_link_token

from spiegel_survey import times
from spiegel_survey.assignments import service
from spiegel_survey.assignments.model import InvalidAssignment
from spiegel_survey.auth import Coordinator
from spiegel_survey.rounds.model import RoundStatus
from spiegel_survey.settings import SurveyRuntime
from spiegel_survey.times import LocalTime
from spiegel_survey.wiring import Survey


class AssignmentsIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"respondent_group": "colleagues", "language": "nl", "count": 6}]},
    )

    respondent_group: Annotated[str, StringConstraints(min_length=1, max_length=40)]
    language: Literal["nl", "en"] = "nl"
    count: int = Field(1, ge=1, le=1000)
    expires_at: LocalTime | None = Field(None, description="Default: when the round closes.")


class IssuedAssignment(BaseModel):
    assignment_id: str
    respondent_group: str
    token: str = Field(..., description="The raw link token: shown once, only its hash is stored.")


class AssignmentsOut(BaseModel):
    round_id: str
    assignments: list[IssuedAssignment]


def router(runtime: SurveyRuntime) -> APIRouter:
    api = APIRouter(prefix="/rounds", tags=["assignments"])
    stores = Survey.of(runtime).stores

    @api.post(
        "/{round_id}/assignments",
        status_code=201,
        response_model=AssignmentsOut,
        summary="Create assignments with fresh links (development and tests; else: the invitation service)",
    )
    async def create_assignments(
        round_id: str, body: AssignmentsIn, principal: Coordinator
    ) -> AssignmentsOut:
        if runtime.settings.is_production:
            # Links made by hand could fill a respondent group up to its minimum with made-up
            # answers, and reveal the one real respondent's (the gateway never forwards this either).
            raise ApiError(403, "links_by_invitation_only")
        store = stores.tenant(principal.tenant_id)
        round_doc = await store.rounds.get(round_id)
        if round_doc is None:
            raise ApiError(404, "round_not_found", round_id=round_id)
        if round_doc["status"] == RoundStatus.CLOSED.value:
            raise ApiError(409, "assignment_round_closed")
        if body.expires_at is not None and body.expires_at <= times.now():
            raise ApiError(422, "expires_at_in_past")
        issued = []
        for _ in range(body.count):
            token = new_link_token()
            assignment_id = str(uuid.uuid4())
            try:
                await service.issue(
                    store,
                    event_id=f"api-{assignment_id}",
                    assignment_id=assignment_id,
                    round_id=round_id,
                    respondent_group=body.respondent_group,
                    token_hash=hash_link_token(token),
                    language=body.language,
                    expires_at=body.expires_at,
                )
            except InvalidAssignment as error:
                raise ApiError(422, "assignment_invalid", problem=error.reason) from None
            issued.append(
                IssuedAssignment(
                    assignment_id=assignment_id, respondent_group=body.respondent_group, token=token
                )
            )
        return AssignmentsOut(round_id=round_id, assignments=issued)

    return api
