"""'Mijn groepsbesprekingen' through the gateway: a session planned by the accreditation service (in
its store, its event on the deployment's Kafka) reaches the invitation service, which mails the
invitation; the specialist and the facilitator see the session on their one page (`/mijn-besprekingen`,
the former `/groepsbesprekingen/mijn` answers 303 to it) with the actions of their role, and download
its calendar file (the invitation's UID); a session the invitation service has not heard of has no
calendar link; a past one is listed apart with its released notes; a colleague, and another
hospital's specialist, see nothing of it and cannot download it."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import icalendar
import pytest
from aiokafka import AIOKafkaProducer
from google.protobuf.timestamp_pb2 import Timestamp
from pymongo import AsyncMongoClient
from spiegel.accreditation.v1 import events_pb2 as accreditation
from spiegel_dev.waiting import until
from spiegel_platform.events import new_event
from test_web_pages import is_page, signed_in
from web_browser import run_async
from web_helpers import WebDeployment, make_hospital
from web_sessions import past_session, store_session

pytestmark = pytest.mark.integration


def stamp(moment: datetime) -> Timestamp:
    value = Timestamp()
    value.FromDatetime(moment.astimezone(UTC).replace(tzinfo=None))
    return value


async def announce(web: WebDeployment, slug: str, payload: accreditation.SessionPlanned) -> None:
    event = new_event(payload, tenant_id=slug, producer="accreditation")
    producer = AIOKafkaProducer(bootstrap_servers=web.processes.stack.kafka_bootstrap, acks="all")
    await producer.start()
    try:
        await producer.send_and_wait(f"{web.prefix}.{event.topic}", event.envelope, key=event.key.encode())
    finally:
        await producer.stop()


async def release_notes(web: WebDeployment, tenant: str, session_id: str, person_id: str) -> None:
    """The participant's notes of a past session, released (as the facilitator's release writes them)."""
    from spiegel_accreditation.storage import Store

    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(web.env["MONGODB_URL"], tz_aware=True)
    try:
        store = Store.on(client[f"{web.prefix}_accreditation"]).tenant(tenant)
        now = datetime.now(UTC)
        await store.notes.insert(
            {
                "id": f"{session_id}/{person_id}",
                "session_id": session_id,
                "person_id": person_id,
                "text": "Besproken",
                "version": 1,
                "updated_at": now,
                "released_at": now,
            }
        )
    finally:
        await client.close()


def links_to(text: str, path: str) -> int:
    return len(re.findall(rf'href="[^"]*{re.escape(path)}"', text))


def test_my_discussions_page_and_its_calendar_file(web: WebDeployment) -> None:
    slug = f"gb-{uuid.uuid4().hex[:6]}"
    ids = run_async(
        make_hospital(
            web.env,
            slug,
            [
                (f"specialist@{slug}.nl", "Dr. S. de Groot", "specialist"),
                (f"colleague@{slug}.nl", "Dr. C. Visser", "specialist"),
                (f"facilitator@{slug}.nl", "Drs. F. Leider", "facilitator"),
            ],
        )
    )
    specialist, facilitator = ids[f"specialist@{slug}.nl"], ids[f"facilitator@{slug}.nl"]
    start = (datetime.now(UTC) + timedelta(days=3)).replace(hour=13, minute=0, second=0, microsecond=0)
    session = accreditation.Session(
        session_id="gb-1",
        kind=accreditation.SESSION_KIND_IFMS,
        participants=[accreditation.Participant(person_id=specialist, round_id="round-1")],
        facilitator_ids=[facilitator],
        starts_at=stamp(start),
        ends_at=stamp(start + timedelta(hours=2)),
        location="Vergaderzaal 3",
        version=1,
    )
    run_async(store_session(web, slug, session))
    run_async(announce(web, slug, accreditation.SessionPlanned(session_id="gb-1", session=session)))
    # Planned a moment ago: the invitation service has not heard of it (no event here).
    later = accreditation.Session(
        session_id="gb-2",
        kind=accreditation.SESSION_KIND_GROUP_MONITOR,
        participants=[accreditation.Participant(person_id=specialist, round_id="gm-1")],
        facilitator_ids=[facilitator],
        starts_at=stamp(start + timedelta(days=2)),
        ends_at=stamp(start + timedelta(days=2, hours=2)),
        online_url="https://meet.example.nl/gb-2",
        version=1,
    )
    run_async(store_session(web, slug, later))
    # A month ago, its notes released; and one of 13 months ago, no longer listed.
    past = run_async(
        past_session(web, slug, {specialist: "Dr. S. de Groot"}, facilitator,
                     started_ago=timedelta(days=30), location="Zaal Verleden")
    )  # fmt: skip
    run_async(release_notes(web, slug, past, specialist))
    run_async(
        past_session(web, slug, {specialist: "Dr. S. de Groot"}, facilitator,
                     started_ago=timedelta(days=400), location="Zaal Lang Geleden")
    )  # fmt: skip
    mails = until(lambda: web.catcher.store.to(f"specialist@{slug}.nl"), timeout=90, what="the invitation")
    part = next(p for p in mails[0].message.walk() if p.get_content_type() == "application/ics")
    mailed_uid = str(icalendar.Calendar.from_ical(part.get_payload(decode=True)).walk("VEVENT")[0]["UID"])

    client, _ = signed_in(web, slug, "specialist")
    page = client.get("/mijn-besprekingen")
    is_page(page, 200, "Mijn groepsbesprekingen")
    text = page.text
    assert "Vergaderzaal 3" in text and "Drs. F. Leider" in text and "deelnemer" in text
    assert "Groepsmonitor" in text and "https://meet.example.nl/gb-2" in text
    # Upcoming first, soonest first; the past apart, with the released notes; 13 months ago: gone.
    upcoming, past_part = text.split("Afgelopen groepsbesprekingen", 1)
    assert upcoming.index("Vergaderzaal 3") < upcoming.index("meet.example.nl/gb-2")
    assert "Zaal Verleden" in past_part and "Zaal Verleden" not in upcoming
    assert links_to(past_part, f"/gespreksverslag/{past}") == 1 and "Zaal Lang Geleden" not in text
    # The calendar file only where the invitation service has the session; themes while upcoming.
    assert links_to(text, "/groepsbesprekingen/gb-1/agenda.ics") == 1
    assert "/groepsbesprekingen/gb-2/agenda.ics" not in text
    assert links_to(upcoming, "/bespreking/gb-1/themas") == 1 and f"/bespreking/{past}/themas" not in text
    assert links_to(text, "/mijn-verklaringen") == 1 and links_to(text, "/gespreksverslag") == 1
    assert "/bespreking/gb-1/qr" not in text and 'href="/t/' + slug + '/bespreking/gb-1"' not in text
    # The former address: 303 here; the start page: one link.
    moved = client.get("/groepsbesprekingen/mijn")
    assert moved.status_code == 303 and moved.headers["location"].endswith(f"/t/{slug}/mijn-besprekingen")
    start_page = client.get("/start").text
    assert links_to(start_page, "/mijn-besprekingen") == 1 and "/groepsbesprekingen/mijn" not in start_page
    download = client.get("/groepsbesprekingen/gb-1/agenda.ics")
    assert download.status_code == 200 and download.headers["content-type"].startswith("text/calendar")
    event = icalendar.Calendar.from_ical(download.content).walk("VEVENT")[0]
    assert str(event["UID"]) == mailed_uid and event["DTSTART"].dt == start

    leader, _ = signed_in(web, slug, "facilitator")
    led = leader.get("/mijn-besprekingen").text
    assert "gespreksleider" in led and "Vergaderzaal 3" in led and "Zaal Verleden" in led
    for action in ("/bespreking/gb-1", "/bespreking/gb-1/qr", "/bespreking/gb-1/voorbereiding"):
        assert links_to(led, action) == 1, action
    assert "/themas" not in led and "/aanmelden/" not in led and "/mijn-verklaringen" not in led
    assert links_to(leader.get("/start").text, "/mijn-besprekingen") == 1

    colleague, _ = signed_in(web, slug, "colleague")
    nothing = colleague.get("/mijn-besprekingen")
    is_page(nothing, 200, "nog niet ingedeeld")
    assert "Vergaderzaal 3" not in nothing.text and "Zaal Verleden" not in nothing.text
    is_page(colleague.get("/groepsbesprekingen/gb-1/agenda.ics"), 404)
    is_page(colleague.get("/groepsbesprekingen/..%2Fx/agenda.ics"), 404)

    # Another hospital's specialist: nothing of it, the file unknown.
    other = f"gb2-{uuid.uuid4().hex[:6]}"
    run_async(make_hospital(web.env, other, [(f"specialist@{other}.nl", "Dr. O. Elders", "specialist")]))
    stranger, _ = signed_in(web, other, "specialist")
    elsewhere = stranger.get("/mijn-besprekingen")
    is_page(elsewhere, 200, "nog niet ingedeeld")
    assert "Vergaderzaal 3" not in elsewhere.text
    is_page(stranger.get("/groepsbesprekingen/gb-1/agenda.ics"), 404)
