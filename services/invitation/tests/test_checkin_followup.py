"""The follow-up after a discussion session across both services, on the real Kafka, FerretDB and
an SMTP server: those who did not check in get one mail with a personal check-in link (never
someone who checked in), the link checks in that person for that session only (not a colleague,
not another session), a link made up or someone else's is refused, an expired link says so, and
the events (delivered again) mail nobody twice and carry ids and hashes only."""

from __future__ import annotations

import asyncio
import re
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from pymongo import AsyncMongoClient
from spiegel_dev.waiting import eventually
from spiegel_platform.events.envelope import decode
from spiegel_platform.links import hash_link_token, new_link_token

pytestmark = [pytest.mark.integration]

ATTENDANCE_TOPIC = "spiegel.accreditation.attendance.v1"
LINKS_TOPIC = "spiegel.invitation.checkin_links.v1"
LINK = re.compile(r"/a/([A-Za-z0-9_-]{16,128})")


def session_doc(session_id: str, participants: list[str], ended: datetime) -> dict[str, Any]:
    return {
        "id": session_id,
        "kind": "IFMS",
        "participants": [{"person_id": p, "round_id": f"r-{p}-{session_id}"} for p in participants],
        "participant_ids": participants,
        "facilitator_ids": ["fac-1"],
        "starts_at": ended - timedelta(hours=2),
        "ends_at": ended,
        "location": "Zaal 3",
        "online_url": "",
        "group_id": "",
        "series_id": "",
        "state": "planned",
        "version": 1,
    }


async def records_of(stack: Any, topic: str, count: int) -> list[Any]:
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

        await eventually(enough, 60, f"{count} events on {topic}", interval=0)
    finally:
        await consumer.stop()
    return found


async def test_follow_up_mailed_once_and_the_link_checks_in_its_own_person(invitation) -> None:  # type: ignore[no-untyped-def]
    invitation.start()
    prefix = invitation.env["KAFKA_TOPIC_PREFIX"]
    env = {
        "KAFKA_TOPIC_PREFIX": prefix,
        "CHECKIN_FOLLOWUP_AFTER_MINUTES": "10",
        "CHECKIN_FOLLOWUP_INTERVAL_S": "0.5",
    }
    api = invitation.processes.start("accreditation", "api", invitation.prefix, **env)
    tenant = invitation.tenant
    async with invitation.client() as coordinator:
        for person in ("p-1", "p-2", "p-3", "p-4"):
            body = {
                "display_name": f"Dr. {person}",
                "email": f"{person}@umc.example",
                "language": "en" if person == "p-2" else "nl",
            }
            assert (await coordinator.put(f"/people/{person}", json=body)).status_code == 200
    mongo: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(invitation.stack.mongodb_url, tz_aware=True)
    db = mongo[f"{invitation.prefix}_accreditation"]
    now = datetime.now(UTC)
    first, second, fresh, old = (str(uuid.uuid4()) for _ in range(4))
    for doc in (
        session_doc(first, ["p-1", "p-2", "p-3"], now - timedelta(minutes=30)),
        session_doc(second, ["p-1"], now - timedelta(hours=5)),
        session_doc(fresh, ["p-4"], now - timedelta(minutes=2)),  # not yet: 10 minutes after the end
        session_doc(old, ["p-4"], now - timedelta(days=15)),  # the window has closed: no mail
    ):
        await db["sessions"].insert_one({"_id": f"{tenant}:{doc['id']}", "tenant_id": tenant, **doc})

    def client(subject: str, *roles: str, lang: str = "nl", hospital: str = tenant) -> httpx.AsyncClient:
        token = invitation.token_issuer.issue(
            audience="accreditation", subject=subject, tenant_id=hospital, roles=list(roles)
        )
        return httpx.AsyncClient(
            base_url=api.url,
            headers={"Authorization": f"Bearer {token}", "Accept-Language": lang},
            timeout=60,
        )

    def as_link(token: str, hospital: str = tenant) -> httpx.AsyncClient:
        """What the gateway does with `/a/{token}`: the link is the caller."""
        return client(f"link:{hash_link_token(token)}", "respondent", hospital=hospital)

    # p-3 checks in at the meeting (QR code), before the follow-up job runs: no mail for p-3.
    async with client("p-3", "specialist") as p3:
        done = await p3.post(f"/sessions/{first}/checkin", json={"big_number": "123456789"})
        assert done.status_code == 200, done.text
    for process in ("consumer", "relay"):
        invitation.processes.start("accreditation", process, invitation.prefix, **env)

    # One mail each for p-1 (two sessions: two mails) and p-2; none for p-3 or p-4.
    mails = await asyncio.to_thread(invitation.catcher.wait_for, 3, 120)
    links: dict[tuple[str, str], str] = {}
    for mail in mails:
        text = mail.message.get_body(("plain",)).get_content()
        html = mail.message.get_body(("html",)).get_content()
        found = LINK.search(text)
        assert found is not None and found.group(1) in html, text
        links.setdefault((mail.recipients[0], "any"), found.group(1))
        links[(mail.recipients[0], found.group(1))] = str(mail.message["Subject"])
    recipients = sorted(m.recipients[0] for m in mails)
    assert recipients == ["p-1@umc.example", "p-1@umc.example", "p-2@umc.example"]
    english = next(m for m in mails if m.recipients[0] == "p-2@umc.example")
    assert "Please still check in" in str(english.message["Subject"])
    assert "Meld u nog aan" in str(
        next(m for m in mails if m.recipients[0] == "p-1@umc.example").message["Subject"]
    )

    # Which link is which session: each opens its own (once the hash has reached accreditation).
    by_session: dict[str, str] = {}
    for mail in mails:
        token = LINK.search(mail.message.get_body(("plain",)).get_content()).group(1)  # type: ignore[union-attr]
        async with as_link(token) as link:

            async def known(link: httpx.AsyncClient = link, token: str = token) -> bool:
                return (await link.get(f"/checkin-links/{token}")).status_code == 200

            await eventually(known, 60, "the link's hash known to the accreditation service")
            state = (await link.get(f"/checkin-links/{token}")).json()
        assert state["open"] is True and state["checked_in"] is False
        by_session[f"{mail.recipients[0]}/{state['session_id']}"] = token
    assert set(by_session) == {
        f"p-1@umc.example/{first}",
        f"p-1@umc.example/{second}",
        f"p-2@umc.example/{first}",
    }
    p1_first, p1_second, p2_first = (
        by_session[f"p-1@umc.example/{first}"],
        by_session[f"p-1@umc.example/{second}"],
        by_session[f"p-2@umc.example/{first}"],
    )

    # p-1's link of the first session checks in p-1 for that session, and nobody else.
    async with as_link(p1_first) as link:
        bad = await link.post(f"/checkin-links/{p1_first}", json={"big_number": "12a45678901"})
        assert bad.status_code == 422 and bad.json()["field"] == "big_number"
        done = await link.post(
            f"/checkin-links/{p1_first}",
            json={"big_number": "9876 543.21", "evaluation": {"answers": {"useful": 4}, "remark": "goed"}},
        )
        assert done.status_code == 200, done.text
        assert done.json() == {
            **done.json(),
            "session_id": first,
            "big_number": "00987654321",
            "evaluation_saved": True,
        }
        again = await link.post(f"/checkin-links/{p1_first}", json={})
        assert again.json()["already_checked_in"] is True and again.json()["evaluation_saved"] is False
        # Another link's token with this link's credentials (the gateway binds them): refused.
        assert (await link.get(f"/checkin-links/{p2_first}")).status_code == 403
    attendance = db["attendance"]
    assert (await attendance.find_one({"_id": f"{tenant}:{first}/p-1"}) or {}).get("checked_in_at")
    assert await attendance.find_one({"_id": f"{tenant}:{first}/p-2"}) is None
    assert await attendance.find_one({"_id": f"{tenant}:{second}/p-1"}) is None
    # A link made up, a signed-in specialist or a link of another hospital: nothing opens.
    made_up = new_link_token()
    async with as_link(made_up) as link:
        assert (await link.get(f"/checkin-links/{made_up}")).json()["code"] == "checkin_link_unknown"
    async with as_link(p2_first, hospital="another-hospital") as link:
        assert (await link.get(f"/checkin-links/{p2_first}")).status_code == 404
    async with client("p-2", "specialist") as p2:
        assert (await p2.get(f"/checkin-links/{p2_first}")).status_code in (401, 403)

    # The window of the second session closes: its link says so, in the caller's language.
    await db["sessions"].update_one(
        {"_id": f"{tenant}:{second}"},
        {"$set": {"ends_at": now - timedelta(days=15), "starts_at": now - timedelta(days=15, hours=2)}},
    )
    async with as_link(p1_second) as link:
        state = (await link.get(f"/checkin-links/{p1_second}")).json()
        assert state["open"] is False and state["checked_in"] is False
        late = await link.post(f"/checkin-links/{p1_second}", json={"big_number": "12345678901"})
        assert late.status_code == 409 and late.json()["field"] == "session", late.text
        assert "14" in late.json()["message"]

    # The events: ids and hashes only; delivered again, they mail nobody and issue no new link.
    due = await records_of(invitation.stack, prefix + ATTENDANCE_TOPIC, 4)  # 2 check-ins, 2 follow-ups
    issued = await records_of(invitation.stack, prefix + LINKS_TOPIC, 3)
    replay = []
    for record in due + issued:
        event = decode(record.value, topic=record.topic, headers=tuple(record.headers))
        fields = {f.name for f, _ in event.payload.ListFields()}
        assert fields <= {
            "session_id",
            "person_id",
            "person_ids",
            "closes_at",
            "token_hash",
            "status",
            "minutes_present",
            "source",
            "version",
        }, fields
        for token in (p1_first, p1_second, p2_first):
            assert token.encode() not in record.value
        if event.event_type.endswith(("CheckInFollowUpDue", "CheckInLinkIssued")):
            replay.append(record)
    assert len([r for r in replay if r.topic.endswith(LINKS_TOPIC)]) == 3
    producer = AIOKafkaProducer(bootstrap_servers=invitation.stack.kafka_bootstrap, acks="all")
    await producer.start()
    try:
        for record in replay:
            await producer.send_and_wait(
                record.topic, record.value, key=record.key, headers=list(record.headers)
            )
    finally:
        await producer.stop()
    await asyncio.sleep(6)  # both consumers handle them again; the follow-up job ticks 12 times
    assert invitation.catcher.store.total == 3
    inv_db = mongo[f"{invitation.prefix}_invitation"]
    assert await inv_db["checkin_links"].count_documents({}) == 3
    assert await db["checkin_links"].count_documents({}) == 3
    assert await db["checkin_followups"].count_documents({}) == 2  # first and second; not fresh or old
    async with as_link(p1_first) as link:  # the same link still works after the redelivery
        assert (await link.get(f"/checkin-links/{p1_first}")).json()["checked_in"] is True
    await mongo.close()
