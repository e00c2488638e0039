"""'Mijn groepsbesprekingen' through the gateway: a session announced by the accreditation service (its
event on the deployment's Kafka) reaches the invitation service, which mails the invitation; the
specialist and the facilitator see the session on their page and download its calendar file (the
invitation's UID); a colleague sees nothing of it and cannot download it."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import icalendar
import pytest
from aiokafka import AIOKafkaProducer
from google.protobuf.timestamp_pb2 import Timestamp
from spiegel.accreditation.v1 import events_pb2 as accreditation
from spiegel_dev.waiting import until
from spiegel_platform.events import new_event
from test_web_pages import is_page, signed_in
from web_browser import run_async
from web_helpers import WebDeployment, make_hospital

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
    run_async(announce(web, slug, accreditation.SessionPlanned(session_id="gb-1", session=session)))
    mails = until(lambda: web.catcher.store.to(f"specialist@{slug}.nl"), timeout=90, what="the invitation")
    part = next(p for p in mails[0].message.walk() if p.get_content_type() == "application/ics")
    mailed_uid = str(icalendar.Calendar.from_ical(part.get_payload(decode=True)).walk("VEVENT")[0]["UID"])

    client, _ = signed_in(web, slug, "specialist")
    page = client.get("/groepsbesprekingen/mijn")
    is_page(page, 200, "Mijn groepsbesprekingen")
    assert "Vergaderzaal 3" in page.text and "Drs. F. Leider" in page.text and "deelnemer" in page.text
    assert "/groepsbesprekingen/gb-1/agenda.ics" in page.text
    assert "/groepsbesprekingen/mijn" in client.get("/start").text
    download = client.get("/groepsbesprekingen/gb-1/agenda.ics")
    assert download.status_code == 200 and download.headers["content-type"].startswith("text/calendar")
    event = icalendar.Calendar.from_ical(download.content).walk("VEVENT")[0]
    assert str(event["UID"]) == mailed_uid and event["DTSTART"].dt == start

    leader, _ = signed_in(web, slug, "facilitator")
    assert "gespreksleider" in leader.get("/groepsbesprekingen/mijn").text

    colleague, _ = signed_in(web, slug, "colleague")
    is_page(colleague.get("/groepsbesprekingen/mijn"), 200, "nog niet ingedeeld")
    is_page(colleague.get("/groepsbesprekingen/gb-1/agenda.ics"), 404)
    is_page(colleague.get("/groepsbesprekingen/..%2Fx/agenda.ics"), 404)
