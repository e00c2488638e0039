"""Groups (vakgroepen, maatschappen) through the gateway's API, against a real gateway, FerretDB and
Kafka: names unique per hospital whatever their case, members only specialists of this hospital,
membership history with dates, GroupChanged on Kafka with the members, another hospital's group
unknown. And the pure rules (model.py) without servers."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from aiokafka import AIOKafkaConsumer
from gateway_helpers import Browser, add_person, async_wait_until, create_tenant
from spiegel_gateway.groups.model import JOINED, LEFT, MembershipChange, members_on, name_key, text_problem
from spiegel_platform.events.envelope import decode

# -- the rules -------------------------------------------------------------------------------------


def test_a_name_is_the_same_whatever_its_case_and_spacing() -> None:
    assert name_key("  Cardiologie  Noord ") == name_key("cardiologie noord") == name_key("CARDIOLOGIE NOORD")
    assert name_key("Cardiologie") != name_key("Cardiologie 2")


def test_names_with_controls_empty_or_too_long_are_refused_with_a_reason() -> None:
    assert text_problem("Maatschap Interne", limit=120) is None
    assert "stuurtekens" in str(text_problem("Maat\u202eschap", limit=120))
    assert "stuurtekens" in str(text_problem("Maat\nschap", limit=120))
    assert "spaties" in str(text_problem("   ", limit=120))
    assert "120" in str(text_problem("x" * 121, limit=120))
    assert text_problem("", limit=120, required=False) is None


def test_members_on_a_date_replay_the_history() -> None:
    day = datetime(2026, 3, 1, 12, tzinfo=UTC)
    history = [
        MembershipChange("a", JOINED, day, "admin"),
        MembershipChange("b", JOINED, day, "admin"),
        MembershipChange("a", LEFT, day + timedelta(days=10), "admin"),
        MembershipChange("c", JOINED, day + timedelta(days=20), "admin"),
        MembershipChange("a", JOINED, day + timedelta(days=30), "admin"),
    ]
    assert members_on(history, day - timedelta(seconds=1)) == []
    assert members_on(history, day) == ["a", "b"]
    assert members_on(history, day + timedelta(days=15)) == ["b"]
    assert members_on(history, day + timedelta(days=25)) == ["b", "c"]
    assert members_on(history, day + timedelta(days=31)) == ["b", "c", "a"]


# -- the API ---------------------------------------------------------------------------------------


async def _hospital(deployment: Any, label: str) -> dict[str, Any]:
    slug = f"grp-{label}-{uuid.uuid4().hex[:5]}"
    tenant = await create_tenant(deployment, slug)
    people: dict[str, str] = {}
    browsers: dict[str, Browser] = {}
    for role in ("coordinator", "specialist", "facilitator"):
        email = f"{role}-{uuid.uuid4().hex[:6]}@groepen-test.nl"
        people[role] = await add_person(deployment, tenant["tenant_id"], email, role, name=f"Dr. {role}")
        browsers[role] = Browser(deployment.url, slug=slug)
        assert (await browsers[role].login(email)).status_code == 200
    for n in range(3):
        people[f"s{n}"] = await add_person(
            deployment,
            tenant["tenant_id"],
            f"s{n}-{uuid.uuid4().hex[:6]}@groepen-test.nl",
            "specialist",
            name=f"Dr. Lid {n}",
        )
    return {"slug": slug, "tenant_id": tenant["tenant_id"], "people": people, "browsers": browsers}


@pytest.mark.integration
async def test_groups_api_names_members_history_events_and_isolation(deployment, stack) -> None:  # type: ignore[no-untyped-def]
    relay = deployment.processes.start("gateway", "relay", deployment.prefix, **deployment.env)
    a = await _hospital(deployment, "a")
    b = await _hospital(deployment, "b")
    coordinator: Browser = a["browsers"]["coordinator"]
    people = a["people"]
    try:
        created = await coordinator.post(
            "/groups",
            json={
                "name": "Maatschap Cardiologie",
                "kind": "maatschap",
                "specialism": "Cardiologie",
                "member_person_ids": [people["s0"], people["s1"]],
                "contact_person_id": people["coordinator"],
            },
        )
        assert created.status_code == 201, created.text
        group = created.json()
        group_id = group["group_id"]
        assert [m["display_name"] for m in group["members"]] == ["Dr. Lid 0", "Dr. Lid 1"]
        assert group["contact_name"] == "Dr. coordinator" and group["kind"] == "maatschap"

        # The same name in other capitals: refused, in Dutch and in English, naming the group.
        twice = await coordinator.post("/groups", json={"name": "  maatschap CARDIOLOGIE "})
        assert twice.status_code == 409 and twice.json()["code"] == "group_name_taken"
        assert "al een groep met de naam ‘Maatschap Cardiologie’" in twice.json()["message"]
        english = await coordinator.post(
            "/groups", json={"name": "MAATSCHAP cardiologie"}, headers={"accept-language": "en"}
        )
        assert "already has a group named ‘Maatschap Cardiologie’" in english.json()["message"]
        # Another hospital may use the name.
        other = await b["browsers"]["coordinator"].post("/groups", json={"name": "Maatschap Cardiologie"})
        assert other.status_code == 201, other.text
        other_id = other.json()["group_id"]

        # Bad names: a clear message naming the field, never a 500.
        for bad, words in (
            ("", "verplicht|spaties|minstens"),
            ("   ", "spaties"),
            ("x" * 3000, "120"),
            ("Groep\u202eA", "stuurtekens"),
            ("Groep\tA", "stuurtekens"),
        ):
            refused = await coordinator.post("/groups", json={"name": bad})
            assert refused.status_code == 422, (bad[:10], refused.text)
            body = refused.json()
            assert "naam" in body["message"] or body.get("errors", [{}])[0].get("field") == "body.name"
            assert any(w in body["message"] for w in words.split("|")), body["message"]
        assert (await coordinator.post("/groups", json={"name": 5})).status_code == 422

        # Members: only specialists of this hospital.
        foreign = await coordinator.post(f"/groups/{group_id}/members", json={"person_id": b["people"]["s0"]})
        assert foreign.status_code == 422 and "geen persoon" in foreign.json()["message"]
        assert foreign.json()["field"] == "person_id"
        not_specialist = await coordinator.post(
            f"/groups/{group_id}/members", json={"person_id": people["facilitator"]}
        )
        assert (
            not_specialist.status_code == 422
            and "geen actieve specialist" in not_specialist.json()["message"]
        )
        at_creation = await coordinator.post(
            "/groups", json={"name": "Vakgroep X", "member_person_ids": [b["people"]["s1"]]}
        )
        assert at_creation.status_code == 422 and at_creation.json()["field"] == "member_person_ids"
        bad_contact = await coordinator.request(
            "PATCH", f"/groups/{group_id}", json={"contact_person_id": b["people"]["coordinator"]}
        )
        assert bad_contact.status_code == 422 and bad_contact.json()["field"] == "contact_person_id"

        before_changes = datetime.now(UTC)
        added = await coordinator.post(f"/groups/{group_id}/members", json={"person_id": people["s2"]})
        assert added.status_code == 200
        assert [m["person_id"] for m in added.json()["members"]] == [people["s0"], people["s1"], people["s2"]]
        again = await coordinator.post(f"/groups/{group_id}/members", json={"person_id": people["s2"]})
        assert again.json()["revision"] == added.json()["revision"]  # no change, no new revision
        removed = await coordinator.request("DELETE", f"/groups/{group_id}/members/{people['s0']}")
        assert removed.status_code == 200
        assert [m["person_id"] for m in removed.json()["members"]] == [people["s1"], people["s2"]]

        history = (await coordinator.get(f"/groups/{group_id}/history")).json()["entries"]
        assert [(h["display_name"], h["change"]) for h in history] == [
            ("Dr. Lid 0", "joined"),
            ("Dr. Lid 1", "joined"),
            ("Dr. Lid 2", "joined"),
            ("Dr. Lid 0", "left"),
        ]
        assert all(h["by_name"] == "Dr. coordinator" for h in history)
        left_at = datetime.fromisoformat(history[-1]["at"])
        assert before_changes <= left_at <= datetime.now(UTC)
        yesterday = (datetime.now(UTC) - timedelta(days=1)).date().isoformat()
        assert (await coordinator.get(f"/groups/{group_id}/members?on={yesterday}")).json()["members"] == []
        today = (await coordinator.get(f"/groups/{group_id}/members")).json()["members"]
        assert [m["person_id"] for m in today] == [people["s1"], people["s2"]]
        not_a_date = await coordinator.get(f"/groups/{group_id}/members?on=gisteren")
        assert not_a_date.status_code == 422

        # Rename: the old name is free again; the new one is taken.
        renamed = await coordinator.request(
            "PATCH", f"/groups/{group_id}", json={"name": "Cardiologie Noord"}
        )
        assert renamed.status_code == 200 and renamed.json()["name"] == "Cardiologie Noord"
        reuse = await coordinator.post("/groups", json={"name": "maatschap cardiologie"})
        assert reuse.status_code == 201, reuse.text
        clash = await coordinator.request(
            "PATCH", f"/groups/{group_id}", json={"name": "MAATSCHAP Cardiologie"}
        )
        assert clash.status_code == 409 and clash.json()["code"] == "group_name_taken"

        # Who reads what: a member reads their group; a specialist outside it and a facilitator do not.
        specialist: Browser = a["browsers"]["specialist"]
        assert (await specialist.get(f"/groups/{group_id}")).status_code == 404
        assert (await specialist.get("/groups")).json() == []
        await coordinator.post(f"/groups/{group_id}/members", json={"person_id": people["specialist"]})
        mine = await specialist.get(f"/groups/{group_id}")
        assert mine.status_code == 200 and mine.json()["name"] == "Cardiologie Noord"
        assert [g["group_id"] for g in (await specialist.get("/groups")).json()] == [group_id]
        assert (await specialist.get(f"/groups/{group_id}/history")).status_code == 403
        assert (await specialist.post("/groups", json={"name": "Eigen groep"})).status_code == 403
        assert (await a["browsers"]["facilitator"].get("/groups")).status_code == 403

        # Another hospital's group is unknown here, for reading and for every change.
        assert (await coordinator.get(f"/groups/{other_id}")).status_code == 404
        assert (
            await coordinator.request("PATCH", f"/groups/{other_id}", json={"name": "Weg"})
        ).status_code == 404
        assert (
            await coordinator.post(f"/groups/{other_id}/members", json={"person_id": people["s1"]})
        ).status_code == 404
        assert (await coordinator.get(f"/groups/{other_id}/history")).status_code == 404
        assert other_id not in {g["group_id"] for g in (await coordinator.get("/groups")).json()}

        # GroupChanged on Kafka: the latest revision carries the members.
        final = (await coordinator.get(f"/groups/{group_id}")).json()
        consumer = AIOKafkaConsumer(
            f"{deployment.env['KAFKA_TOPIC_PREFIX']}spiegel.gateway.groups.v1",
            bootstrap_servers=stack.kafka_bootstrap,
            auto_offset_reset="earliest",
            group_id=f"test-{uuid.uuid4().hex}",
        )
        await consumer.start()
        seen: dict[int, Any] = {}
        try:

            async def latest() -> bool:
                batch = await consumer.getmany(timeout_ms=500)
                for records in batch.values():
                    for record in records:
                        event = decode(record.value)
                        if event.tenant_id == a["tenant_id"] and event.payload.group_id == group_id:
                            assert record.key == group_id.encode()
                            seen[event.payload.revision] = event.payload
                return final["revision"] in seen

            await async_wait_until(latest, timeout=60, what="the group's latest revision on Kafka")
        finally:
            await consumer.stop()
        payload = seen[final["revision"]]
        assert payload.name == "Cardiologie Noord" and payload.kind == "maatschap"
        assert payload.specialism == "Cardiologie"
        assert list(payload.member_person_ids) == [people["s1"], people["s2"], people["specialist"]]
        assert payload.contact_person_id == people["coordinator"]
        assert list(seen[1].member_person_ids) == [people["s0"], people["s1"]]
    finally:
        relay.stop()
        for hospital in (a, b):
            for browser in hospital["browsers"].values():
                await browser.aclose()


@pytest.mark.integration
async def test_the_board_role_is_granted_by_tenant_admins_only_and_reads_nothing(deployment) -> None:  # type: ignore[no-untyped-def]
    slug = f"brd-{uuid.uuid4().hex[:5]}"
    tenant = await create_tenant(deployment, slug)
    browsers: dict[str, Browser] = {}
    try:
        for role in ("tenant_admin", "coordinator"):
            email = f"{role}-{uuid.uuid4().hex[:6]}@bestuur-test.nl"
            await add_person(deployment, tenant["tenant_id"], email, role)
            browsers[role] = Browser(deployment.url, slug=slug)
            assert (await browsers[role].login(email)).status_code == 200
        wanted = {"display_name": "Bram Bestuur", "roles": ["board"], "password": "een-lang-wachtwoord-1"}
        refused = await browsers["coordinator"].post(
            "/people", json={**wanted, "email": f"b-{uuid.uuid4().hex[:6]}@bestuur-test.nl"}
        )
        assert refused.status_code == 403 and refused.json()["code"] == "roles_not_grantable"
        email = f"b-{uuid.uuid4().hex[:6]}@bestuur-test.nl"
        made = await browsers["tenant_admin"].post("/people", json={**wanted, "email": email})
        assert made.status_code == 201, made.text
        assert made.json()["roles"] == ["board"]
        await deployment.db()["people"].update_one(
            {"_id": f"{tenant['tenant_id']}:{made.json()['person_id']}"}, {"$set": {"email_verified": True}}
        )
        board = Browser(deployment.url, slug=slug)
        browsers["board"] = board
        assert (await board.login(email, "een-lang-wachtwoord-1")).status_code == 200
        assert (await board.get("/auth/session")).status_code == 200  # signed in
        for path in ("/groups", "/people", "/tenant", "/api/survey/rounds", "/api/aggregation/reports/mine"):
            assert (await board.get(path)).status_code == 403, path
    finally:
        for browser in browsers.values():
            await browser.aclose()
