"""The board's yearly overview across both services, on the real Kafka, FerretDB and an SMTP
server: the action-plan's yearly pass (its clock injected: 1 January 09:00 in Amsterdam) makes the
overview of a hospital with `board_progress` on, its relay publishes BoardProgressOverviewDue, and
the invitation service mails each board member once, in their language, with the link to the PDF
behind sign-in (a specialist gets nothing); the pass again and the event delivered again mail
nobody again; the mail holds no plan, group or text."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

import pytest
from aiokafka import AIOKafkaProducer
from pymongo import AsyncMongoClient
from spiegel_action_plan.board.yearly import YearlyOverviews
from spiegel_action_plan.storage import Store
from test_plan_checks_from_action_plan import CHECKS_TOPIC, check_records

pytestmark = [pytest.mark.integration]

JAN = datetime(2027, 1, 1, 8, 0, tzinfo=UTC)  # 09:00 in Amsterdam


async def test_the_yearly_overview_mails_each_board_member_once(invitation) -> None:  # type: ignore[no-untyped-def]
    invitation.start(relay=False)
    prefix = invitation.env["KAFKA_TOPIC_PREFIX"]
    tenant = invitation.tenant
    async with invitation.client() as coordinator:
        for person, lang, roles in (
            ("b-1", "nl", ["board"]),
            ("b-2", "en", ["board", "specialist"]),
            ("s-1", "nl", ["specialist"]),
        ):
            body = {
                "display_name": f"Dr. {person}",
                "email": f"{person}@umc.example",
                "language": lang,
                "roles": roles,
            }
            assert (await coordinator.put(f"/people/{person}", json=body)).status_code == 200
    mongo: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(invitation.stack.mongodb_url, tz_aware=True)
    db = mongo[f"{invitation.prefix}_action_plan"]
    await db["hospitals"].insert_one(
        {"_id": f"{tenant}:settings", "tenant_id": tenant, "id": "settings", "board_progress": True}
    )
    # A group plan with a text that must not be in any mail.
    await db["group_plans"].insert_one(
        {
            "_id": f"{tenant}:p1",
            "tenant_id": tenant,
            "id": "p1",
            "plan_id": "p1",
            "group_id": "g1",
            "status": "adopted",
            "actions": [{"action_id": "a1", "description": "Geheime actie", "status": "open"}],
        }
    )
    yearly = YearlyOverviews(Store.on(db))
    assert await yearly.make_due(JAN) == 1
    invitation.processes.start(
        "action-plan",
        "relay",
        invitation.prefix,
        KAFKA_TOPIC_PREFIX=prefix,
        POP_KEY_ENCRYPTION_KEYS="dev-kek:" + "A" * 43 + "=",
    )

    mails = await asyncio.to_thread(invitation.catcher.wait_for, 2, 90)
    by_recipient = {m.recipients[0]: m for m in mails}
    assert set(by_recipient) == {"b-1@umc.example", "b-2@umc.example"}
    dutch, english = by_recipient["b-1@umc.example"], by_recipient["b-2@umc.example"]
    assert str(dutch.message["Subject"]) == "Jaaroverzicht 2027 van de plannen van aanpak van de groepen"
    assert str(english.message["Subject"]) == "Yearly overview 2027 of the groups' action plans"
    for mail in (dutch, english):
        text = mail.message.get_body(("plain",)).get_content()
        assert "/bestuur/groepsplannen.pdf" in text
        assert "Geheime actie" not in mail.message.as_string() and "g1" not in text

    # The pass again (a second process, a restart) and the event delivered again: no new mail.
    assert await yearly.make_due(JAN) == 0
    records = await check_records(invitation.stack, prefix + CHECKS_TOPIC, 1)
    assert len(records) == 1
    producer = AIOKafkaProducer(bootstrap_servers=invitation.stack.kafka_bootstrap, acks="all")
    await producer.start()
    try:
        await producer.send_and_wait(
            records[0].topic, records[0].value, key=records[0].key, headers=list(records[0].headers)
        )
    finally:
        await producer.stop()
    await asyncio.sleep(4)  # the redelivery handled and the mailer's passes done
    assert invitation.catcher.store.total == 2
    await mongo.close()
