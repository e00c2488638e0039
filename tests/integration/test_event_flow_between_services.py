"""A real event from one service process, through the real broker, into another service's database."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from pymongo import AsyncMongoClient

pytestmark = pytest.mark.integration


async def test_round_opened_in_survey_reaches_aggregation(processes, token_issuer, stack, unique):  # type: ignore[no-untyped-def]
    prefix = f"flow_{unique}"
    api = processes.start("survey", "api", prefix)
    processes.start("survey", "relay", prefix)
    processes.start("aggregation", "consumer", prefix)

    token = token_issuer.issue(
        audience="survey", subject="coordinator-1", tenant_id="hospital-a", roles=["coordinator"]
    )
    headers = {"Authorization": f"Bearer {token}", "X-Correlation-ID": f"flow-{unique}"}
    async with httpx.AsyncClient(base_url=api.url, headers=headers) as client:
        created = await client.post(
            "/rounds",
            json={
                "kind": "IFMS",
                "title": "IFMS 2026",
                "subject": {"subject_id": "spec-1", "display_name": "Dr. A. de Vries"},
                "closes_at": (datetime.now(UTC) + timedelta(days=21)).isoformat(),
            },
        )
        assert created.status_code == 201, created.text
        round_id = created.json()["id"]
        opened = await client.post(f"/rounds/{round_id}/open")
        assert opened.status_code == 200, opened.text
        assert opened.headers["x-correlation-id"] == f"flow-{unique}"

    client_db: AsyncMongoClient[dict[str, object]] = AsyncMongoClient(stack.mongodb_url)
    aggregation = client_db[f"{prefix}_aggregation"]
    deadline = time.monotonic() + 60
    found = None
    while time.monotonic() < deadline and found is None:
        found = await aggregation["rounds"].find_one({"_id": f"hospital-a:{round_id}"})
        await asyncio.sleep(0.3)
    await client_db.close()
    assert found is not None, "the aggregation service never saw the round"
    assert found["tenant_id"] == "hospital-a"
    assert found["subject_id"] == "spec-1"
    assert found["status_rank"] == 1


async def test_service_refuses_requests_without_a_valid_token(processes, unique):  # type: ignore[no-untyped-def]
    api = processes.start("survey", "api", f"auth_{unique}")
    async with httpx.AsyncClient(base_url=api.url) as client:
        bare = await client.post("/rounds", json={}, headers={"X-Tenant": "hospital-a", "X-User": "admin"})
        assert bare.status_code == 401
        assert bare.json()["code"] == "service_token_required"
        forged = await client.get("/rounds/x", headers={"Authorization": "Bearer not-a-token"})
        assert forged.status_code == 401
        health = await client.get("/healthz")
        ready = await client.get("/readyz")
        metrics = await client.get("/metrics")
    assert health.status_code == 200
    assert ready.json()["checks"] == {"mongodb": "ok", "kafka": "ok"}
    assert "spiegel_http_request_duration_seconds" in metrics.text
