"""A test deployment of the action-plan service (api, relay, consumer) on the real Kafka and
FerretDB, with its own topic namespace and keyring, and the survey's round events it learns from."""

from __future__ import annotations

import subprocess
import sys
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import httpx
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from google.protobuf.timestamp_pb2 import Timestamp
from pymongo import AsyncMongoClient
from spiegel.survey.v1 import events_pb2 as survey
from spiegel_action_plan.pops.sealing import Keyring
from spiegel_dev.pytest_plugin import Processes
from spiegel_dev.waiting import eventually
from spiegel_platform.events import OutgoingEvent, ReceivedEvent, new_event
from spiegel_platform.events.envelope import decode

POPS_TOPIC = "spiegel.action_plan.pops.v1"


def stamp(moment: datetime) -> Timestamp:
    value = Timestamp()
    value.FromDatetime(moment.astimezone(UTC).replace(tzinfo=None))
    return value


class Deployment:
    def __init__(self, processes: Processes, stack: Any, token_issuer: Any) -> None:
        self.processes = processes
        self.stack = stack
        self.token_issuer = token_issuer
        self.prefix = f"ap_{uuid.uuid4().hex[:8]}"
        self.topic_prefix = f"{self.prefix}."
        self.keys = Keyring.generate("kek-1")
        self.api: Any = None
        self._producer: AIOKafkaProducer | None = None
        self.mongo: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(stack.mongodb_url, tz_aware=True)
        self.db = self.mongo[f"{self.prefix}_action_plan"]

    def env(self, keys: str | None = None) -> dict[str, str]:
        return {"KAFKA_TOPIC_PREFIX": self.topic_prefix, "POP_KEY_ENCRYPTION_KEYS": keys or self.keys}

    def start(self) -> None:
        self.processes.start("action-plan", "consumer", self.prefix, **self.env())
        self.processes.start("action-plan", "relay", self.prefix, **self.env())
        self.api = self.processes.start("action-plan", "api", self.prefix, **self.env())

    def another_api(self, keys: str) -> Any:
        """A second api process on the same database with another keyring."""
        return self.processes.start("action-plan", "api", self.prefix, **self.env(keys))

    def rotate(self, keys: str) -> str:
        """`python -m spiegel_action_plan.rotate_keys` with this keyring; its output."""
        env = self.processes.env("action-plan", self.prefix, **self.env(keys))
        done = subprocess.run(
            [sys.executable, "-m", "spiegel_action_plan.rotate_keys"],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=True,
        )
        return done.stdout

    async def close(self) -> None:
        if self._producer is not None:
            await self._producer.stop()
        await self.mongo.close()

    # -- HTTP ----------------------------------------------------------------------------
    def client(
        self, tenant: str, subject: str, *roles: str, lang: str = "nl", api: Any = None
    ) -> httpx.AsyncClient:
        token = self.token_issuer.issue(
            audience="action-plan", subject=subject, tenant_id=tenant, roles=list(roles)
        )
        return httpx.AsyncClient(
            base_url=(api or self.api).url,
            headers={"Authorization": f"Bearer {token}", "Accept-Language": lang},
            timeout=60,
        )

    # -- the survey's events in -----------------------------------------------------------
    async def publish(self, events: Sequence[OutgoingEvent]) -> None:
        if self._producer is None:
            self._producer = AIOKafkaProducer(bootstrap_servers=self.stack.kafka_bootstrap, acks="all")
            await self._producer.start()
        for event in events:
            await self._producer.send_and_wait(
                self.topic_prefix + event.topic,
                event.envelope,
                key=event.key.encode(),
                headers=event.headers(),
            )

    async def ifms_rounds(self, tenant: str, people: Sequence[str]) -> dict[str, str]:
        """One IFMS round per person, known to the service: person -> round id."""
        rounds = {person: f"r-{uuid.uuid4().hex[:10]}" for person in people}
        await self.publish(
            [
                new_event(
                    survey.RoundCreated(
                        round_id=round_id,
                        kind=survey.ROUND_KIND_IFMS,
                        subject=survey.Subject(subject_id=person, display_name=person),
                        title=f"IFMS {person}",
                        closes_at=stamp(datetime.now(UTC)),
                    ),
                    tenant_id=tenant,
                    producer="survey",
                )
                for person, round_id in rounds.items()
            ]
        )

        async def known() -> bool:
            ids = [f"{tenant}:{r}" for r in rounds.values()]
            return await self.db["rounds"].count_documents({"_id": {"$in": ids}}) == len(ids)

        await eventually(known, 60, f"{len(rounds)} rounds known to the action-plan service")
        return rounds

    # -- its events out ------------------------------------------------------------------
    async def pop_events(self, count: int, timeout: float = 60) -> list[tuple[bytes, ReceivedEvent]]:
        """At least `count` events from the POP topic, from its beginning (raw bytes and decoded)."""
        consumer = AIOKafkaConsumer(
            self.topic_prefix + POPS_TOPIC,
            bootstrap_servers=self.stack.kafka_bootstrap,
            auto_offset_reset="earliest",
            enable_auto_commit=False,
            group_id=None,
        )
        await consumer.start()
        found: list[tuple[bytes, ReceivedEvent]] = []
        try:

            async def enough() -> bool:
                batches = await consumer.getmany(timeout_ms=500)
                for records in batches.values():
                    found.extend(
                        (r.value, decode(r.value, topic=r.topic, headers=tuple(r.headers))) for r in records
                    )
                return len(found) >= count

            await eventually(enough, timeout, f"{count} POP events", interval=0)
        finally:
            await consumer.stop()
        return found
