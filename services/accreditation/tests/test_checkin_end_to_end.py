"""Check-in with the BIG number, attendance, the meeting's evaluation and the themes chosen
beforehand, through the real processes (api, relay, consumer) on the real Kafka and FerretDB."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from accreditation_testkit import Deployment, at
from aiokafka import AIOKafkaConsumer
from spiegel.accreditation.v1 import events_pb2
from spiegel_dev.pytest_plugin import Processes
from spiegel_dev.waiting import eventually
from spiegel_platform.events import ReceivedEvent
from spiegel_platform.events.envelope import decode

pytestmark = pytest.mark.integration

TENANT = "ziekenhuis-noord"
OTHER = "ziekenhuis-zuid"
COORDINATOR = ("coord-1", "coordinator")
ATTENDANCE_TOPIC = "spiegel.accreditation.attendance.v1"
FORBIDDEN_WORDS = ("big", "note", "evaluation", "remark", "reason", "content", "theme", "answer")


@pytest.fixture(scope="module")
async def deployment(stack, jwks_json, token_issuer, tmp_path_factory) -> AsyncIterator[Deployment]:  # type: ignore[no-untyped-def]
    processes = Processes(stack, jwks_json, tmp_path_factory.mktemp("checkin-logs"))
    running = Deployment(processes, stack, token_issuer)
    try:
        running.start()
        yield running
    finally:
        processes.stop_all()
        await running.close()


async def started_session(
    deployment: Deployment, tenant: str, people: list[str], facilitator: str, *, ended_days_ago: float = 0
) -> str:
    """A session of `people` led by `facilitator` that began 3 hours (+ `ended_days_ago`) ago.

    Planned through the API (a start in the past is refused there), then moved back in time in
    its document: as if the clock had moved on.
    """
    rounds = await deployment.closed_ifms_rounds(tenant, people)
    async with deployment.client(tenant, *COORDINATOR) as coordinator:
        planned = await coordinator.post(
            "/sessions",
            json={
                "kind": "IFMS",
                "participants": [{"person_id": p, "round_id": r} for p, r in rounds.items()],
                "facilitator_ids": [facilitator],
                "starts_at": at(7).isoformat(),
                "ends_at": at(7, 16).isoformat(),
                "location": "Zaal 3",
            },
        )
        assert planned.status_code == 201, planned.text
    session_id = str(planned.json()["id"])
    start = datetime.now(UTC) - timedelta(hours=3, days=ended_days_ago)
    await deployment.db["sessions"].update_one(
        {"_id": f"{tenant}:{session_id}"},
        {"$set": {"starts_at": start, "ends_at": start + timedelta(hours=2)}},
    )
    return session_id


async def ended_long_ago(deployment: Deployment, tenant: str, session_id: str, *, days: float) -> None:
    """Move a session's start and end `days` back: its check-in window has closed."""
    start = datetime.now(UTC) - timedelta(hours=3, days=days)
    await deployment.db["sessions"].update_one(
        {"_id": f"{tenant}:{session_id}"},
        {"$set": {"starts_at": start, "ends_at": start + timedelta(hours=2)}},
    )


async def attendance_events(deployment: Deployment, count: int, key: str) -> list[ReceivedEvent]:
    consumer = AIOKafkaConsumer(
        deployment.topic_prefix + ATTENDANCE_TOPIC,
        bootstrap_servers=deployment.stack.kafka_bootstrap,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        group_id=None,
    )
    await consumer.start()
    found: list[ReceivedEvent] = []
    try:

        async def enough() -> bool:
            for records in (await consumer.getmany(timeout_ms=500)).values():
                found.extend(decode(r.value, topic=r.topic, headers=tuple(r.headers)) for r in records)
            return len([e for e in found if e.key == key]) >= count

        await eventually(enough, 60, f"{count} attendance events of {key}", interval=0)
    finally:
        await consumer.stop()
    return [e for e in found if e.key == key]


def evaluation(score: int, remark: str = "") -> dict[str, Any]:
    return {"answers": {"prepared": score, "useful": score, "safe": 5}, "remark": remark}


async def test_check_in_with_the_big_number_and_an_evaluation_apart_from_who_gave_it(
    deployment: Deployment,
) -> None:
    people = ["anna", "bram", "cor", "dirk", "eva", "fien"]
    session_id = await started_session(deployment, TENANT, people, "fac-1")
    path = f"/sessions/{session_id}/checkin"
    async with (
        deployment.client(TENANT, "anna", "specialist") as anna,
        deployment.client(TENANT, "anna", "specialist", lang="en") as anna_en,
        deployment.client(TENANT, "fac-1", "facilitator") as facilitator,
        deployment.client(TENANT, *COORDINATOR) as coordinator,
    ):
        status = (await anna.get(path)).json()
        assert status["open"] and not status["checked_in"] and status["big_number"] == ""
        assert status["statements"] == ["prepared", "safe", "useful", "facilitation", "recommend"]

        # -- bad BIG numbers: refused naming the field and why, in the caller's language; nothing saved
        for typed, words in (
            ("12345678A01", "alleen uit cijfers"),
            ("123456789012", "heeft 11 cijfers"),
            ("=123456789", "="),
        ):
            refused = await anna.post(path, json={"big_number": typed, "evaluation": evaluation(4, "x")})
            assert refused.status_code == 422, refused.text
            assert refused.json()["field"] == "big_number"
            assert refused.json()["message"].startswith("big_number: ") and words in refused.json()["message"]
        english = await anna_en.post(path, json={"big_number": "12A"})
        assert english.status_code == 422 and "digits" in english.json()["message"]
        bad_score = await anna.post(path, json={"big_number": "123456789", "evaluation": evaluation(7)})
        assert bad_score.status_code == 422 and bad_score.json()["field"] == "evaluation.answers.prepared"
        assert await deployment.db["attendance"].count_documents({}) == 0
        assert await deployment.db["evaluations"].count_documents({}) == 0
        assert await deployment.db["big_numbers"].count_documents({}) == 0

        # -- 9 digits: stored as 11, with leading zeros, as text
        done = await anna.post(
            path, json={"big_number": "123 456.789", "evaluation": evaluation(4, "Leerzaam")}
        )
        assert done.status_code == 200, done.text
        assert done.json() == {
            "session_id": session_id,
            "checked_in": True,
            "already_checked_in": False,
            "big_number": "00123456789",
            "evaluated": True,
            "evaluation_saved": True,
        }
        stored = await deployment.db["big_numbers"].find_one({"_id": f"{TENANT}:anna"})
        assert stored is not None and stored["big_number"] == "00123456789"

        # -- twice: "already checked in", the BIG number may be corrected, no second evaluation
        again = await anna.post(
            path, json={"big_number": "12345678901", "evaluation": evaluation(1, "nog eens")}
        )
        assert again.status_code == 200 and again.json()["already_checked_in"] is True
        assert again.json()["evaluation_saved"] is False and again.json()["big_number"] == "12345678901"
        # remembered for next time (prefilled), and an empty one keeps it
        assert (await anna.get(path)).json()["big_number"] == "12345678901"
        kept = await anna.post(path, json={"big_number": ""})
        assert kept.json()["big_number"] == "12345678901"

        # -- the evaluation is stored apart: no person, no time
        stored_evaluations = await deployment.db["evaluations"].find({}).to_list()
        assert len(stored_evaluations) == 1
        assert set(stored_evaluations[0]) == {"_id", "id", "tenant_id", "session_id", "answers", "remark"}
        assert "anna" not in str(stored_evaluations[0])

        # -- while the check-in window is open: nothing, not even how many, and when it will be shown
        closes = (await anna.get(path)).json()["closes_at"]
        for reader in (facilitator, coordinator):
            hidden = await reader.get(f"/sessions/{session_id}/evaluation")
            assert hidden.status_code == 200, hidden.text
            assert hidden.json() == {
                "session_id": session_id,
                "shown": False,
                "threshold": 4,
                "available_from": closes,
            }

        # -- four more (and one check-in without an evaluation): 5 answers, still nothing readable
        async def check_in(person: str, score: int, remark: str) -> None:
            async with deployment.client(TENANT, person, "specialist") as client:
                answer = await client.post(
                    path, json={"big_number": "987654321", "evaluation": evaluation(score, remark)}
                )
                assert answer.status_code == 200, answer.text

        await asyncio.gather(check_in("bram", 5, "Zeer goed"), check_in("cor", 3, ""))
        async with deployment.client(TENANT, "eva", "specialist") as eva:
            assert (await eva.post(path, json={"big_number": "1234567890"})).json()["evaluated"] is False
        await check_in("dirk", 2, "Te lang")
        await check_in("fien", 1, "Te kort")
        assert await deployment.db["evaluations"].count_documents({"session_id": session_id}) == 5
        for reader in (facilitator, coordinator):
            still = (await reader.get(f"/sessions/{session_id}/evaluation")).json()
            assert still == {
                "session_id": session_id,
                "shown": False,
                "threshold": 4,
                "available_from": closes,
            }

        # -- the window closed (the session moved 15 days back: as if the clock had moved on): shown
        await ended_long_ago(deployment, TENANT, session_id, days=15)
        shown = (await facilitator.get(f"/sessions/{session_id}/evaluation")).json()
        assert shown["shown"] and shown["answered"] == 5 and "available_from" not in shown
        assert shown["statements"]["prepared"]["average"] == 3.0
        assert shown["remarks"] == ["Leerzaam", "Te kort", "Te lang", "Zeer goed"]
        assert (await coordinator.get(f"/sessions/{session_id}/evaluation")).json() == shown

        # -- attendance: the facilitator sees it with the reasons, the coordinator the status only
        listed = (await facilitator.get(f"/sessions/{session_id}/attendance")).json()["participants"]
        by_person = {p["person_id"]: p for p in listed}
        assert by_person["anna"]["status"] == "present" and by_person["anna"]["checked_in"]
        assert by_person["anna"]["hours_present"] == 2 and by_person["anna"]["name"] == "anna"
        overview = (await coordinator.get(f"/sessions/{session_id}/attendance")).json()["participants"]
        assert all(
            set(p) == {"person_id", "name", "status", "hours_present", "checked_in", "source"}
            for p in overview
        )
        assert "987654321" not in str(overview) and "00123456789" not in str(listed)

    # -- the events: ids and states only, one per first check-in
    events = await attendance_events(deployment, 6, session_id)
    assert {e.payload.person_id for e in events} == set(people)
    for event in events:
        assert isinstance(event.payload, events_pb2.AttendanceRecorded)
        assert event.payload.status == events_pb2.ATTENDANCE_STATUS_PRESENT
        assert event.payload.source == events_pb2.ATTENDANCE_SOURCE_CHECK_IN
        names = {f.name for f in event.payload.DESCRIPTOR.fields}
        assert not [n for n in names if any(w in n for w in FORBIDDEN_WORDS)], names
        assert "123456789" not in str(event.payload)


async def test_only_the_sessions_own_participants_within_the_window(deployment: Deployment) -> None:
    session_id = await started_session(deployment, TENANT, ["femke", "gijs"], "fac-2")
    other_session = await started_session(deployment, TENANT, ["hanna"], "fac-2")
    old_session = await started_session(deployment, TENANT, ["ivo"], "fac-2", ended_days_ago=15)
    late_session = await started_session(deployment, TENANT, ["jan"], "fac-2", ended_days_ago=13)
    body = {"big_number": "123456789"}
    async with (
        deployment.client(TENANT, "femke", "specialist") as femke,
        deployment.client(TENANT, "hanna", "specialist") as hanna,
        deployment.client(TENANT, "ivo", "specialist", lang="en") as ivo,
        deployment.client(TENANT, "jan", "specialist") as jan,
        deployment.client(TENANT, "stranger", "specialist") as stranger,
        deployment.client(OTHER, "femke", "specialist") as elsewhere,
        deployment.client(TENANT, "fac-2", "facilitator") as facilitator,
        deployment.client(TENANT, "fac-3", "facilitator") as other_facilitator,
        deployment.client(TENANT, *COORDINATOR) as coordinator,
        deployment.client(TENANT, "board-1", "board") as board,
    ):
        # someone not invited, a participant of another session (a photographed QR code)
        for client, target in ((stranger, session_id), (hanna, session_id), (femke, other_session)):
            refused = await client.post(f"/sessions/{target}/checkin", json=body)
            assert refused.status_code == 403, refused.text
            assert refused.json()["code"] == "checkin_not_participant"
            assert "alleen de eigen deelnemers" in refused.json()["message"]
        # who is asked first: a stranger's bad BIG number is still "not a participant"
        bad = await stranger.post(f"/sessions/{session_id}/checkin", json={"big_number": "=1+1"})
        assert bad.status_code == 403
        # another hospital: unknown
        assert (await elsewhere.post(f"/sessions/{session_id}/checkin", json=body)).status_code == 404
        # after the window (14 days after the end); just within it
        late = await ivo.post(f"/sessions/{old_session}/checkin", json=body)
        assert late.status_code == 409 and late.json()["field"] == "session"
        assert "14 days" in late.json()["message"]
        assert (await ivo.get(f"/sessions/{old_session}/checkin")).json()["open"] is False
        assert (await jan.post(f"/sessions/{late_session}/checkin", json=body)).status_code == 200
        # roles: the facilitator, a coordinator and the board do not check in
        for client in (facilitator, coordinator, board):
            assert (await client.post(f"/sessions/{session_id}/checkin", json=body)).status_code == 403
        # a facilitator of other sessions reads nothing of this one
        for path in ("attendance", "evaluation", "themes"):
            assert (await other_facilitator.get(f"/sessions/{session_id}/{path}")).status_code == 404
        assert (await board.get(f"/sessions/{session_id}/attendance")).status_code == 403
        assert (
            await deployment.db["attendance"].count_documents(
                {"session_id": {"$in": [session_id, other_session, old_session]}}
            )
            == 0
        )


async def test_before_the_start_check_in_is_not_yet_open(deployment: Deployment) -> None:
    rounds = await deployment.closed_ifms_rounds(TENANT, ["karel"])
    async with deployment.client(TENANT, *COORDINATOR) as coordinator:
        planned = await coordinator.post(
            "/sessions",
            json={
                "kind": "IFMS",
                "participants": [{"person_id": "karel", "round_id": rounds["karel"]}],
                "facilitator_ids": ["fac-4"],
                "starts_at": at(3).isoformat(),
                "ends_at": at(3, 16).isoformat(),
                "location": "Zaal 1",
            },
        )
    session_id = planned.json()["id"]
    async with (
        deployment.client(TENANT, "karel", "specialist") as karel,
        deployment.client(TENANT, "fac-4", "facilitator") as facilitator,
    ):
        early = await karel.post(f"/sessions/{session_id}/checkin", json={"big_number": "123456789"})
        assert early.status_code == 409 and "vanaf het begin" in early.json()["message"]
        mark = await facilitator.put(f"/sessions/{session_id}/attendance/karel", json={"status": "present"})
        assert mark.status_code == 409 and mark.json()["code"] == "attendance_not_started"
        # themes are chosen beforehand
        chosen = await karel.put(
            f"/sessions/{session_id}/themes",
            json={"themes": [{"theme_id": "communicatie", "name": "Communicatie"}]},
        )
        assert chosen.status_code == 200, chosen.text


async def test_the_facilitator_marks_attendance_with_a_reason(deployment: Deployment) -> None:
    session_id = await started_session(deployment, TENANT, ["lot", "mees", "nina"], "fac-5")
    base = f"/sessions/{session_id}/attendance"
    async with (
        deployment.client(TENANT, "fac-5", "facilitator") as facilitator,
        deployment.client(TENANT, "fac-5", "facilitator", lang="en") as facilitator_en,
        deployment.client(TENANT, "lot", "specialist") as lot,
        deployment.client(TENANT, *COORDINATOR) as coordinator,
    ):
        partial = await facilitator.put(
            f"{base}/lot", json={"status": "partial", "hours": 1.5, "reason": "Later"}
        )
        assert partial.status_code == 200, partial.text
        assert partial.json()["hours_present"] == 1.5 and partial.json()["status"] == "partial"
        absent = await facilitator.put(f"{base}/mees", json={"status": "absent", "reason": "Ziek"})
        assert absent.status_code == 200
        for body, field in (
            ({"status": "partial", "hours": 1.5}, "reason"),
            ({"status": "partial", "hours": 2, "reason": "x"}, "hours"),
            ({"status": "partial", "hours": 0.1, "reason": "x"}, "hours"),
            ({"status": "absent", "reason": "x" * 501}, "reason"),
        ):
            refused = await facilitator_en.put(f"{base}/nina", json=body)
            assert refused.status_code == 422 and refused.json()["field"] == field, refused.text
        stranger = await facilitator.put(f"{base}/someone", json={"status": "present"})
        assert stranger.status_code == 422 and stranger.json()["field"] == "person_id"
        # a participant and a coordinator do not mark
        assert (await lot.put(f"{base}/lot", json={"status": "present"})).status_code == 403
        assert (await coordinator.put(f"{base}/lot", json={"status": "present"})).status_code == 403
        # lot checks in later: checked in, the facilitator's mark stands
        assert (
            await lot.post(f"/sessions/{session_id}/checkin", json={"big_number": "123456789"})
        ).status_code == 200
        listed = {p["person_id"]: p for p in (await facilitator.get(base)).json()["participants"]}
        assert (
            listed["lot"]["status"] == "partial"
            and listed["lot"]["checked_in"]
            and listed["lot"]["reason"] == "Later"
        )
        assert listed["nina"]["status"] == "unknown"
        overview = {p["person_id"]: p for p in (await coordinator.get(base)).json()["participants"]}
        assert "reason" not in overview["mees"] and overview["mees"]["status"] == "absent"
        changed = await facilitator.put(f"{base}/mees", json={"status": "present"})
        assert changed.json()["status"] == "present"
    events = await attendance_events(deployment, 3, session_id)
    mees = [e.payload for e in events if e.payload.person_id == "mees"]
    assert [(e.status, e.version, e.minutes_present) for e in mees] == [
        (events_pb2.ATTENDANCE_STATUS_ABSENT, 1, 0),
        (events_pb2.ATTENDANCE_STATUS_PRESENT, 2, 120),
    ]
    lot_events = [e.payload for e in events if e.payload.person_id == "lot"]
    assert [(e.status, e.minutes_present, e.source) for e in lot_events] == [
        (events_pb2.ATTENDANCE_STATUS_PARTIAL, 90, events_pb2.ATTENDANCE_SOURCE_FACILITATOR)
    ]


async def test_themes_chosen_beforehand(deployment: Deployment) -> None:
    rounds = await deployment.closed_ifms_rounds(TENANT, ["olga", "piet"])
    async with deployment.client(TENANT, *COORDINATOR) as coordinator:
        planned = await coordinator.post(
            "/sessions",
            json={
                "kind": "IFMS",
                "participants": [{"person_id": p, "round_id": r} for p, r in rounds.items()],
                "facilitator_ids": ["fac-6"],
                "starts_at": at(5).isoformat(),
                "ends_at": at(5, 16).isoformat(),
                "location": "Zaal 2",
            },
        )
    session_id = planned.json()["id"]
    path = f"/sessions/{session_id}/themes"
    async with (
        deployment.client(TENANT, "olga", "specialist") as olga,
        deployment.client(TENANT, "piet", "specialist") as piet,
        deployment.client(TENANT, "quirine", "specialist") as stranger,
        deployment.client(TENANT, "fac-6", "facilitator") as facilitator,
        deployment.client(TENANT, *COORDINATOR) as coordinator,
    ):
        chosen = [
            {"theme_id": "communicatie", "name": "Communicatie"},
            {"theme_id": "leiderschap", "name": "Leiderschap"},
        ]
        assert (await olga.put(path, json={"themes": chosen})).status_code == 200
        twice = await olga.put(path, json={"themes": [chosen[0], chosen[0]]})
        assert twice.status_code == 422 and twice.json()["field"] == "themes[1].theme_id"
        assert (await stranger.put(path, json={"themes": chosen})).status_code == 403
        own = (await olga.get(path)).json()["participants"]
        assert own == [{"person_id": "olga", "themes": chosen}]
        # piet sees only his own (nothing yet), not olga's
        assert (await piet.get(path)).json()["participants"] == [{"person_id": "piet", "themes": []}]
        everyone = (await facilitator.get(path)).json()["participants"]
        assert {p["person_id"]: p["themes"] for p in everyone} == {"olga": chosen, "piet": []}
        # coordinators see attendance only
        assert (await coordinator.get(path)).status_code == 403


async def test_a_burst_of_check_ins_of_twenty_sessions_ending_at_once(deployment: Deployment) -> None:
    """160 participants of 20 sessions of 8 check in within 15 seconds (the issue: within a minute),
    straight to the api, without the gateway (the issue's figure through the gateway, beside a
    baseline, is `make bench`: bench/checkin.py). Prints p50/p99."""
    sessions = []
    for s in range(20):
        people = [f"burst-{s:02d}-{i}" for i in range(8)]
        sessions.append((await started_session(deployment, TENANT, people, f"fac-burst-{s}"), people))
    timings: list[float] = []

    async def check_in(session_id: str, person: str, n: int) -> None:
        await asyncio.sleep(n * 15 / 160)
        # The token (60 s, as the gateway's) made at the moment of the check-in: tokens made before
        # the burst expired while a heavily loaded machine worked through it.
        async with deployment.client(TENANT, person, "specialist") as client:
            started = time.perf_counter()
            answer = await client.post(
                f"/sessions/{session_id}/checkin",
                json={
                    "big_number": f"{100000000 + n}",
                    "evaluation": evaluation(1 + n % 5, f"opmerking {n}"),
                },
            )
            timings.append(time.perf_counter() - started)
        assert answer.status_code == 200, answer.text

    began = time.perf_counter()
    await asyncio.gather(
        *(
            check_in(session_id, person, i * 8 + j)
            for i, (session_id, people) in enumerate(sessions)
            for j, person in enumerate(people)
        )
    )
    wall = time.perf_counter() - began
    ordered = sorted(timings)
    p50, p99 = ordered[len(ordered) // 2], ordered[int(len(ordered) * 0.99) - 1]
    print(f"check-in burst: 160 in {wall:.2f} s, p50 {p50 * 1000:.0f} ms, p99 {p99 * 1000:.0f} ms")
    assert len(timings) == 160
    assert await deployment.db["evaluations"].count_documents({"session_id": sessions[0][0]}) == 8
    # All 160 within the minute. The latency (the issue: p99 under 500 ms through the gateway, in
    # `make bench` beside a baseline) depends on what else the two shared cores run, so it is
    # printed here, not asserted.
    assert wall < 60
