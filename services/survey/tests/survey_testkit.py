"""Helpers for the survey service's tests (imported by conftest and the tests)."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from spiegel_dev.services import ServiceProcess
from spiegel_platform.events.envelope import OutgoingEvent, ReceivedEvent, decode
from spiegel_platform.links import hash_link_token


class SurveyProcesses:
    def __init__(self, api: ServiceProcess, prefix: str, mongodb_url: str, kafka: str) -> None:
        self.api = api
        self.prefix = prefix
        self.mongodb_url = mongodb_url
        self.kafka = kafka

    @property
    def database(self) -> str:
        return f"{self.prefix}_survey"


class SurveyClient:
    """Calls the survey API as the gateway would, for one tenant."""

    def __init__(self, http: httpx.AsyncClient, issuer: Any, tenant: str) -> None:
        self.http = http
        self.issuer = issuer
        self.tenant = tenant
        self.seen: list[httpx.Response] = []

    def headers(self, roles: list[str], subject: str = "coordinator-1") -> dict[str, str]:
        token = self.issuer.issue(audience="survey", subject=subject, tenant_id=self.tenant, roles=roles)
        return {"Authorization": f"Bearer {token}"}

    @property
    def coordinator(self) -> dict[str, str]:
        return self.headers(["coordinator"])

    def respondent(self, token: str) -> dict[str, str]:
        return self.headers(["respondent"], subject=f"link:{hash_link_token(token)}")

    async def create_round(
        self, kind: str = "IFMS", *, open: bool = True, **overrides: Any
    ) -> dict[str, Any]:
        body: dict[str, Any] = {
            "kind": kind,
            "title": f"{kind} test",
            "subject": {"subject_id": "spec-1", "display_name": "Dr. A. de Vries"}
            if kind == "IFMS"
            else {
                "subject_id": "group-1",
                "display_name": "Vakgroep Cardiologie",
                "member_ids": ["spec-1", "spec-2", "spec-3", "spec-4"],
            },
            "closes_at": (datetime.now(UTC) + timedelta(days=14)).isoformat(),
            "open": open,
            **overrides,
        }
        response = await self.http.post("/rounds", json=body, headers=self.coordinator)
        assert response.status_code == 201, response.text
        return dict(response.json())

    async def links(self, round_id: str, group: str, count: int = 1, language: str = "nl") -> list[str]:
        response = await self.http.post(
            f"/rounds/{round_id}/assignments",
            json={"respondent_group": group, "count": count, "language": language},
            headers=self.coordinator,
        )
        assert response.status_code == 201, response.text
        return [a["token"] for a in response.json()["assignments"]]

    async def questionnaire(self, token: str, **params: str) -> httpx.Response:
        return await self.http.get(f"/questionnaires/{token}", headers=self.respondent(token), params=params)

    async def submit(self, token: str, body: dict[str, Any]) -> httpx.Response:
        return await self.http.post(
            f"/questionnaires/{token}/submit", json=body, headers=self.respondent(token)
        )

    async def draft(self, token: str, body: dict[str, Any]) -> httpx.Response:
        return await self.http.put(
            f"/questionnaires/{token}/draft", json=body, headers=self.respondent(token)
        )


async def read_events(
    kafka: str,
    topics: list[str],
    tenant: str,
    until: Callable[[list[ReceivedEvent]], bool],
    timeout: float = 30,
) -> list[ReceivedEvent]:
    """The tenant's events on `topics` from the beginning, once `until` holds (or the timeout)."""
    consumer = AIOKafkaConsumer(
        *topics,
        bootstrap_servers=kafka,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        group_id=None,
        isolation_level="read_committed",
    )
    await consumer.start()
    found: list[ReceivedEvent] = []
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline and not until(found):
            batches = await consumer.getmany(timeout_ms=300)
            for tp, records in batches.items():
                for record in records:
                    event = decode(
                        record.value,
                        topic=tp.topic,
                        partition=tp.partition,
                        offset=record.offset,
                        headers=tuple(record.headers or ()),
                    )
                    if event.tenant_id == tenant:
                        found.append(event)
    finally:
        await consumer.stop()
    return found


async def publish(kafka: str, events: list[OutgoingEvent]) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=kafka, enable_idempotence=True, acks="all")
    await producer.start()
    try:
        for event in events:
            await producer.send_and_wait(
                event.topic, value=event.envelope, key=event.key.encode(), headers=event.headers()
            )
    finally:
        await producer.stop()
