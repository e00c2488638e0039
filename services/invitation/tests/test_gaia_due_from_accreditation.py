"""The GAIA registration deadline across both services, on the real Kafka, FerretDB and an SMTP
server: the accreditation service's reminder job emits GaiaRegistrationDue once for a session whose
deadline is 3 days away with attendees still to register; the invitation service mails each active
coordinator of the hospital once, in their own language, with the session's day, how many are
still to register, the deadline and a link to "Nog te registreren": no names, no BIG numbers. The
event delivered again mails nobody again."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from pymongo import AsyncMongoClient
from spiegel.gateway.v1 import events_pb2 as gateway
from spiegel_dev.waiting import eventually
from spiegel_platform.events.envelope import decode
from spiegel_platform.i18n import format_moment

pytestmark = [pytest.mark.integration]

GAIA_TOPIC = "spiegel.accreditation.gaia.v1"
BIG_NUMBERS = {"p-1": "01234567890", "p-2": "12345678901"}
NAMES = {"p-1": "Dr. Geheim Eerste", "p-2": "Dr. Geheim Tweede"}


def plain_and_html(mail: Any) -> str:
    message = mail.message
    return str(message.get_body(("plain",)).get_content()) + str(message.get_body(("html",)).get_content())


async def gaia_records(stack: Any, topic: str) -> list[Any]:
    consumer = AIOKafkaConsumer(
        topic, bootstrap_servers=stack.kafka_bootstrap, auto_offset_reset="earliest", group_id=None
    )
    await consumer.start()
    found: list[Any] = []
    try:

        async def one() -> bool:
            for records in (await consumer.getmany(timeout_ms=500)).values():
                found.extend(records)
            return len(found) >= 1

        await eventually(one, 60, "the GAIA reminder event", interval=0)
    finally:
        await consumer.stop()
    return found


async def test_the_coordinators_are_mailed_once_before_the_gaia_deadline(invitation) -> None:  # type: ignore[no-untyped-def]
    invitation.start(relay=False)
    prefix = invitation.env["KAFKA_TOPIC_PREFIX"]
    tenant = invitation.tenant
    await invitation.publish(
        gateway.TenantConfigured(
            tenant_id=tenant,
            slug="zhn",
            name="Ziekenhuis Noord",
            languages=["nl", "en"],
            time_zone="Europe/Amsterdam",
            revision=1,
        )
    )
    people = [
        ("coord-nl", "Cora Coördinator", ["coordinator"], "nl", True),
        ("coord-en", "Colin Coordinator", ["coordinator", "facilitator"], "en", True),
        ("coord-gone", "Oud Coördinator", ["coordinator"], "nl", False),  # deactivated: not mailed
        ("admin-1", "Bea Beheer", ["tenant_admin"], "nl", True),
        ("p-1", NAMES["p-1"], ["specialist"], "nl", True),
        ("p-2", NAMES["p-2"], ["specialist"], "nl", True),
    ]
    for person_id, name, roles, lang, active in people:
        await invitation.publish(
            gateway.PersonRegistered(
                person_id=person_id,
                display_name=name,
                email=f"{person_id}@zhn.example",
                roles=roles,
                language=lang,
                active=active,
                revision=1,
            )
        )

    async def directory_ready() -> bool:
        return all([await invitation.doc("people", p[0]) for p in people]) and bool(
            (await invitation.doc("tenants", tenant) or {}).get("slug") == "zhn"
        )

    await eventually(directory_ready, what="the gateway's people and tenant")

    # A session that ended 39 days ago with its accreditation (no deadline of its own, no
    # association rule: 42 days, so 3 days from now) and two participants present for the whole
    # session: written in the accreditation service's own store, as if the clock had moved on.
    session_id = str(uuid.uuid4())
    ended = datetime.now(UTC) - timedelta(days=39)
    starts = ended - timedelta(hours=3)
    deadline = (ended + timedelta(days=42)).date()
    mongo: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(invitation.stack.mongodb_url, tz_aware=True)
    accreditation_db = mongo[f"{invitation.prefix}_accreditation"]

    def doc(local_id: str, **fields: Any) -> dict[str, Any]:
        return {"_id": f"{tenant}:{local_id}", "tenant_id": tenant, "id": local_id, **fields}

    await accreditation_db["sessions"].insert_one(
        doc(
            session_id,
            kind="IFMS",
            participants=[{"person_id": p, "round_id": f"r-{p}"} for p in BIG_NUMBERS],
            participant_ids=list(BIG_NUMBERS),
            facilitator_ids=["fac-1"],
            starts_at=starts,
            ends_at=ended,
            location="Zaal 3",
            online_url="",
            group_id="",
            series_id="",
            state="planned",
            version=1,
        )
    )
    for person_id, number in BIG_NUMBERS.items():
        await accreditation_db["attendance"].insert_one(
            doc(
                f"{session_id}/{person_id}",
                session_id=session_id,
                person_id=person_id,
                status="present",
                minutes=180,
            )
        )
        await accreditation_db["big_numbers"].insert_one(doc(person_id, big_number=number))
    today = datetime.now(UTC).date()
    await accreditation_db["accreditations"].insert_one(
        doc(
            f"session/{session_id}",
            activity_number="456789",
            points=3.0,
            association="Nederlandse Vereniging voor Heelkunde",
            valid_from=(today - timedelta(days=200)).isoformat(),
            valid_until=(today + timedelta(days=100)).isoformat(),
            deadline_days=None,
            provider="Ziekenhuis Noord",
        )
    )
    # The invitation service knows the session from its events (its invitations): its day.
    await mongo[f"{invitation.prefix}_invitation"]["discussions"].insert_one(
        {
            "_id": f"{tenant}:{session_id}",
            "tenant_id": tenant,
            "id": session_id,
            "starts_at": starts,
            "version": 1,
        }
    )

    env = {"KAFKA_TOPIC_PREFIX": prefix, "GAIA_REMINDER_INTERVAL_SECONDS": "0.5"}
    for process in ("consumer", "relay"):
        invitation.processes.start("accreditation", process, invitation.prefix, **env)

    # One mail per active coordinator, in their language.
    mails = await asyncio.to_thread(invitation.catcher.wait_for, 2, 90)
    by_recipient = {m.recipients[0]: m for m in mails}
    assert set(by_recipient) == {"coord-nl@zhn.example", "coord-en@zhn.example"}
    dutch, english = by_recipient["coord-nl@zhn.example"], by_recipient["coord-en@zhn.example"]
    day_nl = format_moment(datetime(deadline.year, deadline.month, deadline.day), "EEEE d MMMM y", "nl")
    day_en = format_moment(datetime(deadline.year, deadline.month, deadline.day), "EEEE d MMMM y", "en")
    session_day = format_moment(starts.astimezone(), "d MMMM y", "nl")
    assert str(dutch.message["Subject"]) == f"Herinnering: presentie in GAIA registreren vóór {day_nl}"
    assert str(english.message["Subject"]) == f"Reminder: register attendance in GAIA by {day_en}"
    text_nl, text_en = plain_and_html(dutch), plain_and_html(english)
    assert "nog 2 deelnemer(s) niet in GAIA geregistreerd" in text_nl and session_day in text_nl
    assert "2 participant(s) are not yet registered in GAIA" in text_en
    for text in (text_nl, text_en):
        assert "/nog-te-registreren" in text
        for secret in (*BIG_NUMBERS.values(), "123456789", *NAMES.values(), "Geheim"):
            assert secret not in text, secret

    # The event carries ids and a count only; delivered again, it mails nobody again.
    records = await gaia_records(invitation.stack, prefix + GAIA_TOPIC)
    assert len(records) == 1
    event = decode(records[0].value, topic=records[0].topic, headers=tuple(records[0].headers))
    assert {f.name for f, _ in event.payload.ListFields()} == {"session_id", "deadline", "to_register"}
    producer = AIOKafkaProducer(bootstrap_servers=invitation.stack.kafka_bootstrap, acks="all")
    await producer.start()
    try:
        for _ in range(2):
            await producer.send_and_wait(
                records[0].topic, records[0].value, key=records[0].key, headers=list(records[0].headers)
            )
    finally:
        await producer.stop()
    await asyncio.sleep(5)  # the consumer handles it twice more; the reminder job ticks 10 times
    assert invitation.catcher.store.total == 2
    assert await accreditation_db["gaia_reminders"].count_documents({}) == 1
    # (The notes' own reminder of this session, to a facilitator the directory does not know, is
    # recorded too: not this test's.)
    queued = [d async for d in mongo[f"{invitation.prefix}_invitation"]["deliveries"].find({})]
    keys = [d["_id"].split(":", 1)[1] for d in queued]
    assert sorted(k for k in keys if k.startswith("gaia-due:")) == sorted(
        f"gaia-due:{session_id}:{deadline.isoformat()}:{p}" for p in ("coord-en", "coord-nl")
    )
    await mongo.close()
