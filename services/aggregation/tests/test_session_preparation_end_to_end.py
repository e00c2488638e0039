"""The facilitator's preparation follows the accreditation service's sessions (issue 19, point 1).

Real Kafka and FerretDB, the aggregation consumer and api as processes. Sessions are planned in
the accreditation service only; here its events are produced as it produces them (the whole
session with its version) and the preparation shows exactly the session's participants, follows
a swap, is gone after a cancellation, is nobody else's, and a redelivered older version never
undoes a newer one.
"""

from __future__ import annotations

import random
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from aggregation_testkit import lag
from aiokafka import AIOKafkaProducer
from google.protobuf.timestamp_pb2 import Timestamp
from pymongo import AsyncMongoClient
from spiegel.accreditation.v1 import events_pb2 as accreditation
from spiegel_aggregation.instruments.store import save_instrument
from spiegel_aggregation.storage import Store
from spiegel_demo.instruments import ifms_instrument
from spiegel_demo.simulation import SimRound, random_responses, tenant_configured
from spiegel_dev.waiting import eventually
from spiegel_platform.events import OutgoingEvent, new_event
from spiegel_platform.events.contracts import topics_of

pytestmark = pytest.mark.integration

TENANT = "ziekenhuis-sessies"
GROUP = "aggregation.sessions"
Changed = accreditation.SessionChanged


def _stamp(moment: datetime) -> Timestamp:
    stamp = Timestamp()
    stamp.FromDatetime(moment)
    return stamp


def _session(
    session_id: str, version: int, rounds: list[SimRound], facilitator: str
) -> accreditation.Session:
    start = datetime(2027, 3, 1, 13, 0, tzinfo=UTC)
    return accreditation.Session(
        session_id=session_id,
        kind=accreditation.SESSION_KIND_IFMS,
        participants=[accreditation.Participant(person_id=r.subject_id, round_id=r.round_id) for r in rounds],
        facilitator_ids=[facilitator],
        starts_at=_stamp(start),
        ends_at=_stamp(start + timedelta(hours=2, minutes=30)),
        location="Zaal 3",
        version=version,
    )


async def _send(bootstrap: str, prefix: str, events: list[OutgoingEvent]) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, enable_idempotence=True, acks="all")
    await producer.start()
    try:
        for e in events:  # one by one: a session's versions in the order given
            await producer.send_and_wait(
                prefix + e.topic, value=e.envelope, key=e.key.encode(), headers=e.headers()
            )
    finally:
        await producer.stop()


async def test_the_preparation_follows_the_accreditations_sessions(  # type: ignore[no-untyped-def]
    stack, processes, token_issuer, unique
):
    prefix = f"agp_{unique}"
    topic_prefix = f"{prefix}."
    processes.start(
        "aggregation", "consumer", prefix, KAFKA_TOPIC_PREFIX=topic_prefix, REPORT_WAIT_SECONDS="5"
    )
    api = processes.start("aggregation", "api", prefix, KAFKA_TOPIC_PREFIX=topic_prefix)
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(stack.mongodb_url, tz_aware=True)
    db = client[f"{prefix}_aggregation"]
    rng = random.Random(19)
    ifms = ifms_instrument()
    rounds = []
    for name in ("a", "b", "d", "e"):
        r = SimRound(
            TENANT,
            f"ronde-{name}-{uuid.uuid4().hex[:6]}",
            ifms,
            subject_id=f"spec-{name}",
            subject_name=f"Dr. {name.upper()}",
        )
        r.responses = random_responses(rng, ifms, {"self": 1, "colleagues": 5, "staff": 4})
        r.invited = {"self": 1, "colleagues": 6, "staff": 5}
        rounds.append(r)
    a, b, d, e = rounds
    try:
        await save_instrument(Store(db, TENANT), ifms, "fixture")
        events = [tenant_configured(TENANT)]
        for r in rounds:
            events += r.all_events()
        await _send(stack.kafka_bootstrap, topic_prefix, events)

        async def reported() -> bool:
            return all([await db["reports"].find_one({"_id": f"{TENANT}:{r.round_id}.v1"}) for r in rounds])

        await eventually(reported, 90, "four first versions")

        def headers(subject: str, role: str, tenant: str = TENANT) -> dict[str, str]:
            token = token_issuer.issue(
                audience="aggregation", subject=subject, tenant_id=tenant, roles=[role]
            )
            return {"Authorization": f"Bearer {token}"}

        facilitator, other_facilitator = headers("fac-1", "facilitator"), headers("fac-2", "facilitator")
        coordinator = headers("coord", "coordinator")
        elsewhere = headers("fac-1", "facilitator", "ander-ziekenhuis")

        def published(payload: Any) -> OutgoingEvent:
            return new_event(payload, tenant_id=TENANT, producer="accreditation")

        s1, s2 = str(uuid.uuid4()), str(uuid.uuid4())
        planned = published(
            accreditation.SessionPlanned(session_id=s1, session=_session(s1, 1, [a, b], "fac-1"))
        )
        other = published(accreditation.SessionPlanned(session_id=s2, session=_session(s2, 1, [e], "fac-2")))
        await _send(stack.kafka_bootstrap, topic_prefix, [planned, other])

        async with httpx.AsyncClient(base_url=api.url, timeout=30) as http:

            async def people(session_id: str, who: dict[str, str]) -> set[str] | None:
                answer = await http.get(f"/sessions/{session_id}/preparation", headers=who)
                if answer.status_code == 404:
                    return None
                assert answer.status_code == 200, answer.text
                body = answer.json()
                assert body["reports_missing"] == [], body["reports_missing"]
                return {p["subject"]["id"] for p in body["people"]}

            async def shows(session_id: str, who: dict[str, str], expected: set[str] | None) -> bool:
                return await people(session_id, who) == expected

            # Planned: exactly its participants, for its facilitator and the coordinator.
            await eventually(lambda: shows(s1, facilitator, {"spec-a", "spec-b"}), 60, "the planned session")
            assert await people(s1, coordinator) == {"spec-a", "spec-b"}
            await eventually(lambda: shows(s2, other_facilitator, {"spec-e"}), 60, "the other session")
            # A facilitator of another session, another hospital, a participant: unknown (404).
            for stranger in (other_facilitator, elsewhere):
                refused = await http.get(f"/sessions/{s1}/preparation", headers=stranger)
                assert refused.status_code == 404 and refused.json()["code"] == "session_not_found", (
                    refused.text
                )
            assert (
                await http.get(f"/sessions/{s1}/preparation", headers=headers("spec-a", "specialist"))
            ).status_code == 403
            page = await http.get(f"/sessions/{s1}/preparation/fragment?lang=en", headers=facilitator)
            assert page.status_code == 200 and "Dr. A" in page.text and "Dr. B" in page.text, page.text[:400]
            assert "Dr. E" not in page.text
            # The reports a facilitator may read follow the sessions too.
            assert (await http.get(f"/reports/{a.round_id}.v1", headers=facilitator)).status_code == 200
            assert (await http.get(f"/reports/{d.round_id}.v1", headers=facilitator)).status_code == 404
            assert (await http.get(f"/reports/{a.round_id}.v1", headers=other_facilitator)).status_code == 404
            # The old discussion groups are gone: sessions are planned in the accreditation service.
            gone = await http.post("/discussion-groups", json={}, headers=coordinator)
            assert gone.status_code in (404, 405), gone.text

            # A swap (b out, d in): the preparation follows.
            swapped = published(
                Changed(
                    session_id=s1,
                    session=_session(s1, 2, [a, d], "fac-1"),
                    changes=[Changed.CHANGE_PARTICIPANTS],
                    removed_participants=[accreditation.Participant(person_id="spec-b", round_id=b.round_id)],
                    added_participants=[accreditation.Participant(person_id="spec-d", round_id=d.round_id)],
                )
            )
            await _send(stack.kafka_bootstrap, topic_prefix, [swapped])
            await eventually(lambda: shows(s1, facilitator, {"spec-a", "spec-d"}), 60, "the swap")
            assert (await http.get(f"/reports/{d.round_id}.v1", headers=facilitator)).status_code == 200
            assert (await http.get(f"/reports/{b.round_id}.v1", headers=facilitator)).status_code == 404

            # A redelivered older version (planned, v1) does not undo the swap.
            topics = [topic_prefix + t for t in topics_of("spiegel.accreditation.v1.SessionPlanned")]
            await _send(stack.kafka_bootstrap, topic_prefix, [planned, planned])

            async def drained() -> bool:
                return await lag(stack.kafka_bootstrap, GROUP, topics) == 0

            await eventually(drained, 60, "the redelivered version consumed")
            assert await people(s1, facilitator) == {"spec-a", "spec-d"}
            stored = await db["sessions"].find_one({"_id": f"{TENANT}:{s1}"})
            assert stored is not None and stored["version"] == 2

            # Cancelled: gone for everyone, and a redelivered swap (v2) does not bring it back.
            cancelled = published(
                accreditation.SessionCancelled(session_id=s1, session=_session(s1, 3, [a, d], "fac-1"))
            )
            await _send(stack.kafka_bootstrap, topic_prefix, [cancelled])
            await eventually(lambda: shows(s1, facilitator, None), 60, "the cancellation")
            assert await people(s1, coordinator) is None
            assert (await http.get(f"/reports/{a.round_id}.v1", headers=facilitator)).status_code == 404
            await _send(stack.kafka_bootstrap, topic_prefix, [swapped, planned])
            await eventually(drained, 60, "the redelivered versions consumed")
            assert await people(s1, facilitator) is None
            stored = await db["sessions"].find_one({"_id": f"{TENANT}:{s1}"})
            assert stored is not None and (stored["version"], stored["state"]) == (3, "cancelled")
            # Nothing but ids, times and state is kept of a session (no place, no names).
            assert "location" not in stored and "Zaal" not in str(stored)
            # The other session is untouched.
            assert await people(s2, other_facilitator) == {"spec-e"}
    finally:
        await client.drop_database(db.name)
        await client.close()
