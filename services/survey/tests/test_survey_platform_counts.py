"""The operators' round counts: numbers per hospital, only for the gateway's platform-scoped token."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.integration


async def test_round_counts_answer_only_the_platform_scope_and_only_numbers(client, token_issuer) -> None:  # type: ignore[no-untyped-def]
    for _ in range(3):
        await client.create_round("IFMS", open=False, title="SECRET title")

    def bearer(tenant: str, roles: list[str]) -> dict[str, str]:
        token = token_issuer.issue(audience="survey", subject="gateway", tenant_id=tenant, roles=roles)
        return {"Authorization": f"Bearer {token}"}

    answer = await client.http.get("/platform/round-counts", headers=bearer("platform", ["operator"]))
    assert answer.status_code == 200, answer.text
    assert answer.json()["counts"][client.tenant] == 3
    assert "SECRET" not in answer.text and set(answer.json()) == {"counts"}
    # A hospital's token, whatever its roles, and a platform token without the operator role: refused.
    for tenant, roles in ((client.tenant, ["operator"]), (client.tenant, ["tenant_admin"]), ("platform", [])):
        refused = await client.http.get("/platform/round-counts", headers=bearer(tenant, roles))
        assert refused.status_code == 403, (tenant, roles, refused.text)
    assert (await client.http.get("/platform/round-counts")).status_code == 401
    # The platform scope reaches no hospital's rounds (its own scope holds none).
    listed = await client.http.get("/rounds", headers=bearer("platform", ["operator"]))
    assert listed.status_code == 403 or listed.json().get("items") == []
