"""Cross-tenant norm sharing: a tenant's own choice (tenant admin) or the operator's."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from pydantic import BaseModel, StrictBool
from spiegel_platform.auth.dependencies import require_roles
from spiegel_platform.auth.roles import OPERATOR, TENANT_ADMIN
from spiegel_platform.auth.service_tokens import Principal
from spiegel_platform.errors import ApiError

from spiegel_aggregation.settings import AggregationRuntime
from spiegel_aggregation.wiring import Aggregation

Admin = Annotated[Principal, Depends(require_roles(OPERATOR, TENANT_ADMIN))]


class Sharing(BaseModel):
    share: StrictBool  # true or false; not "yes" or 1


def router(runtime: AggregationRuntime) -> APIRouter:
    api = APIRouter(prefix="/tenants/{tenant_id}/norm-sharing", tags=["norms"])
    norms = Aggregation.of(runtime).norms

    def allowed(principal: Principal, tenant_id: str) -> None:
        if principal.has_role(OPERATOR) or principal.tenant_id == tenant_id:
            return
        raise ApiError(403, "norms_admin_only")

    @api.get("", response_model=Sharing, summary="Deelt dit ziekenhuis normen met andere ziekenhuizen?")
    async def get_sharing(tenant_id: str, principal: Admin) -> Sharing:
        allowed(principal, tenant_id)
        return Sharing(share=await norms.sharing(tenant_id))

    @api.put("", response_model=Sharing, summary="Normen delen aan- of uitzetten")
    async def put_sharing(tenant_id: str, body: Sharing, principal: Admin) -> Sharing:
        allowed(principal, tenant_id)
        if not tenant_id or ":" in tenant_id or len(tenant_id) > 100:
            raise ApiError(422, "tenant_id_invalid")
        await norms.set_sharing(tenant_id, body.share)
        return body

    return api
