"""Rounds over HTTP: create (draft), open, close, read."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request
from google.protobuf.timestamp_pb2 import Timestamp
from pydantic import AwareDatetime, BaseModel, Field
from spiegel.survey.v1 import events_pb2
from spiegel_platform.auth.dependencies import require_roles
from spiegel_platform.auth.service_tokens import Principal
from spiegel_platform.events import new_event
from spiegel_platform.service import Runtime
from spiegel_platform.storage.repository import TenantRepository

from spiegel_survey.rounds.model import LifecycleError, RoundStatus, check_close, check_open

Coordinator = Annotated[Principal, Depends(require_roles("coordinator", "tenant_admin"))]


class RoundIn(BaseModel):
    title: str = Field(..., min_length=1, max_length=200)
    subject_id: str = Field(..., min_length=1, max_length=100)
    subject_name: str = Field(..., min_length=1, max_length=200)
    closes_at: AwareDatetime


class RoundOut(BaseModel):
    id: str
    title: str
    subject_id: str
    subject_name: str
    status: RoundStatus
    closes_at: datetime


def _stamp(moment: datetime) -> Timestamp:
    stamp = Timestamp()
    stamp.FromDatetime(moment.astimezone(UTC).replace(tzinfo=None))
    return stamp


def _out(doc: dict[str, Any]) -> RoundOut:
    return RoundOut(**{k: doc[k] for k in RoundOut.model_fields})


def router(runtime: Runtime) -> APIRouter:
    api = APIRouter(prefix="/rounds", tags=["rounds"])

    def rounds(principal: Principal) -> TenantRepository:
        return TenantRepository(runtime.db["rounds"], principal.tenant_id)

    @api.post("", status_code=201, response_model=RoundOut)
    async def create_round(body: RoundIn, principal: Coordinator) -> RoundOut:
        doc = {**body.model_dump(), "id": str(uuid.uuid4()), "status": RoundStatus.DRAFT.value}
        stored = await rounds(principal).insert(doc)
        return _out(stored)

    @api.get("/{round_id}", response_model=RoundOut)
    async def get_round(round_id: str, principal: Coordinator) -> RoundOut:
        doc = await rounds(principal).get(round_id)
        if doc is None:
            raise HTTPException(404, f"round {round_id} not found")
        return _out(doc)

    @api.post("/{round_id}/open", response_model=RoundOut)
    async def open_round(round_id: str, principal: Coordinator, request: Request) -> RoundOut:
        repo = rounds(principal)
        doc = await repo.get(round_id)
        if doc is None:
            raise HTTPException(404, f"round {round_id} not found")
        try:
            check_open(RoundStatus(doc["status"]), datetime.now(UTC), doc["closes_at"])
        except LifecycleError as error:
            raise HTTPException(409, str(error)) from None
        event = new_event(
            events_pb2.RoundOpened(
                round_id=round_id,
                kind=events_pb2.ROUND_KIND_IFMS,
                subject=events_pb2.Subject(subject_id=doc["subject_id"], display_name=doc["subject_name"]),
                closes_at=_stamp(doc["closes_at"]),
                opens_at=_stamp(datetime.now(UTC)),
                title=doc["title"],
                min_group_size=4,
            ),
            tenant_id=principal.tenant_id,
            producer="survey",
            correlation_id=request.state.correlation_id,
        )
        updated = await repo.update(
            round_id,
            {"$set": {"status": RoundStatus.OPEN.value}},
            [event],
            expect={"status": RoundStatus.DRAFT.value},
        )
        if updated is None:
            raise HTTPException(409, "the round changed meanwhile; reload and try again")
        return _out(updated)

    @api.post("/{round_id}/close", response_model=RoundOut)
    async def close_round(round_id: str, principal: Coordinator, request: Request) -> RoundOut:
        repo = rounds(principal)
        doc = await repo.get(round_id)
        if doc is None:
            raise HTTPException(404, f"round {round_id} not found")
        try:
            check_close(RoundStatus(doc["status"]))
        except LifecycleError as error:
            raise HTTPException(409, str(error)) from None
        event = new_event(
            events_pb2.RoundClosed(
                round_id=round_id,
                closed_at=_stamp(datetime.now(UTC)),
                reason=events_pb2.RoundClosed.REASON_CLOSED_EARLY,
            ),
            tenant_id=principal.tenant_id,
            producer="survey",
            correlation_id=request.state.correlation_id,
        )
        updated = await repo.update(
            round_id,
            {"$set": {"status": RoundStatus.CLOSED.value}},
            [event],
            expect={"status": RoundStatus.OPEN.value},
        )
        if updated is None:
            raise HTTPException(409, "the round changed meanwhile; reload and try again")
        return _out(updated)

    return api
