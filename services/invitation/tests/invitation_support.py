"""Driving the invitation service from tests: its processes, events in and out, the mail catcher."""

from __future__ import annotations

import contextlib
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from google.protobuf.timestamp_pb2 import Timestamp
from pymongo import AsyncMongoClient
from spiegel.survey.v1 import events_pb2 as survey
from spiegel_dev.mailcatcher import CaughtMessage, MailCatcher
from spiegel_platform.events import OutgoingEvent, new_event
from spiegel_platform.events.envelope import decode

GROUPS = [
    survey.RespondentGroup(code="self", label_nl="Zelfevaluatie", label_en="Self", is_self=True),
    survey.RespondentGroup(code="colleagues", label_nl="Collega medisch specialisten", label_en="Colleagues"),
    survey.RespondentGroup(code="staff", label_nl="Medewerkers", label_en="Staff"),
    survey.RespondentGroup(code="flex", label_nl="Vrije groep", label_en="Flexible group"),
]


def stamp(moment: datetime) -> Timestamp:
    value = Timestamp()
    value.FromDatetime(moment.astimezone(UTC).replace(tzinfo=None))
    return value


@dataclass
class Invitation:
    """One running invitation service (api + relay + consumer) with its own database."""

    processes: Any
    stack: Any
    token_issuer: Any
    prefix: str
    tenant: str
    catcher: MailCatcher
    env: dict[str, str] = field(default_factory=dict)
    api: Any = None
    consumer: Any = None
    relay: Any = None
    _producer: AIOKafkaProducer | None = None

    def start(self, *, consumer: bool = True, relay: bool = True) -> Invitation:
        self.api = self.processes.start("invitation", "api", self.prefix, **self.env)
        if relay:
            self.relay = self.processes.start("invitation", "relay", self.prefix, **self.env)
        if consumer:
            self.consumer = self.processes.start("invitation", "consumer", self.prefix, **self.env)
        return self

    def start_consumer(self) -> Any:
        self.consumer = self.processes.start("invitation", "consumer", self.prefix, **self.env)
        return self.consumer

    # -- HTTP --------------------------------------------------------------------
    def client(
        self, roles: list[str] | None = None, subject: str = "coordinator-1", **claims: Any
    ) -> httpx.AsyncClient:
        token = self.token_issuer.issue(
            audience="invitation",
            subject=subject,
            tenant_id=self.tenant,
            roles=roles or ["coordinator"],
            extra=claims or None,
        )
        return httpx.AsyncClient(
            base_url=self.api.url, headers={"Authorization": f"Bearer {token}"}, timeout=60
        )

    # -- events in ---------------------------------------------------------------
    def topic(self, name: str) -> str:
        """A contract's topic in this test's namespace."""
        return self.env.get("KAFKA_TOPIC_PREFIX", "") + name

    async def publish(self, payload: Any) -> None:
        await self.publish_event(new_event(payload, tenant_id=self.tenant, producer="survey"))

    async def publish_event(self, event: OutgoingEvent) -> None:
        """One event as it is (publishing it again is a redelivery: the same event id)."""
        if self._producer is None:
            self._producer = AIOKafkaProducer(bootstrap_servers=self.stack.kafka_bootstrap, acks="all")
            await self._producer.start()
        await self._producer.send_and_wait(self.topic(event.topic), event.envelope, key=event.key.encode())

    async def open_round(
        self,
        round_id: str,
        *,
        subject_id: str = "spec-1",
        subject_name: str = "Dr. A. de Vries",
        title: str = "IFMS 2026",
        opens_at: datetime | None = None,
        closes_at: datetime | None = None,
        kind: int = survey.ROUND_KIND_IFMS,
        members: list[str] | None = None,
        groups: list[Any] | None = None,
    ) -> None:
        now = datetime.now(UTC)
        await self.publish(
            survey.RoundOpened(
                round_id=round_id,
                kind=kind,
                subject=survey.Subject(
                    subject_id=subject_id, display_name=subject_name, member_ids=members or []
                ),
                opens_at=stamp(opens_at or now),
                closes_at=stamp(closes_at or now + timedelta(days=21)),
                respondent_groups=groups or GROUPS,
                title=title,
                min_group_size=4,
                instrument_id="ifms",
                instrument_version=1,
            )
        )

    async def close(self) -> None:
        if self._producer is not None:
            await self._producer.stop()

    # -- the database --------------------------------------------------------------
    @contextlib.asynccontextmanager
    async def _collection(self, name: str) -> AsyncIterator[Any]:
        client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(self.stack.mongodb_url, tz_aware=True)
        try:
            yield client[f"{self.prefix}_invitation"][name]
        finally:
            await client.close()

    async def doc(self, collection: str, local_id: str) -> dict[str, Any] | None:
        async with self._collection(collection) as docs:
            found: dict[str, Any] | None = await docs.find_one({"_id": f"{self.tenant}:{local_id}"})
            return found

    async def insert(self, collection: str, local_id: str, fields: dict[str, Any]) -> None:
        """A document as the service stores it (e.g. what a process that crashed left behind)."""
        async with self._collection(collection) as docs:
            await docs.insert_one(
                {"_id": f"{self.tenant}:{local_id}", "id": local_id, "tenant_id": self.tenant, **fields}
            )

    async def update(self, collection: str, local_id: str, fields: dict[str, Any]) -> None:
        async with self._collection(collection) as docs:
            await docs.update_one({"_id": f"{self.tenant}:{local_id}"}, {"$set": fields})

    async def count(self, collection: str, filter: dict[str, Any] | None = None) -> int:
        async with self._collection(collection) as docs:
            return int(await docs.count_documents(filter or {}))


async def issued_events(
    stack: Any, round_id: str, expected: int, timeout: float = 60.0, namespace: str = ""
) -> dict[str, Any]:
    """AssignmentIssued/Withdrawn of one round from the real topic: assignment id -> latest payload."""
    consumer = AIOKafkaConsumer(
        namespace + "spiegel.invitation.assignments.v1",
        bootstrap_servers=stack.kafka_bootstrap,
        group_id=f"test-{uuid.uuid4().hex[:8]}",
        auto_offset_reset="earliest",
    )
    await consumer.start()
    found: dict[str, Any] = {}
    try:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and len(found) < expected:
            batches = await consumer.getmany(timeout_ms=500)
            for records in batches.values():
                for record in records:
                    event = decode(record.value)
                    if event.payload.round_id == round_id:
                        found[event.payload.assignment_id] = (event.event_type, event.payload)
    finally:
        await consumer.stop()
    return found


def link_token(message: CaughtMessage) -> str:
    details = message.details()
    link = next(u for u in details["links"] if "/e/" in u and not u.endswith("/afmelden"))
    return link.rsplit("/e/", 1)[1]
