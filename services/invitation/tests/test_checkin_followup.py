"""The follow-up after a discussion session across both services, on the real Kafka, FerretDB and
an SMTP server: those who did not check in get one mail with a personal check-in link (never
someone who checked in), the link checks in that person for that session only (not a colleague,
not another session), a link made up or someone else's is refused, an expired link says so, and
the events (delivered again) mail nobody twice and carry ids and hashes only. And the session's
invitation carries the same personal link: issued once with the first invitation, the same in the
update and in the follow-up, refused (saying when it opens) before the start, checking in its own
participant after it; facilitators get none."""

from __future__ import annotations

import asyncio
import re
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import icalendar
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from invitation_support import stamp
from pymongo import AsyncMongoClient
from spiegel.accreditation.v1 import events_pb2 as accreditation
from spiegel_dev.waiting import eventually
from spiegel_platform.events import new_event
from spiegel_platform.events.envelope import decode
from spiegel_platform.links import hash_link_token, new_link_token

pytestmark = [pytest.mark.integration]

ATTENDANCE_TOPIC = "spiegel.accreditation.attendance.v1"
LINKS_TOPIC = "spiegel.invitation.checkin_links.v1"
AMSTERDAM = ZoneInfo("Europe/Amsterdam")
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


async def all_records(stack: Any, topic: str, seconds: float = 5.0) -> list[Any]:
    """Every event on a topic so far (read for a few seconds)."""
    consumer = AIOKafkaConsumer(
        topic, bootstrap_servers=stack.kafka_bootstrap, auto_offset_reset="earliest", group_id=None
    )
    await consumer.start()
    found: list[Any] = []
    try:
        deadline = asyncio.get_running_loop().time() + seconds
        while asyncio.get_running_loop().time() < deadline:
            for records in (await consumer.getmany(timeout_ms=500)).values():
                found.extend(records)
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


def link_of(mail: Any) -> str | None:
    """The personal check-in link of a mail (the same in its text and HTML), or None."""
    text = mail.message.get_body(("plain",)).get_content()
    html = mail.message.get_body(("html",)).get_content()
    found = LINK.search(text)
    if found is None:
        assert LINK.search(html) is None, html
        return None
    assert found.group(1) in html
    return found.group(1)


def calendar_text(mail: Any) -> str:
    parts = [p for p in mail.message.walk() if p.get_content_type() == "application/ics"]
    ics = parts[0].get_payload(decode=True)
    event = icalendar.Calendar.from_ical(ics).walk("VEVENT")[0]
    return str(event.get("DESCRIPTION", ""))


async def test_the_invitation_carries_the_personal_check_in_link(invitation) -> None:  # type: ignore[no-untyped-def]
    invitation.start()
    prefix = invitation.env["KAFKA_TOPIC_PREFIX"]
    env = {
        "KAFKA_TOPIC_PREFIX": prefix,
        "CHECKIN_FOLLOWUP_AFTER_MINUTES": "10",
        "CHECKIN_FOLLOWUP_INTERVAL_S": "0.5",
    }
    api = invitation.processes.start("accreditation", "api", invitation.prefix, **env)
    for process in ("consumer", "relay"):
        invitation.processes.start("accreditation", process, invitation.prefix, **env)
    tenant = invitation.tenant
    async with invitation.client() as coordinator:
        for person in ("p-1", "p-2", "fac-1"):
            body = {
                "display_name": f"Dr. {person}",
                "email": f"{person}@umc.example",
                "language": "en" if person == "p-2" else "nl",
            }
            assert (await coordinator.put(f"/people/{person}", json=body)).status_code == 200
    mongo: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(invitation.stack.mongodb_url, tz_aware=True)
    db = mongo[f"{invitation.prefix}_accreditation"]
    inv_db = mongo[f"{invitation.prefix}_invitation"]
    session_id = str(uuid.uuid4())
    # The session starts in two days (13:00 UTC, 14:00 in Amsterdam): the invitations go at once.
    start = (datetime.now(UTC) + timedelta(days=2)).replace(hour=13, minute=0, second=0, microsecond=0)
    doc = session_doc(session_id, ["p-1", "p-2"], start + timedelta(hours=2))
    await db["sessions"].insert_one({"_id": f"{tenant}:{session_id}", "tenant_id": tenant, **doc})

    def session(version: int, location: str) -> accreditation.Session:
        return accreditation.Session(
            session_id=session_id,
            kind=accreditation.SESSION_KIND_IFMS,
            participants=[accreditation.Participant(person_id=p, round_id=f"r-{p}") for p in ("p-1", "p-2")],
            facilitator_ids=["fac-1"],
            starts_at=stamp(start),
            ends_at=stamp(start + timedelta(hours=2)),
            location=location,
            version=version,
            checkin_closes_at=stamp(start + timedelta(hours=2, days=14)),
        )

    planned = new_event(
        accreditation.SessionPlanned(session_id=session_id, session=session(1, "Zaal 3")),
        tenant_id=tenant,
        producer="accreditation",
    )
    await invitation.publish_event(planned)
    first = await asyncio.to_thread(invitation.catcher.wait_for, 3, 120)
    links = {m.recipients[0]: link_of(m) for m in first}
    assert set(links) == {"p-1@umc.example", "p-2@umc.example", "fac-1@umc.example"}
    assert links["fac-1@umc.example"] is None  # a facilitator checks nobody in
    p1, p2 = links["p-1@umc.example"], links["p-2@umc.example"]
    assert p1 and p2 and p1 != p2
    by_person = {m.recipients[0]: m for m in first}
    dutch = by_person["p-1@umc.example"].message.get_body(("plain",)).get_content()
    assert "De link werkt vanaf het begin van de bespreking" in dutch and "14:00" in dutch, dutch
    assert "alleen voor u" in dutch
    closes = format_day(start + timedelta(hours=2, days=14), "nl")
    assert closes in dutch, (closes, dutch)
    english = by_person["p-2@umc.example"].message.get_body(("plain",)).get_content()
    assert "The link works from the start of the discussion" in english and "for you alone" in english
    for mail in first:  # the calendar (more often shared than a mailbox) holds no personal link
        assert "/a/" not in calendar_text(mail) and calendar_text(mail)

    # An update (the place changed): the same links, none for the facilitator.
    invitation.catcher.store.clear()
    changed = new_event(
        accreditation.SessionChanged(
            session_id=session_id,
            session=session(2, "Zaal 5"),
            changes=[accreditation.SessionChanged.CHANGE_PLACE],
        ),
        tenant_id=tenant,
        producer="accreditation",
    )
    await invitation.publish_event(changed)
    updates = await asyncio.to_thread(invitation.catcher.wait_for, 3, 120)
    assert {m.recipients[0]: link_of(m) for m in updates} == links

    def as_link(token: str) -> httpx.AsyncClient:
        """What the gateway does with `/a/{token}`: the link is the caller."""
        caller = invitation.token_issuer.issue(
            audience="accreditation",
            subject=f"link:{hash_link_token(token)}",
            tenant_id=tenant,
            roles=["respondent"],
        )
        return httpx.AsyncClient(base_url=api.url, headers={"Authorization": f"Bearer {caller}"}, timeout=60)

    # Before the start the link opens, says when check-in opens, and checks nobody in.
    async with as_link(p1) as link:

        async def known() -> bool:
            return (await link.get(f"/checkin-links/{p1}")).status_code == 200

        await eventually(known, 60, "the link's hash known to the accreditation service")
        state = (await link.get(f"/checkin-links/{p1}")).json()
        assert state["open"] is False and state["session_id"] == session_id
        assert datetime.fromisoformat(state["opens_at"]) == start
        early = await link.post(f"/checkin-links/{p1}", json={"big_number": "123456789"})
        assert early.status_code == 409 and early.json()["field"] == "session", early.text
        assert "vanaf het begin" in early.json()["message"]
        assert start.astimezone(AMSTERDAM).strftime("%d-%m-%Y %H:%M") in early.json()["message"]
    assert await db["attendance"].count_documents({"session_id": session_id}) == 0

    # The meeting has begun: the link checks in p-1 for this session.
    now = datetime.now(UTC)
    await db["sessions"].update_one(
        {"_id": f"{tenant}:{session_id}"},
        {"$set": {"starts_at": now - timedelta(minutes=5), "ends_at": now + timedelta(hours=2)}},
    )
    async with as_link(p1) as link:
        done = await link.post(f"/checkin-links/{p1}", json={"big_number": "123456789"})
        assert done.status_code == 200, done.text
        assert done.json()["session_id"] == session_id and done.json()["big_number"] == "00123456789"
    assert (await db["attendance"].find_one({"_id": f"{tenant}:{session_id}/p-1"}) or {}).get("checked_in_at")
    assert await db["attendance"].find_one({"_id": f"{tenant}:{session_id}/p-2"}) is None

    # The meeting ended half an hour ago: p-2, who did not check in, gets the follow-up with the
    # same link as in the invitation; p-1 none.
    invitation.catcher.store.clear()
    await db["sessions"].update_one(
        {"_id": f"{tenant}:{session_id}"},
        {"$set": {"starts_at": now - timedelta(hours=3), "ends_at": now - timedelta(minutes=30)}},
    )
    followup = await asyncio.to_thread(invitation.catcher.wait_for, 1, 120)
    assert [m.recipients[0] for m in followup] == ["p-2@umc.example"]
    assert link_of(followup[0]) == p2
    async with as_link(p2) as link:
        done = await link.post(f"/checkin-links/{p2}", json={"big_number": "12345678901"})
        assert done.status_code == 200 and done.json()["session_id"] == session_id, done.text

    # Nothing issued twice: one link per participant, announced once, also when the session's
    # events are delivered again.
    for again in (planned, changed):
        await invitation.publish_event(again)
    await asyncio.sleep(5)
    assert invitation.catcher.store.total == 1
    assert await inv_db["checkin_links"].count_documents({}) == 2
    issued = await all_records(invitation.stack, prefix + LINKS_TOPIC)
    assert sorted(
        decode(r.value, topic=r.topic, headers=tuple(r.headers)).payload.person_id for r in issued
    ) == [
        "p-1",
        "p-2",
    ]
    assert await db["checkin_links"].count_documents({}) == 2
    await mongo.close()


def format_day(moment: datetime, language: str) -> str:
    from spiegel_platform.i18n import format_moment

    return format_moment(moment.astimezone(AMSTERDAM), "EEEE d MMMM y, HH:mm", language)
