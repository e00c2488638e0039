"""A first walk through the gateway: an operator creates a hospital, a coordinator calls survey."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from gateway_helpers import Browser, add_person, create_tenant

pytestmark = pytest.mark.integration


async def test_coordinator_creates_a_round_through_the_gateway(deployment):  # type: ignore[no-untyped-def]
    slug = f"zh-{uuid.uuid4().hex[:6]}"
    tenant = await create_tenant(deployment, slug)
    assert tenant["min_group_size"] == 4
    email = f"coord-{uuid.uuid4().hex[:6]}@zh-test.nl"
    await add_person(deployment, tenant["tenant_id"], email, "coordinator")
    browser = Browser(deployment.url, slug=slug)
    try:
        login = await browser.login(email)
        assert login.status_code == 200, login.text
        created = await browser.post(
            "/api/survey/rounds",
            json={
                "kind": "IFMS",
                "title": "IFMS",
                "subject": {"subject_id": "s1", "display_name": "Dr. A"},
                "closes_at": (datetime.now(UTC) + timedelta(days=5)).isoformat(),
            },
        )
        assert created.status_code == 201, created.text
        read = await browser.get(f"/api/survey/rounds/{created.json()['id']}")
        assert read.status_code == 200
        assert read.headers["x-correlation-id"]
    finally:
        await browser.aclose()
