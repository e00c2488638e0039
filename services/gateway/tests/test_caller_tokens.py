"""The caller's token the gateway signs for the web pages (audience: the domain services and the
gateway) is a credential at the gateway's own API, and only as far as the person's own session
would go: its own hospital, not a respondent's link, not a token for another audience."""

from __future__ import annotations

import uuid

import httpx
import pytest
from gateway_helpers import Deployment, create_tenant

pytestmark = pytest.mark.integration


async def test_a_caller_token_reaches_the_gateways_api_only_as_its_person_in_its_hospital(
    deployment: Deployment,
) -> None:
    here = await create_tenant(deployment, f"ct-{uuid.uuid4().hex[:6]}")
    elsewhere = await create_tenant(deployment, f"ct-{uuid.uuid4().hex[:6]}")
    issuer = deployment.issuer()

    def token(audience: str | list[str], tenant_id: str, kind: str = "person") -> dict[str, str]:
        signed = issuer.issue(
            audience=audience,
            subject="p-coordinator",
            tenant_id=tenant_id,
            roles=["coordinator"],
            extra={"kind": kind, "email": "c@umc-test.nl", "name": "C", "lang": "nl"},
        )
        return {"authorization": f"Bearer {signed}"}

    people = f"/t/{here['slug']}/people"
    async with httpx.AsyncClient(base_url=deployment.url, timeout=30) as http:
        allowed = await http.get(people, headers=token(["survey", "gateway"], here["tenant_id"]))
        assert allowed.status_code == 200, allowed.text
        assert (await http.get(people, headers=token("survey", here["tenant_id"]))).status_code == 401
        foreign = await http.get(people, headers=token(["gateway"], elsewhere["tenant_id"]))
        assert foreign.status_code == 403, foreign.text
        link = await http.get(people, headers=token(["gateway"], here["tenant_id"], kind="respondent"))
        assert link.status_code == 403, link.text
        made_up = {"authorization": "Bearer aaaa.bbbb.cccc"}
        assert (await http.get(people, headers=made_up)).status_code == 401
