"""The group plans' checks across both services, on the real Kafka, FerretDB and an SMTP server:
the action-plan scheduler makes the checks of two due plans (a group with a contact person, a
group without one), the invitation service mails each recipient once in their language with the
link to the check page; the events delivered again mail nobody again; a reminder (the check's
clock set a week forward) mails the contact person once more, as a reminder."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from pymongo import AsyncMongoClient
from spiegel_dev.waiting import eventually
from spiegel_platform.events.envelope import decode

pytestmark = [pytest.mark.integration]

CHECKS_TOPIC = "spiegel.action_plan.checks.v1"


def plan(tenant: str, group_id: str, due: datetime) -> dict[str, Any]:
    plan_id = str(uuid.uuid4())
    return {
        "_id": f"{tenant}:{plan_id}",
        "tenant_id": tenant,
        "id": plan_id,
        "plan_id": plan_id,
        "group_id": group_id,
        "round_id": "",
        "status": "adopted",
        "adopted_at": due - timedelta(days=183),
        "next_check_at": due,
        "version": 1,
        "actions": [],
    }


def group(tenant: str, group_id: str, members: list[str], contact: str) -> dict[str, Any]:
    return {
        "_id": f"{tenant}:{group_id}",
        "tenant_id": tenant,
        "id": group_id,
        "group_id": group_id,
        "name": group_id,
        "member_person_ids": members,
        "contact_person_id": contact,
        "revision": 1,
    }


async def check_records(stack: Any, topic: str, count: int) -> list[Any]:
    consumer = AIOKafkaConsumer(
        topic, bootstrap_servers=stack.kafka_bootstrap, auto_offset_reset="earliest", group_id=None
    )
    await consumer.start()
    found: list[Any] = []
    try:

        async def enough() -> bool:
            for records in (await consumer.getmany(timeout_ms=500)).values():
                found.extend(records)
            return len(found) >= count

        await eventually(enough, 60, f"{count} check events", interval=0)
    finally:
        await consumer.stop()
    return found


async def test_check_mails_once_each_in_the_readers_language_and_a_reminder(invitation) -> None:  # type: ignore[no-untyped-def]
    invitation.start(relay=False)
    prefix = invitation.env["KAFKA_TOPIC_PREFIX"]
    tenant = invitation.tenant
    env = {
        "KAFKA_TOPIC_PREFIX": prefix,
        "POP_KEY_ENCRYPTION_KEYS": "dev-kek:" + "A" * 43 + "=",
        "CHECK_INTERVAL_S": "0.5",
    }
    async with invitation.client() as coordinator:
        for person, lang in (("p-1", "en"), ("p-2", "nl"), ("p-3", "nl"), ("p-4", "nl")):
            body = {"display_name": f"Dr. {person}", "email": f"{person}@umc.example", "language": lang}
            assert (await coordinator.put(f"/people/{person}", json=body)).status_code == 200
    mongo: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(invitation.stack.mongodb_url, tz_aware=True)
    db = mongo[f"{invitation.prefix}_action_plan"]
    now = datetime.now(UTC)
    await db["groups"].insert_many(
        [group(tenant, "g-contact", ["p-1", "p-4"], "p-1"), group(tenant, "g-none", ["p-2", "p-3"], "")]
    )
    with_contact, without = plan(tenant, "g-contact", now - timedelta(minutes=1)), plan(tenant, "g-none", now)
    await db["group_plans"].insert_many([with_contact, without])
    for process in ("consumer", "relay"):
        invitation.processes.start("action-plan", process, invitation.prefix, **env)

    mails = await asyncio.to_thread(invitation.catcher.wait_for, 3, 90)
    by_recipient = {m.recipients[0]: m for m in mails}
    assert set(by_recipient) == {"p-1@umc.example", "p-2@umc.example", "p-3@umc.example"}
    english = by_recipient["p-1@umc.example"]
    assert str(english.message["Subject"]) == "Check of your group's action plan"
    check = await db["plan_checks"].find_one({"plan_id": with_contact["plan_id"]})
    assert check is not None
    text = english.message.get_body(("plain",)).get_content()
    assert f"/groepsplannen/{with_contact['plan_id']}/controles/{check['check_id']}" in text
    assert "Controle van het plan van aanpak" in str(by_recipient["p-2@umc.example"].message["Subject"])

    # The events: ids only; delivered again, they mail nobody again.
    records = await check_records(invitation.stack, prefix + CHECKS_TOPIC, 2)
    for record in records:
        event = decode(record.value, topic=record.topic, headers=tuple(record.headers))
        fields = {f.name for f, _ in event.payload.ListFields()}
        assert fields <= {"check_id", "plan_id", "group_id", "recipient_person_ids", "due_at", "reminder"}
    producer = AIOKafkaProducer(bootstrap_servers=invitation.stack.kafka_bootstrap, acks="all")
    await producer.start()
    try:
        for record in records:
            await producer.send_and_wait(
                record.topic, record.value, key=record.key, headers=list(record.headers)
            )
    finally:
        await producer.stop()
    await asyncio.sleep(4)  # handled again; the scheduler passes 8 times
    assert invitation.catcher.store.total == 3
    assert await db["plan_checks"].count_documents({}) == 2

    # A week on (the check's reminder moment set back instead of the clock forward): one reminder.
    await db["plan_checks"].update_one({"_id": check["_id"]}, {"$set": {"next_reminder_at": now}})
    mails = await asyncio.to_thread(invitation.catcher.wait_for, 4, 90)
    reminder = [m for m in mails if "Reminder" in str(m.message["Subject"])]
    assert [m.recipients[0] for m in reminder] == ["p-1@umc.example"]
    await asyncio.sleep(3)
    assert invitation.catcher.store.total == 4
    await mongo.close()
