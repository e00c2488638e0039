"""A test deployment of the accreditation service (api, relay, consumer) on the real Kafka and
FerretDB, with its own topic namespace, and the survey's round events it learns from."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from google.protobuf.timestamp_pb2 import Timestamp
from pymongo import AsyncMongoClient
from spiegel.survey.v1 import events_pb2 as survey
from spiegel_dev.pytest_plugin import Processes
from spiegel_dev.waiting import eventually
from spiegel_platform.events import OutgoingEvent, ReceivedEvent, new_event
from spiegel_platform.events.envelope import decode

SESSIONS_TOPIC = "spiegel.accreditation.sessions.v1"


def stamp(moment: datetime) -> Timestamp:
    value = Timestamp()
    value.FromDatetime(moment.astimezone(UTC).replace(tzinfo=None))
    return value


def at(days: float, hour: int = 14) -> datetime:
    """A moment `days` from now at `hour` o'clock (UTC)."""
    day = datetime.now(UTC) + timedelta(days=days)
    return day.replace(hour=hour, minute=0, second=0, microsecond=0)


class Deployment:
    def __init__(self, processes: Processes, stack: Any, token_issuer: Any) -> None:
        self.processes = processes
        self.stack = stack
        self.token_issuer = token_issuer
        self.prefix = f"acc_{uuid.uuid4().hex[:8]}"
        self.topic_prefix = f"{self.prefix}."
        self.api: Any = None
        self.relay: Any = None
        self._producer: AIOKafkaProducer | None = None
        self.mongo: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(stack.mongodb_url, tz_aware=True)
        self.db = self.mongo[f"{self.prefix}_accreditation"]

    def start(self) -> None:
        env = {"KAFKA_TOPIC_PREFIX": self.topic_prefix}
        self.processes.start("accreditation", "consumer", self.prefix, **env)
        self.relay = self.processes.start("accreditation", "relay", self.prefix, **env)
        self.api = self.processes.start("accreditation", "api", self.prefix, **env)

    def restart_relay(self) -> None:
        self.relay = self.processes.start(
            "accreditation", "relay", self.prefix, KAFKA_TOPIC_PREFIX=self.topic_prefix
        )

    async def close(self) -> None:
        if self._producer is not None:
            await self._producer.stop()
        await self.mongo.close()

    # -- HTTP ----------------------------------------------------------------------------
    def client(self, tenant: str, subject: str, *roles: str, lang: str = "nl") -> httpx.AsyncClient:
        token = self.token_issuer.issue(
            audience="accreditation", subject=subject, tenant_id=tenant, roles=list(roles)
        )
        return httpx.AsyncClient(
            base_url=self.api.url,
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

    @staticmethod
    def round_created(
        tenant: str,
        round_id: str,
        subject_id: str,
        *,
        members: Sequence[str] = (),
        group_monitor: bool = False,
    ) -> OutgoingEvent:
        kind = survey.ROUND_KIND_GROUP_MONITOR if group_monitor else survey.ROUND_KIND_IFMS
        return new_event(
            survey.RoundCreated(
                round_id=round_id,
                kind=kind,
                subject=survey.Subject(
                    subject_id=subject_id, display_name=subject_id, member_ids=list(members)
                ),
                title=f"ronde {round_id}",
                closes_at=stamp(datetime.now(UTC)),
            ),
            tenant_id=tenant,
            producer="survey",
        )

    @staticmethod
    def round_closed(tenant: str, round_id: str) -> OutgoingEvent:
        return new_event(
            survey.RoundClosed(round_id=round_id, closed_at=stamp(datetime.now(UTC))),
            tenant_id=tenant,
            producer="survey",
        )

    async def closed_ifms_rounds(
        self, tenant: str, people: Sequence[str], *, close: bool = True
    ) -> dict[str, str]:
        """One IFMS round per person (closed unless `close` is False): person -> round id."""
        rounds = {person: f"r-{uuid.uuid4().hex[:10]}" for person in people}
        events = [self.round_created(tenant, r, p) for p, r in rounds.items()]
        if close:
            events += [self.round_closed(tenant, r) for r in rounds.values()]
        await self.publish(events)
        await self.rounds_known(tenant, list(rounds.values()), closed=close)
        return rounds

    async def rounds_known(self, tenant: str, round_ids: Sequence[str], *, closed: bool = True) -> None:
        async def known() -> bool:
            docs = (
                await self.db["rounds"].find({"_id": {"$in": [f"{tenant}:{r}" for r in round_ids]}}).to_list()
            )
            return len(docs) == len(round_ids) and all(bool(d.get("closed")) == closed for d in docs)

        await eventually(known, 60, f"{len(round_ids)} rounds known to the accreditation service")

    # -- its events out ------------------------------------------------------------------
    async def session_events(self, count: int, timeout: float = 60, key: str = "") -> list[ReceivedEvent]:
        """At least `count` events from the session topic, from its beginning (and one with `key`)."""
        consumer = AIOKafkaConsumer(
            self.topic_prefix + SESSIONS_TOPIC,
            bootstrap_servers=self.stack.kafka_bootstrap,
            auto_offset_reset="earliest",
            enable_auto_commit=False,
            group_id=None,
        )
        await consumer.start()
        found: list[ReceivedEvent] = []
        try:

            async def enough() -> bool:
                batches = await consumer.getmany(timeout_ms=500)
                for records in batches.values():
                    found.extend(decode(r.value, topic=r.topic, headers=tuple(r.headers)) for r in records)
                return len(found) >= count and (not key or any(e.key == key for e in found))

            await eventually(enough, timeout, f"{count} session events", interval=0)
        finally:
            await consumer.stop()
        return found
