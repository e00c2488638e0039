"""The real aggregation service with stand-in report reads in front of its own.

GET /reports/{id}: a coordinator or tenant admin reads any report of their
hospital, a specialist only their own (object-level check in the service, as
the real one will do). POST /test-reports (coordinator) stores one.
"""

from __future__ import annotations

import sys
from dataclasses import replace
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, HTTPException
from spiegel_aggregation.definition import DEFINITION as AGGREGATION
from spiegel_platform.auth.dependencies import require_roles
from spiegel_platform.auth.service_tokens import Principal
from spiegel_platform.service import Runtime, main
from spiegel_platform.storage.repository import TenantRepository

Reader = Annotated[Principal, Depends(require_roles("coordinator", "tenant_admin", "specialist"))]
Coordinator = Annotated[Principal, Depends(require_roles("coordinator", "tenant_admin"))]


def reports(runtime: Runtime) -> APIRouter:
    api = APIRouter()

    def repo(principal: Principal) -> TenantRepository:
        return TenantRepository(runtime.db["stub_reports"], principal.tenant_id)

    @api.post("/test-reports", status_code=201)
    async def create(principal: Coordinator, body: Annotated[dict[str, Any], Body()]) -> dict[str, str]:
        await repo(principal).insert(
            {"id": body["id"], "subject_id": body["subject_id"], "text": body["text"]}
        )
        return {"id": body["id"]}

    @api.get("/reports/{report_id}")
    async def get(report_id: str, principal: Reader) -> dict[str, Any]:
        doc = await repo(principal).get(report_id)
        if doc is None:
            raise HTTPException(404, "report not found")
        if not principal.has_role("coordinator", "tenant_admin") and doc["subject_id"] != principal.subject:
            raise HTTPException(403, "this report is not yours")
        return {"id": doc["id"], "subject_id": doc["subject_id"], "text": doc["text"]}

    return api


def routers(runtime: Runtime) -> list[APIRouter]:
    # The stand-in reads come first, so they win over the real ones: these tests are of the gateway
    # (routing, audit, the authorisation matrix) with reports stored directly; the real aggregation
    # service behind the real gateway is driven end to end by the browser tests (test_web_*.py).
    return [reports(runtime), *AGGREGATION.routers(runtime)]


DEFINITION = replace(AGGREGATION, routers=routers)

if __name__ == "__main__":
    sys.exit(main(DEFINITION))
