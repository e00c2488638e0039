"""The real survey service with stand-in respondent endpoints in front of its own.

GET /questionnaires/{token}, PUT /questionnaires/{token}/draft and
POST /questionnaires/{token}/submit, as the gateway calls them; 404 for an
unknown link, 410 once submitted or closed. POST /test-assignments (coordinator)
creates an assignment for a token hash; POST /test-assignments/{hash}/close closes it.
"""

from __future__ import annotations

import sys
from dataclasses import replace
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, HTTPException, Request
from spiegel_platform.auth.dependencies import current_principal, require_roles
from spiegel_platform.auth.service_tokens import Principal
from spiegel_platform.links import hash_link_token
from spiegel_platform.service import Runtime, main
from spiegel_platform.storage.repository import TenantRepository
from spiegel_survey.definition import DEFINITION as SURVEY

Respondent = Annotated[Principal, Depends(require_roles("respondent"))]
Anyone = Annotated[Principal, Depends(current_principal)]
Coordinator = Annotated[Principal, Depends(require_roles("coordinator", "tenant_admin"))]


def questionnaires(runtime: Runtime) -> APIRouter:
    api = APIRouter()

    def repo(principal: Principal) -> TenantRepository:
        return TenantRepository(runtime.db["stub_assignments"], principal.tenant_id)

    async def assignment(token: str, principal: Principal) -> dict[str, Any]:
        link_hash = hash_link_token(token)
        if principal.subject != f"link:{link_hash}":
            raise HTTPException(403, "this token is not the caller's link")
        doc = await repo(principal).get(link_hash)
        if doc is None:
            raise HTTPException(404, "unknown link")
        if doc["status"] != "open":
            raise HTTPException(410, f"this questionnaire is {doc['status']}")
        return doc

    @api.post("/test-assignments", status_code=201)
    async def create(principal: Coordinator, body: Annotated[dict[str, Any], Body()]) -> dict[str, str]:
        await repo(principal).insert(
            {"id": body["token_hash"], "title": body.get("title", "IFMS"), "status": "open", "draft": {}}
        )
        return {"id": body["token_hash"]}

    @api.post("/test-assignments/{token_hash}/close")
    async def close(token_hash: str, principal: Coordinator) -> dict[str, str]:
        await repo(principal).update(token_hash, {"$set": {"status": "closed"}})
        return {"status": "closed"}

    @api.get("/questionnaires/{token}")
    async def get(token: str, principal: Respondent) -> dict[str, Any]:
        doc = await assignment(token, principal)
        return {"title": doc["title"], "language": principal.claims.get("lang"), "draft": doc["draft"]}

    @api.put("/questionnaires/{token}/draft")
    async def draft(
        token: str, principal: Respondent, body: Annotated[dict[str, Any], Body()]
    ) -> dict[str, Any]:
        doc = await assignment(token, principal)
        await repo(principal).update(doc["id"], {"$set": {"draft": body}})
        return {"saved": True}

    @api.post("/questionnaires/{token}/submit")
    async def submit(token: str, principal: Respondent) -> dict[str, str]:
        doc = await assignment(token, principal)
        if (
            await repo(principal).update(
                doc["id"], {"$set": {"status": "submitted"}}, expect={"status": "open"}
            )
            is None
        ):
            raise HTTPException(410, "already submitted")
        return {"status": "submitted"}

    return api


def echo() -> APIRouter:
    api = APIRouter()

    @api.api_route("/test-echo", methods=["GET", "POST"])
    async def echo_request(request: Request, principal: Anyone) -> dict[str, Any]:
        """What reached the service: headers and the verified principal (tests of the gateway)."""
        return {
            "headers": dict(request.headers),
            "subject": principal.subject,
            "tenant_id": principal.tenant_id,
            "roles": sorted(principal.roles),
            "claims": {k: principal.claims.get(k) for k in ("email", "name", "lang", "aud", "iss")},
            "body_bytes": len(await request.body()),
        }

    return api


def routers(runtime: Runtime) -> list[APIRouter]:
    # The stand-in questionnaires come first, so they win over the real ones: these tests are of the
    # gateway's link sessions (assignments made directly, any draft body); the real survey service
    # behind the real gateway is driven end to end by the browser tests (test_web_*.py).
    return [questionnaires(runtime), *SURVEY.routers(runtime), echo()]


DEFINITION = replace(SURVEY, routers=routers)

if __name__ == "__main__":
    sys.exit(main(DEFINITION))
