"""Accreditation in GAIA through the real api on the real Kafka and FerretDB: the activity set
with refusals naming the field, the exports read back (xlsx with openpyxl, csv, XML, the
certificate PDF), the registration status, the "still to register" list, the roles and another
hospital, and the export of 1,000 participants."""

from __future__ import annotations

import csv
import io
import time
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from xml.etree import ElementTree as ET

import pytest
from accreditation_testkit import Deployment
from aiokafka import AIOKafkaConsumer
from openpyxl import load_workbook
from pypdf import PdfReader
from spiegel_dev.waiting import eventually
from spiegel_platform.events import ReceivedEvent
from spiegel_platform.events.envelope import decode
from test_checkin_end_to_end import started_session

pytestmark = pytest.mark.integration

TENANT = "ziekenhuis-noord"
OTHER = "ziekenhuis-zuid"
COORDINATOR = ("coord-1", "coordinator")
NS = {"g": "urn:spiegel:gaia:attendance:1"}


@pytest.fixture(scope="module")
async def deployment(stack, jwks_json, token_issuer, tmp_path_factory) -> AsyncIterator[Deployment]:  # type: ignore[no-untyped-def]
    from spiegel_dev.pytest_plugin import Processes

    processes = Processes(stack, jwks_json, tmp_path_factory.mktemp("gaia-logs"))
    running = Deployment(processes, stack, token_issuer)
    try:
        env = {"KAFKA_TOPIC_PREFIX": running.topic_prefix}
        # The reminder job looks every second here (every 15 minutes by default).
        processes.start(
            "accreditation", "consumer", running.prefix, GAIA_REMINDER_INTERVAL_SECONDS="1", **env
        )
        running.relay = processes.start("accreditation", "relay", running.prefix, **env)
        running.api = processes.start("accreditation", "api", running.prefix, **env)
        yield running
    finally:
        processes.stop_all()
        await running.close()


def accreditation(**changes: object) -> dict[str, object]:
    today = datetime.now(UTC).date()
    body: dict[str, object] = {
        "activity_number": "456789",
        "points": 2,
        "association": "Nederlandse Vereniging voor Heelkunde",
        "valid_from": (today - timedelta(days=100)).isoformat(),
        "valid_until": (today + timedelta(days=200)).isoformat(),
        "provider": "Ziekenhuis Noord",
    }
    body.update(changes)
    return body


async def test_accreditation_exports_and_registration(deployment: Deployment) -> None:
    people = ["anna", "bram", "cor", "dirk"]
    session_id = await started_session(deployment, TENANT, people, "fac-1")
    base = f"/sessions/{session_id}"
    # Bram's name (as the survey announced it) starts a formula.
    rounds = deployment.db["rounds"]
    async for doc in rounds.find({"tenant_id": TENANT, "subject_id": {"$in": people}}):
        name = "=cmd|' /C calc'!A0" if doc["subject_id"] == "bram" else f"Dr. {doc['subject_id'].title()}"
        await rounds.update_one({"_id": doc["_id"]}, {"$set": {"subject_name": name}})
    async with (
        deployment.client(TENANT, *COORDINATOR) as coordinator,
        deployment.client(TENANT, *COORDINATOR, lang="en") as coordinator_en,
        deployment.client(TENANT, "fac-1", "facilitator") as facilitator,
        deployment.client(TENANT, "anna", "specialist") as anna,
        deployment.client(TENANT, "bram", "specialist") as bram,
    ):
        # -- no accreditation yet: the exports say what is missing
        missing = await coordinator.get(f"{base}/gaia/attendance.xlsx")
        assert missing.status_code == 409 and missing.json()["field"] == "activity_number"
        assert "activiteitnummer" in missing.json()["message"]

        # -- refusals name the field, in the caller's language; nothing saved
        for changes, field in (
            ({"activity_number": "12a45"}, "activity_number"),
            ({"points": 0}, "points"),
            ({"association": ""}, "association"),
            ({"valid_until": "2020-01-01"}, "valid_until"),
            ({"valid_from": (datetime.now(UTC) + timedelta(days=3)).date().isoformat()}, "valid_from"),
            ({"scope": "series"}, "scope"),
        ):
            refused = await coordinator.put(f"{base}/accreditation", json=accreditation(**changes))
            assert refused.status_code == 422, (changes, refused.text)
            assert refused.json()["field"] == field
            english = await coordinator_en.put(f"{base}/accreditation", json=accreditation(**changes))
            assert english.json()["field"] == field and english.json()["message"] != refused.json()["message"]
        assert (await coordinator.get(f"{base}/accreditation")).json()["accreditation"] is None

        saved = await coordinator.put(f"{base}/accreditation", json=accreditation(activity_number="456 789"))
        assert saved.status_code == 200, saved.text
        overview = saved.json()
        assert overview["accreditation"]["activity_number"] == "456789"
        assert overview["accreditation"]["deadline_days"] == 42
        assert overview["accreditation"]["deadline_from"] == "default"
        ends = datetime.fromisoformat(overview["ends_at"])
        assert overview["deadline"] == (ends + timedelta(days=42)).date().isoformat()

        # -- attendance: anna and bram check in, cor leaves early, dirk is absent
        for client, number in ((anna, "123456789"), (bram, "12345678901")):
            checked = await client.post(f"{base}/checkin", json={"big_number": number})
            assert checked.status_code == 200, checked.text
        marked = await facilitator.put(
            f"{base}/attendance/cor", json={"status": "partial", "hours": 1, "reason": "dienst"}
        )
        assert marked.status_code == 200, marked.text
        await facilitator.put(f"{base}/attendance/dirk", json={"status": "absent", "reason": "ziek"})

        # -- BIG numbers to paste: the whole-session attendees, zeros kept
        pasted = await coordinator.get(f"{base}/gaia/big-numbers.txt")
        assert pasted.status_code == 200 and pasted.headers["content-type"].startswith("text/plain")
        assert pasted.text == "00123456789\n12345678901\n"

        # -- the spreadsheet opened with openpyxl: the BIG number is TEXT with its leading zeros
        sheet = load_workbook(io.BytesIO((await coordinator.get(f"{base}/gaia/attendance.xlsx")).content))[
            "GAIA"
        ]
        values = {
            sheet.cell(row=r, column=2).value: sheet.cell(row=r, column=1)
            for r in range(2, sheet.max_row + 1)
        }
        assert set(values) == {"Dr. Anna", "'=cmd|' /C calc'!A0"}
        anna_cell = values["Dr. Anna"]
        assert (
            anna_cell.value == "00123456789" and anna_cell.data_type == "s" and anna_cell.number_format == "@"
        )
        assert sheet["E2"].value == "456789" and sheet["D2"].value == 2

        # -- the csv: the formula neutralised
        text = (await coordinator.get(f"{base}/gaia/attendance.csv")).content.decode("utf-8-sig")
        rows = list(csv.reader(io.StringIO(text), delimiter=";"))
        assert rows[0][0] == "BIG-nummer"
        assert [r[1] for r in rows[1:] if r[0] == "12345678901"] == ["'=cmd|' /C calc'!A0"]
        english_csv = (await coordinator_en.get(f"{base}/gaia/attendance.csv")).content.decode("utf-8-sig")
        assert english_csv.startswith('"BIG number"')

        # -- the XML parsed back
        root = ET.fromstring((await coordinator.get(f"{base}/gaia/attendance.xml")).content)
        assert root.get("provider") == "Ziekenhuis Noord"
        items = root.findall("g:attendance", NS)
        assert sorted(i.findtext("g:personId", namespaces=NS) for i in items) == [
            "00123456789",
            "12345678901",
        ]
        assert {i.findtext("g:activityId", namespaces=NS) for i in items} == {"456789"}
        assert {i.findtext("g:endDate", namespaces=NS) for i in items} == {ends.date().isoformat()}

        # -- the partial attendee's certificate, with the hours present; not for anyone else
        pdf = await coordinator.get(f"{base}/gaia/certificates/cor.pdf")
        assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
        assert "Aanwezig: 1 van 2 uur" in PdfReader(io.BytesIO(pdf.content)).pages[0].extract_text()
        assert (await coordinator.get(f"{base}/gaia/certificates/anna.pdf")).status_code == 409
        assert (await coordinator.get(f"{base}/gaia/certificates/nobody.pdf")).status_code == 404

        # -- still to register: the session, with 2 to register
        pending = (await coordinator.get("/gaia/pending")).json()["sessions"]
        mine = [p for p in pending if p["session_id"] == session_id]
        assert len(mine) == 1 and mine[0]["to_register"] == 2 and mine[0]["present"] == 2
        assert mine[0]["deadline"] == overview["deadline"] and mine[0]["overdue"] is False

        # -- statuses: refusals name the field; one, then all
        path = f"{base}/gaia/registrations"
        no_reason = await coordinator.put(path, json={"person_ids": ["bram"], "status": "refused"})
        assert no_reason.status_code == 422 and no_reason.json()["field"] == "reason"
        partial = await coordinator.put(path, json={"person_ids": ["cor"], "status": "registered"})
        assert partial.status_code == 422 and partial.json()["field"] == "person_ids"
        future = (datetime.now(UTC) + timedelta(days=2)).date().isoformat()
        later = await coordinator.put(
            path, json={"person_ids": ["anna"], "status": "registered", "registered_on": future}
        )
        assert later.status_code == 422 and later.json()["field"] == "registered_on"
        refused = await coordinator.put(
            path, json={"person_ids": ["bram"], "status": "refused", "reason": "BIG-nummer onbekend in GAIA"}
        )
        assert refused.status_code == 200, refused.text
        statuses = {p["person_id"]: p["registration"] for p in refused.json()["participants"]}
        assert (
            statuses["bram"]["status"] == "refused"
            and statuses["bram"]["reason"] == "BIG-nummer onbekend in GAIA"
        )
        assert statuses["anna"]["status"] == "to_register"
        pending = (await coordinator.get("/gaia/pending")).json()["sessions"]
        assert [p["to_register"] for p in pending if p["session_id"] == session_id] == [1]
        everyone = await coordinator.put(path, json={"status": "registered"})
        assert everyone.status_code == 200
        statuses = {p["person_id"]: p["registration"] for p in everyone.json()["participants"]}
        today = datetime.now(UTC).date().isoformat()
        assert statuses["anna"] == {"status": "registered", "registered_on": today, "reason": ""}
        assert statuses["bram"]["status"] == "registered"
        assert statuses["cor"]["status"] == "to_register" and statuses["dirk"]["status"] == "to_register"
        pending = (await coordinator.get("/gaia/pending")).json()["sessions"]
        assert session_id not in {p["session_id"] for p in pending}
        # The overview never shows a BIG number (the exports are the one place).
        assert "123456789" not in everyone.text


async def test_only_the_hospitals_coordinators(deployment: Deployment) -> None:
    session_id = await started_session(deployment, TENANT, ["eva", "frits"], "fac-2")
    base = f"/sessions/{session_id}"
    async with deployment.client(TENANT, "admin-1", "tenant_admin") as admin:
        assert (await admin.put(f"{base}/accreditation", json=accreditation())).status_code == 200
    routes = [
        ("GET", f"{base}/accreditation", None),
        ("PUT", f"{base}/accreditation", accreditation()),
        ("GET", f"{base}/gaia/big-numbers.txt", None),
        ("GET", f"{base}/gaia/attendance.csv", None),
        ("GET", f"{base}/gaia/attendance.xlsx", None),
        ("GET", f"{base}/gaia/attendance.xml", None),
        ("GET", f"{base}/gaia/certificates/eva.pdf", None),
        ("PUT", f"{base}/gaia/registrations", {"status": "registered"}),
        ("GET", "/gaia/pending", None),
        ("GET", "/gaia/associations", None),
        ("PUT", "/gaia/associations", {"name": "NVvH", "deadline_days": 10}),
        ("DELETE", "/gaia/associations/abc", None),
    ]
    for subject, role in (
        ("fac-2", "facilitator"),
        ("eva", "specialist"),
        ("b", "board"),
        ("op", "operator"),
    ):
        async with deployment.client(TENANT, subject, role) as client:
            for method, path, body in routes:
                answer = await client.request(method, path, json=body)
                assert answer.status_code == 403, (role, method, path, answer.text)
    async with deployment.client(OTHER, "coord-9", "coordinator") as foreign:
        for method, path, body in routes[:-4]:
            answer = await foreign.request(method, path, json=body)
            assert answer.status_code == 404, (method, path, answer.text)
        assert session_id not in {
            p["session_id"] for p in (await foreign.get("/gaia/pending")).json()["sessions"]
        }


async def test_the_attendance_export_of_1000_participants_under_2_seconds(deployment: Deployment) -> None:
    """A session document of 1,000 participants written as the api would (a Groepsmonitor of a
    very large group), each present with a BIG number: the xlsx export through the api."""
    session_id = f"big-{uuid.uuid4().hex[:8]}"
    start = datetime.now(UTC) - timedelta(hours=4)
    people = [f"p{i:04d}" for i in range(1000)]
    db = deployment.db

    def own(local: str, **fields: object) -> dict[str, object]:
        return {"_id": f"{TENANT}:{local}", "id": local, "tenant_id": TENANT, **fields}

    await db["sessions"].insert_one(
        own(
            session_id,
            kind="GROUP_MONITOR",
            state="planned",
            participants=[{"person_id": p, "round_id": "gm-big"} for p in people],
            participant_ids=people,
            facilitator_ids=["fac-big"],
            starts_at=start,
            ends_at=start + timedelta(hours=3),
            version=1,
        )
    )
    await db["attendance"].insert_many(
        [
            own(f"{session_id}/{p}", session_id=session_id, person_id=p, status="present", minutes=180)
            for p in people
        ]
    )
    await db["big_numbers"].insert_many(
        [own(p, big_number=f"{i:011d}") for i, p in enumerate(people)], ordered=False
    )
    async with deployment.client(TENANT, *COORDINATOR) as coordinator:
        assert (
            await coordinator.put(f"/sessions/{session_id}/accreditation", json=accreditation())
        ).status_code == 200
        timings = []
        for _ in range(3):
            started = time.perf_counter()
            answer = await coordinator.get(f"/sessions/{session_id}/gaia/attendance.xlsx")
            timings.append(time.perf_counter() - started)
            assert answer.status_code == 200
        sheet = load_workbook(io.BytesIO(answer.content))["GAIA"]
        assert sheet.max_row == 1001 and sheet["A2"].value == "00000000000"
    print(
        f"xlsx export of 1000 participants: {sorted(timings)[1]:.3f} s (median of 3),"
        f" {max(timings):.3f} s (worst)"
    )
    # The median of three: the machine is shared (six engineers' tests on two cores), and one
    # slow pass is the machine's, not the export's.
    assert sorted(timings)[1] < 2.0, timings


async def gaia_events(deployment: Deployment, settle: float) -> list[ReceivedEvent]:
    """Every event on the GAIA topic so far, read until nothing new came for `settle` seconds."""
    consumer = AIOKafkaConsumer(
        deployment.topic_prefix + "spiegel.accreditation.gaia.v1",
        bootstrap_servers=deployment.stack.kafka_bootstrap,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        group_id=None,
    )
    await consumer.start()
    found: list[ReceivedEvent] = []
    try:
        quiet_since = time.monotonic()
        while time.monotonic() - quiet_since < settle:
            for records in (await consumer.getmany(timeout_ms=500)).values():
                found.extend(decode(r.value, topic=r.topic, headers=tuple(r.headers)) for r in records)
                quiet_since = time.monotonic()
    finally:
        await consumer.stop()
    return found


async def test_a_reminder_before_the_deadline_exactly_once(deployment: Deployment) -> None:
    """A deadline 3 days away (within the 7 days before): one GaiaRegistrationDue, however many
    passes of the job; a deadline 6 weeks away, or a session all registered: none."""
    soon = await started_session(deployment, TENANT, ["gijs", "hans"], "fac-3")
    later = await started_session(deployment, TENANT, ["ida"], "fac-3")
    done = await started_session(deployment, TENANT, ["jan"], "fac-3")
    async with deployment.client(TENANT, *COORDINATOR) as coordinator:
        # The near deadlines are set only once everybody has checked in (and, for the session
        # all registered, after its registration): a pass of the job in between would rightly
        # remind of the count at that instant (one of two checked in; due and unregistered).
        for session_id, days in ((soon, 42), (later, 42), (done, 42)):
            saved = await coordinator.put(
                f"/sessions/{session_id}/accreditation", json=accreditation(deadline_days=days)
            )
            assert saved.status_code == 200, saved.text
        for session_id, who in ((soon, "gijs"), (soon, "hans"), (later, "ida"), (done, "jan")):
            async with deployment.client(TENANT, who, "specialist") as person:
                checked = await person.post(
                    f"/sessions/{session_id}/checkin", json={"big_number": "123456789"}
                )
                assert checked.status_code == 200, checked.text
        registered = await coordinator.put(
            f"/sessions/{done}/gaia/registrations", json={"status": "registered"}
        )
        assert registered.status_code == 200
        for session_id in (soon, done):
            saved = await coordinator.put(
                f"/sessions/{session_id}/accreditation", json=accreditation(deadline_days=3)
            )
            assert saved.status_code == 200, saved.text

    async def reminded() -> bool:
        return any(e.key == soon for e in await gaia_events(deployment, 0.5))

    await eventually(reminded, 60, "the reminder of the session due soon")
    events = await gaia_events(deployment, 4)  # several passes of the job later
    mine = [e for e in events if e.key == soon]
    assert len(mine) == 1, mine
    payload = mine[0].payload
    assert payload.session_id == soon and payload.to_register == 2
    ends = (await deployment.db["sessions"].find_one({"_id": f"{TENANT}:{soon}"}))["ends_at"]
    assert payload.deadline.ToDatetime().date() == (ends + timedelta(days=3)).date()
    assert mine[0].tenant_id == TENANT
    assert not [f.name for f in payload.DESCRIPTOR.fields if "big" in f.name or "name" in f.name]
    assert not [e for e in events if e.key in (later, done)]


async def test_a_deadline_per_association(deployment: Deployment) -> None:
    """The hospital's deadline per association: an accreditation naming it (in any spelling)
    takes it unless it has its own; 6 weeks when none is set; refusals name the field; another
    hospital has its own list; the reminder follows the association's deadline."""
    session_id = await started_session(deployment, TENANT, ["karel"], "fac-4")
    base = f"/sessions/{session_id}"
    association = "Nederlandse Vereniging voor Urologie"
    async with (
        deployment.client(TENANT, *COORDINATOR) as coordinator,
        deployment.client(TENANT, *COORDINATOR, lang="en") as coordinator_en,
        deployment.client(TENANT, "admin-1", "tenant_admin") as admin,
        deployment.client(OTHER, "coord-9", "coordinator") as foreign,
    ):
        # -- bad input: refused naming the field, in Dutch and English; nothing saved
        for body, field in (
            ({"name": "", "deadline_days": 28}, "name"),
            ({"name": "NV\u202evU", "deadline_days": 28}, "name"),
            ({"name": "x" * 201, "deadline_days": 28}, "name"),
            ({"name": association, "deadline_days": 0}, "deadline_days"),
            ({"name": association, "deadline_days": 367}, "deadline_days"),
        ):
            refused = await coordinator.put("/gaia/associations", json=body)
            assert refused.status_code == 422, (body, refused.text)
            assert refused.json()["field"] == field
            english = await coordinator_en.put("/gaia/associations", json=body)
            assert english.json()["field"] == field and english.json()["message"] != refused.json()["message"]
        typed = await coordinator.put(
            "/gaia/associations", json={"name": association, "deadline_days": "vier"}
        )
        assert typed.status_code == 422 and typed.json()["errors"][0]["field"] == "body.deadline_days"
        listed = (await coordinator.get("/gaia/associations")).json()
        assert listed["default_deadline_days"] == 42
        assert association not in {a["name"] for a in listed["associations"]}

        # -- an accreditation naming it, no rule yet: 6 weeks
        saved = await coordinator.put(f"{base}/accreditation", json=accreditation(association=association))
        assert saved.status_code == 200, saved.text
        ends = datetime.fromisoformat(saved.json()["ends_at"])
        assert saved.json()["accreditation"]["deadline_from"] == "default"

        # -- the association's rule (typed in another spelling by a tenant admin): 4 weeks
        rule = await admin.put(
            "/gaia/associations",
            json={"name": "  nederlandse vereniging voor  UROLOGIE", "deadline_days": 28},
        )
        assert rule.status_code == 200, rule.text
        rule_id = rule.json()["id"]
        again = await coordinator.put("/gaia/associations", json={"name": association, "deadline_days": 28})
        assert again.json()["id"] == rule_id
        mine = [a for a in (await coordinator.get("/gaia/associations")).json()["associations"]]
        assert [a for a in mine if a["id"] == rule_id] == [
            {"id": rule_id, "name": association, "deadline_days": 28}
        ]
        overview = (await coordinator.get(f"{base}/accreditation")).json()
        assert overview["accreditation"]["deadline_days"] == 28
        assert overview["accreditation"]["deadline_from"] == "association"
        assert overview["deadline"] == (ends + timedelta(days=28)).date().isoformat()

        # -- an accreditation with a deadline of its own keeps it; without, the association's again
        own = await coordinator.put(
            f"{base}/accreditation", json=accreditation(association=association, deadline_days=10)
        )
        assert own.json()["accreditation"]["deadline_from"] == "accreditation"
        assert own.json()["deadline"] == (ends + timedelta(days=10)).date().isoformat()
        back = await coordinator.put(f"{base}/accreditation", json=accreditation(association=association))
        assert back.json()["deadline"] == (ends + timedelta(days=28)).date().isoformat()
        refused = await coordinator.put(f"{base}/accreditation", json=accreditation(deadline_days=0))
        assert refused.status_code == 422 and refused.json()["field"] == "deadline_days"

        # -- another hospital: its own list; the same name there is its default
        assert rule_id not in {
            a["id"] for a in (await foreign.get("/gaia/associations")).json()["associations"]
        }
        assert (await foreign.delete(f"/gaia/associations/{rule_id}")).status_code == 200
        assert (await coordinator.get(f"{base}/accreditation")).json()["accreditation"]["deadline_days"] == 28

        # -- the reminder follows the association's deadline: 2 days away, once
        async with deployment.client(TENANT, "karel", "specialist") as karel:
            assert (await karel.post(f"{base}/checkin", json={"big_number": "123456789"})).status_code == 200
        assert (
            await admin.put("/gaia/associations", json={"name": association, "deadline_days": 2})
        ).status_code == 200

        async def reminded() -> bool:
            return any(e.key == session_id for e in await gaia_events(deployment, 0.5))

        await eventually(reminded, 60, "the reminder of the association's deadline")
        due = [e for e in await gaia_events(deployment, 3) if e.key == session_id]
        assert (
            len(due) == 1 and due[0].payload.deadline.ToDatetime().date() == (ends + timedelta(days=2)).date()
        )

        # -- removed: back to 6 weeks (twice: the same answer)
        for _ in range(2):
            removed = await coordinator.delete(f"/gaia/associations/{rule_id}")
            assert removed.status_code == 200 and removed.json() == {"id": rule_id, "removed": True}
        overview = (await coordinator.get(f"{base}/accreditation")).json()
        assert overview["accreditation"]["deadline_from"] == "default"
        assert overview["deadline"] == (ends + timedelta(days=42)).date().isoformat()


async def test_a_second_reminder_on_the_deadline_day(deployment: Deployment) -> None:
    """On the deadline day, a session still not all registered whose first reminder came on an
    earlier day gets one more GaiaRegistrationDue (`last_day`), once; a session whose first
    reminder comes on the deadline day itself gets only that one."""
    earlier = await started_session(deployment, TENANT, ["lies"], "fac-5")
    today_only = await started_session(deployment, TENANT, ["mark"], "fac-5")
    async with deployment.client(TENANT, *COORDINATOR) as coordinator:
        for session_id, who in ((earlier, "lies"), (today_only, "mark")):
            async with deployment.client(TENANT, who, "specialist") as person:
                checked = await person.post(
                    f"/sessions/{session_id}/checkin", json={"big_number": "123456789"}
                )
                assert checked.status_code == 200, checked.text
    # Both ended a day ago with a deadline of one day: the deadline is today. The earlier one's
    # first reminder was made yesterday (written as the job would have: as if the clock moved on).
    now = datetime.now(UTC)
    ends = now - timedelta(days=1)
    due = (ends + timedelta(days=1)).date().isoformat()
    for session_id in (earlier, today_only):
        await deployment.db["sessions"].update_one(
            {"_id": f"{TENANT}:{session_id}"},
            {"$set": {"starts_at": ends - timedelta(hours=2), "ends_at": ends}},
        )
    await deployment.db["gaia_reminders"].insert_one(
        {
            "_id": f"{TENANT}:{earlier}/{due}",
            "tenant_id": TENANT,
            "id": f"{earlier}/{due}",
            "session_id": earlier,
            "deadline": due,
            "to_register": 1,
            "created_at": now - timedelta(days=1),
        }
    )
    async with deployment.client(TENANT, *COORDINATOR) as coordinator:
        for session_id in (earlier, today_only):
            saved = await coordinator.put(
                f"/sessions/{session_id}/accreditation", json=accreditation(deadline_days=1)
            )
            assert saved.status_code == 200 and saved.json()["deadline"] == due, saved.text

    async def both() -> bool:
        keys = {e.key for e in await gaia_events(deployment, 0.5)}
        return {earlier, today_only} <= keys

    await eventually(both, 60, "the deadline day's reminders")
    events = await gaia_events(deployment, 4)  # several passes of the job later
    last = [e.payload for e in events if e.key == earlier]
    assert len(last) == 1 and last[0].last_day and last[0].to_register == 1, last
    first = [e.payload for e in events if e.key == today_only]
    assert len(first) == 1 and not first[0].last_day, first
    assert (
        await deployment.db["gaia_reminders"].count_documents({"session_id": {"$in": [earlier, today_only]}})
        == 3
    )
