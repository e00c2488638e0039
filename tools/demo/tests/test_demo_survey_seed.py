"""The demo data of `make run`: an open IFMS round and an open Groepsmonitor round with responses."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from pymongo import AsyncMongoClient
from spiegel_demo.survey import seed
from spiegel_dev.keys import dev_jwks_path, dev_key
from spiegel_platform.auth.service_tokens import ServiceTokenIssuer

pytestmark = pytest.mark.integration


async def test_demo_hospital_gets_two_open_rounds_with_responses(stack, processes, unique) -> None:  # type: ignore[no-untyped-def]
    # Like `make run`: the API trusts the development key the seed signs with.
    prefix = f"seed_{unique}"
    api = processes.start("survey", "api", prefix, SERVICE_TOKEN_JWKS=str(dev_jwks_path()))
    seed(stack=stack, processes=[api])
    seed(stack=stack, processes=[api])  # a second `make run` adds nothing
    token = ServiceTokenIssuer(dev_key()).issue(
        audience="survey", subject="c", tenant_id="demo", roles=["coordinator"]
    )
    async with httpx.AsyncClient(base_url=api.url, headers={"Authorization": f"Bearer {token}"}) as client:
        rounds = (await client.get("/rounds", params={"status": "open"})).json()
    assert rounds["total"] == 2
    assert {r["kind"] for r in rounds["items"]} == {"IFMS", "GROUP_MONITOR"}
    mongo: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(stack.mongodb_url)
    try:
        responses = mongo[f"{prefix}_survey"]["responses"]
        per_round = {r["id"]: await responses.count_documents({"round_id": r["id"]}) for r in rounds["items"]}
    finally:
        await mongo.close()
    by_kind = {r["kind"]: per_round[r["id"]] for r in rounds["items"]}
    assert by_kind == {"IFMS": 12, "GROUP_MONITOR": 14}
