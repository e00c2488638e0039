"""The facilitator's notes across both services, on the real Kafka, FerretDB and an SMTP server:
drafts with versions, bad input refused by field, nobody but the participant and the session's
facilitators reads them (404), a release mails the participant once (never the text, also when
the event is delivered again), the notes' events carry ids only, and notes past their due date
remind the facilitators once."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from pymongo import AsyncMongoClient
from spiegel_dev.waiting import eventually
from spiegel_platform.events.envelope import decode

pytestmark = [pytest.mark.integration]

NOTES_TOPIC = "spiegel.accreditation.notes.v1"
SECRET = "GEHEIM-besproken-thema"


def session_doc(
    session_id: str, participants: list[str], facilitators: list[str], ended: datetime
) -> dict[str, Any]:
    starts = ended - timedelta(hours=3)
    return {
        "id": session_id,
        "kind": "IFMS",
        "participants": [{"person_id": p, "round_id": f"r-{p}"} for p in participants],
        "participant_ids": participants,
        "facilitator_ids": facilitators,
        "starts_at": starts,
        "ends_at": ended,
        "location": "Zaal 3",
        "online_url": "",
        "group_id": "",
        "series_id": "",
        "state": "planned",
        "version": 1,
    }


async def notes_records(stack: Any, topic: str, count: int) -> list[Any]:
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

        await eventually(enough, 60, f"{count} notes events", interval=0)
    finally:
        await consumer.stop()
    return found


async def test_notes_written_released_read_and_mailed_once(invitation) -> None:  # type: ignore[no-untyped-def]
    invitation.start(relay=False)
    prefix = invitation.env["KAFKA_TOPIC_PREFIX"]
    env = {"KAFKA_TOPIC_PREFIX": prefix, "NOTES_REMINDER_INTERVAL_S": "0.5"}
    for process in ("consumer", "relay", "api"):
        started = invitation.processes.start("accreditation", process, invitation.prefix, **env)
        if process == "api":
            api = started
    tenant = invitation.tenant
    async with invitation.client() as coordinator:
        for person in ("p-1", "p-2", "p-3", "fac-1", "fac-2"):
            body = {
                "display_name": f"Dr. {person}",
                "email": f"{person}@umc.example",
                "language": "en" if person == "p-1" else "nl",
            }
            assert (await coordinator.put(f"/people/{person}", json=body)).status_code == 200
    mongo: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(invitation.stack.mongodb_url, tz_aware=True)
    sessions = mongo[f"{invitation.prefix}_accreditation"]["sessions"]
    now = datetime.now(UTC)
    today, overdue = str(uuid.uuid4()), str(uuid.uuid4())
    for doc, owner in (
        (session_doc(today, ["p-1", "p-2"], ["fac-1"], now - timedelta(minutes=30)), tenant),
        (session_doc(overdue, ["p-3"], ["fac-1", "fac-2"], now - timedelta(days=14)), tenant),
    ):
        await sessions.insert_one({"_id": f"{owner}:{doc['id']}", "tenant_id": owner, **doc})

    def client(subject: str, *roles: str, lang: str = "nl", hospital: str = tenant) -> httpx.AsyncClient:
        token = invitation.token_issuer.issue(
            audience="accreditation", subject=subject, tenant_id=hospital, roles=list(roles)
        )
        return httpx.AsyncClient(
            base_url=api.url,
            headers={"Authorization": f"Bearer {token}", "Accept-Language": lang},
            timeout=60,
        )

    text = f"<b>{SECRET}</b> & <script>alert(1)</script>\nTweede regel\tmet tab"
    path = f"/sessions/{today}/notes/p-1"
    async with (
        client("fac-1", "facilitator") as facilitator,
        client("fac-1", "facilitator", lang="en") as fac_en,
    ):
        # Drafts as the facilitator types: each save names the version it started from.
        first = await facilitator.put(path, json={"text": "Eerste", "version": 0})
        assert first.status_code == 200, first.text
        assert first.json()["version"] == 1 and "text" not in first.json()
        second = await facilitator.put(path, json={"text": text, "version": 1})
        assert second.json()["version"] == 2
        stale = await facilitator.put(path, json={"text": "ander tabblad", "version": 1})
        assert stale.status_code == 409 and stale.json()["field"] == "version"
        assert "versie 2" in stale.json()["message"]
        # Bad input: 1 MB, control characters; refused by field in the caller's language, nothing saved.
        huge = await facilitator.put(path, json={"text": "x" * 1_000_000, "version": 2})
        assert huge.status_code == 422 and huge.json()["field"] == "text", huge.text
        assert "20000" in huge.json()["message"]
        for bad in ("bel\x07", "nul\x00", "omgekeerd\u202e", "esc\x1b[31m"):
            refused = await fac_en.put(path, json={"text": bad, "version": 2})
            assert refused.status_code == 422 and refused.json()["field"] == "text", refused.text
            assert "control character" in refused.json()["message"]
        assert (await facilitator.put(path, json={"text": "x", "version": 0})).status_code == 409
        nobody = await facilitator.put(f"/sessions/{today}/notes/p-9", json={"text": "x", "version": 0})
        assert nobody.status_code == 422 and nobody.json()["field"] == "person_id"
        listed = (await facilitator.get(f"/sessions/{today}/notes")).json()
        by_person = {p["person_id"]: p for p in listed["participants"]}
        assert by_person["p-1"]["text"] == text and by_person["p-1"]["version"] == 2  # HTML kept as text
        assert by_person["p-2"] == {**by_person["p-2"], "version": 0, "text": "", "released": False}
        assert listed["due_on"] > now.date().isoformat()
        # Nothing to release for p-2 yet (empty); a release of an older version is refused.
        assert (await facilitator.post(f"/sessions/{today}/notes/p-2/release")).json()["field"] == "text"
        assert (await facilitator.post(f"{path}/release", json={"version": 1})).status_code == 409

        # Before the release: the participant does not see the draft.
        async with client("p-1", "specialist") as owner:
            assert (await owner.get(path)).status_code == 404
            assert (await owner.get("/notes/mine")).json() == {"notes": []}

        released = await facilitator.post(f"{path}/release", json={"version": 2})
        assert released.status_code == 200 and released.json()["released_now"] is True
        again = await facilitator.post(f"{path}/release", json={"version": 2})
        assert again.status_code == 200 and again.json()["released_now"] is False
        final = await facilitator.put(path, json={"text": "later", "version": 2})
        assert final.status_code == 409 and final.json()["code"] == "notes_released"

    # The participant reads them; nobody else (404), another hospital (404), a respondent (403).
    async with client("p-1", "specialist") as owner:
        mine = await owner.get(path)
        assert mine.status_code == 200 and mine.json()["text"] == text
        assert [n["session_id"] for n in (await owner.get("/notes/mine")).json()["notes"]] == [today]
    outsiders = [
        ("coord-1", ("coordinator",), tenant),
        ("admin-1", ("tenant_admin",), tenant),
        ("board-1", ("board",), tenant),
        ("p-2", ("specialist",), tenant),  # a colleague in the same session
        ("fac-2", ("facilitator",), tenant),  # a facilitator of another session
        ("fac-1", ("coordinator", "specialist"), tenant),  # the facilitator's id without the role
        ("fac-1", ("facilitator",), "another-hospital"),
        ("p-1", ("specialist",), "another-hospital"),
    ]
    for subject, roles, hospital in outsiders:
        async with client(subject, *roles, hospital=hospital) as other:
            for url in (path, f"/sessions/{today}/notes"):
                answer = await other.get(url)
                assert answer.status_code == 404, (subject, roles, hospital, url, answer.text)
                assert SECRET not in answer.text
            assert (await other.put(path, json={"text": "x", "version": 2})).status_code == 404
            assert (await other.post(f"{path}/release")).status_code == 404
            assert SECRET not in (await other.get("/notes/mine")).text
    async with client("link:abc", "respondent") as respondent:
        assert (await respondent.get(path)).status_code == 403

    # One mail to the participant, in English, with the link and without the text; and the
    # overdue session's facilitators reminded once each.
    mails = await asyncio.to_thread(invitation.catcher.wait_for, 3, 90)
    by_recipient = {m.recipients[0]: m for m in mails}
    assert set(by_recipient) == {"p-1@umc.example", "fac-1@umc.example", "fac-2@umc.example"}
    ready = by_recipient["p-1@umc.example"]
    raw = ready.message.get_body(("plain",)).get_content() + ready.message.get_body(("html",)).get_content()
    assert "Your discussion notes are ready" in str(ready.message["Subject"])
    assert f"/gespreksverslag/{today}" in raw
    assert SECRET not in raw and "Tweede regel" not in raw
    reminder = by_recipient["fac-1@umc.example"]
    assert "Herinnering" in str(reminder.message["Subject"])
    assert f"/bespreking/{overdue}/verslagen" in reminder.message.get_body(("plain",)).get_content()

    # The notes' events: ids only, never the text; delivered again, they mail nobody again.
    records = await notes_records(invitation.stack, prefix + NOTES_TOPIC, 2)
    kinds = []
    for record in records:
        assert SECRET.encode() not in record.value
        event = decode(record.value, topic=record.topic, headers=tuple(record.headers))
        kinds.append(event.event_type.rsplit(".", 1)[-1])
        fields = {f.name for f, _ in event.payload.ListFields()}
        assert fields <= {"session_id", "person_id", "released_at", "facilitator_ids", "person_ids", "due_on"}
    assert sorted(kinds) == ["NotesOverdue", "NotesReleased"]
    producer = AIOKafkaProducer(bootstrap_servers=invitation.stack.kafka_bootstrap, acks="all")
    await producer.start()
    try:
        for record in records:
            await producer.send_and_wait(
                record.topic, record.value, key=record.key, headers=list(record.headers)
            )
    finally:
        await producer.stop()
    await asyncio.sleep(5)  # the consumer handles them again; the reminder job ticks 10 times
    assert invitation.catcher.store.total == 3
    assert await mongo[f"{invitation.prefix}_accreditation"]["notes_reminders"].count_documents({}) == 1
    await mongo.close()
