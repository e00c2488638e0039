"""Kill -9 of every process type of the accreditation service (api, relay, consumer) while
sessions are planned and participants check in (issue 19, point 10), on the real Kafka,
FerretDB and SMTP server, with the invitation service mailing the invitations.

Each process type is killed with SIGKILL in the middle of the work and started again:
- the api with requests in flight (the coordinator, or the phone, sends again what got no
  answer);
- the relay with events still in the outbox (published after its restart; perhaps twice);
- the consumer while the survey's round events arrive (it reads them again after its restart).
Then: every accepted plan and check-in is there, exactly once; nothing is half-saved (each
planned person holds exactly one seat, of the session they are in; each check-in has its
attendance with its event); every session's event reached the consumers once to their effect
(each invited person has exactly one invitation, seen in the mail catcher); and every
AttendanceRecorded is one event (one event id) per person, whatever the relay published twice.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import icalendar
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from invitation_support import stamp
from pymongo import AsyncMongoClient
from spiegel.survey.v1 import events_pb2 as survey
from spiegel_dev.mailcatcher import CaughtMessage
from spiegel_dev.waiting import eventually
from spiegel_platform.events import ReceivedEvent, new_event
from spiegel_platform.events.envelope import decode

pytestmark = [pytest.mark.integration, pytest.mark.chaos]

SESSIONS = 8
PER_SESSION = 2
ATTENDANCE_TOPIC = "spiegel.accreditation.attendance.v1"
SESSIONS_TOPIC = "spiegel.accreditation.sessions.v1"


def sequence_of(message: CaughtMessage) -> int:
    parts = [p for p in message.message.walk() if p.get_content_type() == "application/ics"]
    assert len(parts) == 1
    ics = parts[0].get_payload(decode=True)
    assert isinstance(ics, bytes)
    return int(icalendar.Calendar.from_ical(ics).walk("VEVENT")[0]["SEQUENCE"])


async def read_topic(bootstrap: str, topic: str, enough: Any, what: str) -> list[ReceivedEvent]:
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=bootstrap,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        group_id=None,
    )
    await consumer.start()
    found: list[ReceivedEvent] = []
    try:

        async def done() -> bool:
            for records in (await consumer.getmany(timeout_ms=300)).values():
                found.extend(decode(r.value, topic=r.topic, headers=tuple(r.headers)) for r in records)
            return bool(enough(found))

        await eventually(done, 60, what, interval=0)
    finally:
        await consumer.stop()
    return found


async def test_kill_minus_nine_of_every_accreditation_process_loses_nothing_and_mails_once(  # type: ignore[no-untyped-def]
    invitation,
) -> None:
    started = time.monotonic()
    tenant, processes, prefix = invitation.tenant, invitation.processes, invitation.prefix
    env = {"KAFKA_TOPIC_PREFIX": invitation.env["KAFKA_TOPIC_PREFIX"]}
    topic_prefix = env["KAFKA_TOPIC_PREFIX"]

    def start(process: str, wait: bool = True) -> Any:
        return processes.start("accreditation", process, prefix, wait=wait, **env)

    # The accreditation's three processes start while the invitation service does.
    running = {process: start(process, wait=False) for process in ("consumer", "relay", "api")}
    invitation.start(relay=False)
    for process in running.values():
        process.wait_ready()

    def kill_and_restart(process: str) -> None:
        running[process].kill()  # kill -9
        running[process] = start(process)

    people = [f"k{s}p{p}" for s in range(SESSIONS) for p in range(PER_SESSION)]
    facilitators = [f"kf{s}" for s in range(SESSIONS)]
    for person in [*people, *facilitators]:
        await invitation.insert(
            "people", person, {"display_name": person, "email": f"{person}@umc.example", "language": "nl"}
        )
    mongo: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(invitation.stack.mongodb_url, tz_aware=True)
    db = mongo[f"{prefix}_accreditation"]
    producer = AIOKafkaProducer(bootstrap_servers=invitation.stack.kafka_bootstrap, acks="all")
    await producer.start()
    rounds = {person: f"r-{person}-{uuid.uuid4().hex[:6]}" for person in people}

    async def survey_events(persons: list[str], *, close: bool) -> None:
        for person in persons:
            payloads: list[Any] = [
                survey.RoundCreated(
                    round_id=rounds[person],
                    kind=survey.ROUND_KIND_IFMS,
                    subject=survey.Subject(subject_id=person, display_name=person),
                    title=f"ronde {person}",
                    closes_at=stamp(datetime.now(UTC)),
                )
            ]
            if close:
                payloads.append(
                    survey.RoundClosed(round_id=rounds[person], closed_at=stamp(datetime.now(UTC)))
                )
            for payload in payloads:
                event = new_event(payload, tenant_id=tenant, producer="survey")
                await producer.send_and_wait(
                    topic_prefix + event.topic,
                    event.envelope,
                    key=event.key.encode(),
                    headers=event.headers(),
                )

    async def rounds_closed(persons: list[str]) -> bool:
        ids = [f"{tenant}:{rounds[p]}" for p in persons]
        docs = await db["rounds"].find({"_id": {"$in": ids}}).to_list()
        return len(docs) == len(ids) and all(d.get("closed") for d in docs)

    def client(subject: str, *roles: str) -> httpx.AsyncClient:
        token = invitation.token_issuer.issue(
            audience="accreditation", subject=subject, tenant_id=tenant, roles=list(roles)
        )
        return httpx.AsyncClient(
            base_url=running["api"].url, headers={"Authorization": f"Bearer {token}"}, timeout=30
        )

    starts = (datetime.now(UTC) + timedelta(days=2)).replace(minute=0, second=0, microsecond=0)

    def plan_body(s: int) -> dict[str, Any]:
        members = people[s * PER_SESSION : (s + 1) * PER_SESSION]
        return {
            "kind": "IFMS",
            "participants": [{"person_id": p, "round_id": rounds[p]} for p in members],
            "facilitator_ids": [facilitators[s]],
            "starts_at": (starts + timedelta(hours=s)).isoformat(),
            "ends_at": (starts + timedelta(hours=s + 2)).isoformat(),
            "location": f"Zaal {s}",
        }

    async def plan(s: int) -> int | None:
        """POST the plan of session s; the status, or None when the answer never came (killed)."""
        try:
            async with client("coord", "coordinator") as coordinator:
                return (await coordinator.post("/sessions", json=plan_body(s))).status_code
        except httpx.HTTPError:
            return None

    try:
        # The first half of the specialists' rounds closed; the rest open for now.
        half = people[: SESSIONS // 2 * PER_SESSION]
        await survey_events(half, close=True)
        await survey_events(people[len(half) :], close=False)
        await eventually(lambda: rounds_closed(half), 60, "the first rounds known closed")

        # -- planning --------------------------------------------------------------------------
        # The relay killed with sessions' events in the outbox: planned meanwhile, published after.
        assert await plan(0) == 201
        running["relay"].kill()
        assert await plan(1) == 201
        assert await plan(2) == 201
        running["relay"] = start("relay")
        # The consumer killed while the other rounds close: it learns them after its restart.
        running["consumer"].kill()
        await survey_events(people[len(half) :], close=True)
        await asyncio.sleep(0.3)
        running["consumer"] = start("consumer")
        await eventually(lambda: rounds_closed(people), 60, "every round known closed after the restart")
        # The api killed with plans in flight: what got no answer is sent again.
        assert await plan(3) == 201
        in_flight = [asyncio.create_task(plan(s)) for s in range(4, SESSIONS)]
        await asyncio.sleep(0.05)
        kill_and_restart("api")
        answers = dict(zip(range(4, SESSIONS), await asyncio.gather(*in_flight), strict=True))
        for s, status in answers.items():
            if status != 201:
                again = await plan(s)
                # Saved before the kill: its seats name the saved session (409); else planned now.
                assert again in (201, 409), (s, status, again)
        print(f"plans in flight at the api's kill: {answers}")

        # Every session once, each person in exactly one, each seat naming that session.
        planned = await db["sessions"].find({"tenant_id": tenant, "state": "planned"}).to_list()
        by_person = Counter(p["person_id"] for s in planned for p in s["participants"])
        assert by_person == Counter(people), by_person
        assert len(planned) == SESSIONS
        session_of = {p["person_id"]: s["id"] for s in planned for p in s["participants"]}
        for person in people:
            seat = await db["seats"].find_one({"_id": f"{tenant}:{rounds[person]}/{person}"})
            assert seat is not None and seat["session_id"] == session_of[person], (person, seat)

        # Each session's SessionPlanned on Kafka (perhaps twice: one event id), every invitation once.
        def all_planned(found: list[ReceivedEvent]) -> bool:
            return {e.key for e in found} >= {s["id"] for s in planned}

        events = await read_topic(
            invitation.stack.kafka_bootstrap,
            topic_prefix + SESSIONS_TOPIC,
            all_planned,
            "every SessionPlanned",
        )
        ids_per_session = Counter(e.key for e in {e.event_id: e for e in events}.values())
        assert set(ids_per_session.values()) == {1}, ids_per_session
        invited = {f"{p}@umc.example" for p in [*people, *facilitators]}

        def mailed() -> Counter[tuple[str, int]]:
            return Counter((m.recipients[0], sequence_of(m)) for m in invitation.catcher.messages())

        await eventually(
            lambda: asyncio.sleep(0, {to for to, _ in mailed()} >= invited), 60, "every invitation mailed"
        )

        # -- check-in ----------------------------------------------------------------------------
        # As if the clock had moved on: every session began an hour ago.
        begun = datetime.now(UTC) - timedelta(hours=1)
        await db["sessions"].update_many(
            {"tenant_id": tenant}, {"$set": {"starts_at": begun, "ends_at": begun + timedelta(hours=2)}}
        )

        async def check_in(person: str) -> int | None:
            token = invitation.token_issuer.issue(
                audience="accreditation", subject=person, tenant_id=tenant, roles=["specialist"]
            )
            try:
                async with httpx.AsyncClient(
                    base_url=running["api"].url, headers={"Authorization": f"Bearer {token}"}, timeout=30
                ) as phone:
                    answer = await phone.post(
                        f"/sessions/{session_of[person]}/checkin",
                        json={
                            "big_number": f"1234567{int(person[1]):02d}{int(person[3]):02d}",
                            "evaluation": {"answers": {"prepared": 4, "useful": 5}, "remark": ""},
                        },
                    )
                    return answer.status_code
            except httpx.HTTPError:
                return None

        first, second, third = people[:5], people[5:10], people[10:]
        # The relay killed mid-way: the attendance events wait in the outbox.
        answers = dict(zip(first[:2], [await check_in(p) for p in first[:2]], strict=True))
        running["relay"].kill()
        answers |= {p: await check_in(p) for p in first[2:]}
        running["relay"] = start("relay")
        # The consumer (its background jobs) killed and restarted during check-ins.
        running["consumer"].kill()
        answers |= {p: await check_in(p) for p in second[:3]}
        running["consumer"] = start("consumer")
        answers |= {p: await check_in(p) for p in second[3:]}
        # The api killed with check-ins in flight; a phone without an answer sends again.
        in_flight = {p: asyncio.create_task(check_in(p)) for p in third}
        await asyncio.sleep(0.05)
        kill_and_restart("api")
        answers |= {p: await task for p, task in in_flight.items()}
        interrupted = [p for p, status in answers.items() if status != 200]
        for person in interrupted:
            assert await check_in(person) == 200, person
        print(f"check-ins without an answer at the api's kill: {interrupted}")
        assert set(answers) == set(people)

        # Every check-in there once, none half-saved: attendance (with its event) and BIG number.
        attendance = await db["attendance"].find({"tenant_id": tenant}).to_list()
        assert Counter(a["person_id"] for a in attendance) == Counter(people)
        assert all(a.get("checked_in_at") for a in attendance), attendance[:1]
        assert await db["big_numbers"].count_documents({"tenant_id": tenant}) == len(people)
        # An evaluation is never counted twice; one whose request was cut off may be lost
        # (the README: nothing links it back to a retry).
        evaluations = await db["evaluations"].count_documents({"tenant_id": tenant})
        assert len(people) - len(interrupted) <= evaluations <= len(people), (evaluations, interrupted)

        def all_checked_in(found: list[ReceivedEvent]) -> bool:
            return len({(e.key, e.payload.person_id) for e in found}) >= len(people)

        recorded = await read_topic(
            invitation.stack.kafka_bootstrap,
            topic_prefix + ATTENDANCE_TOPIC,
            all_checked_in,
            "every AttendanceRecorded",
        )
        distinct = {e.event_id: e for e in recorded}.values()
        per_person = Counter((e.key, e.payload.person_id, e.payload.version) for e in distinct)
        assert set(per_person.values()) == {1}, per_person  # one event per check-in, however often published
        assert {(k, p) for k, p, _ in per_person} == {(session_of[p], p) for p in people}
        print(f"published {len(recorded)} attendance events for {len(distinct)} distinct ones")

        # Nothing mailed twice (a redelivered SessionPlanned included), nobody forgotten.
        await asyncio.sleep(1.5)  # a duplicate would have arrived by now
        sent = mailed()
        assert set(sent.values()) == {1}, [k for k, n in sent.items() if n != 1]
        assert {to for to, _ in sent} == invited and {seq for _, seq in sent} == {1}
        # About 60 s on a quiet machine (most of it starting processes); not asserted, as the
        # machine's load decides it.
        print(f"kill -9 of every accreditation process type: {time.monotonic() - started:.0f} s")
    finally:
        await producer.stop()
        await mongo.close()
