"""The groups' action plans through the real processes: the gateway's GroupChanged in (Kafka),
the API (HTTP), the events out (outbox, relay, Kafka), FerretDB underneath."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from action_plan_testkit import Deployment
from aiokafka import AIOKafkaConsumer
from spiegel.action_plan.v1 import events_pb2
from spiegel.gateway.v1 import events_pb2 as gateway
from spiegel_dev.pytest_plugin import Processes
from spiegel_dev.waiting import eventually
from spiegel_platform.events import ReceivedEvent, new_event
from spiegel_platform.events.envelope import decode

pytestmark = pytest.mark.integration

TENANT = "ziekenhuis-noord"
OTHER = "ziekenhuis-zuid"
TOPIC = "spiegel.action_plan.group_plans.v1"
MARK = f"GEHEIM{uuid.uuid4().hex[:8]}"


@pytest.fixture(scope="module")
async def deployment(stack, jwks_json, token_issuer, tmp_path_factory) -> AsyncIterator[Deployment]:  # type: ignore[no-untyped-def]
    processes = Processes(stack, jwks_json, tmp_path_factory.mktemp("group-plan-logs"))
    running = Deployment(processes, stack, token_issuer)
    try:
        running.start()
        yield running
    finally:
        processes.stop_all()
        await running.close()


async def announce(
    deployment: Deployment, tenant: str, group_id: str, members: list[str], revision: int, contact: str = ""
) -> None:
    """The gateway's GroupChanged, and wait until the service keeps that revision (or a newer one)."""
    await deployment.publish(
        [
            new_event(
                gateway.GroupChanged(
                    group_id=group_id,
                    name=f"Vakgroep {group_id}",
                    kind="vakgroep",
                    member_person_ids=members,
                    contact_person_id=contact,
                    revision=revision,
                ),
                tenant_id=tenant,
                producer="gateway",
            )
        ]
    )

    async def kept() -> bool:
        doc = await deployment.db["groups"].find_one({"_id": f"{tenant}:{group_id}"})
        return doc is not None and doc["revision"] >= revision

    await eventually(kept, 60, f"group {group_id} revision {revision}")


def an_action(owner: str, tag: str = "", **changes: Any) -> dict[str, Any]:
    action = {
        "description": f"{MARK}{tag}-acties: overdracht <script>alert(1)</script> elke maand evalueren",
        "owner_person_id": owner,
        "due": (date.today() + timedelta(days=60)).isoformat(),
        "measure": f"{MARK}{tag}-meten: 10 evaluaties",
        "embedding": {"kind": "standing_agenda_item", "text": f"{MARK}{tag}-borging: vast agendapunt"},
        "status": "open",
        "report_items": [{"kind": "development_point", "ref": "st-4", "label": f"{MARK}{tag}-overdracht"}],
    }
    action.update(changes)
    return action


async def group_events(deployment: Deployment, count: int) -> list[tuple[bytes, ReceivedEvent]]:
    consumer = AIOKafkaConsumer(
        deployment.topic_prefix + TOPIC,
        bootstrap_servers=deployment.stack.kafka_bootstrap,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        group_id=None,
    )
    await consumer.start()
    found: list[tuple[bytes, ReceivedEvent]] = []
    try:

        async def enough() -> bool:
            for records in (await consumer.getmany(timeout_ms=500)).values():
                found.extend(
                    (r.value, decode(r.value, topic=r.topic, headers=tuple(r.headers))) for r in records
                )
            return len(found) >= count

        await eventually(enough, 60, f"{count} group plan events", interval=0)
    finally:
        await consumer.stop()
    return found


async def test_a_group_makes_adopts_and_closes_its_plan(deployment: Deployment) -> None:
    group = f"g-{uuid.uuid4().hex[:8]}"
    await announce(deployment, TENANT, group, ["ann", "bob"], 1, contact="ann")
    async with (
        deployment.client(TENANT, "ann", "specialist") as ann,
        deployment.client(TENANT, "bob", "specialist") as bob,
    ):
        started = await ann.post("/group-plans", json={"group_id": group, "round_id": "gm-2027"})
        assert started.status_code == 201, started.text
        plan = started.json()
        plan_id = plan["plan_id"]
        assert plan["status"] == "draft" and plan["version"] == 1
        again = await bob.post("/group-plans", json={"group_id": group, "round_id": "gm-2027"})
        assert again.status_code == 200 and again.json()["plan_id"] == plan_id

        # Ann adds an action owned by Bob; Bob reads it (HTML kept as text) and changes its status.
        saved = await ann.put(f"/group-plans/{plan_id}", json={"version": 1, "actions": [an_action("bob")]})
        assert saved.status_code == 200, saved.text
        action = saved.json()["actions"][0]
        assert action["action_id"] and "<script>" in action["description"]
        read = (await bob.get(f"/group-plans/{plan_id}")).json()
        assert read["version"] == 2 and read["members"] == ["ann", "bob"] and read["group_name"]
        changed = await bob.put(
            f"/group-plans/{plan_id}", json={"version": 2, "actions": [{**action, "status": "on_track"}]}
        )
        assert changed.status_code == 200, changed.text

        # Ann's second tab still has version 2: 409 with a clear message, nothing changed.
        stale = await ann.put(
            f"/group-plans/{plan_id}", json={"version": 2, "actions": [{**action, "status": "stopped"}]}
        )
        assert stale.status_code == 409 and stale.json()["code"] == "group_plan_changed_meanwhile"
        assert "versie 3" in stale.json()["message"]
        assert (await ann.get(f"/group-plans/{plan_id}")).json()["actions"][0]["status"] == "on_track"

        # The history: who, when, what (old and new of a short field).
        history = (await ann.get(f"/group-plans/{plan_id}/history")).json()
        assert [(h["what"], h["by"]) for h in history] == [
            ("created", "ann"),
            ("action_added", "ann"),
            ("action_changed", "bob"),
        ]
        assert history[2]["fields"] == [{"field": "status", "old": "open", "new": "on_track"}]
        assert all(
            datetime.fromisoformat(h["at"]) > datetime.now(UTC) - timedelta(minutes=5) for h in history
        )

        # Adopted: the check 6 months ahead (the hospital's default), adopting again changes nothing.
        adopted = await bob.post(f"/group-plans/{plan_id}/adopt", json={"version": 3})
        assert adopted.status_code == 200, adopted.text
        body = adopted.json()
        adopted_at = datetime.fromisoformat(body["adopted_at"])
        check_at = datetime.fromisoformat(body["next_check_at"])
        assert body["status"] == "adopted" and 180 <= (check_at - adopted_at).days <= 184
        assert (await ann.post(f"/group-plans/{plan_id}/adopt", json={"version": 3})).json()["version"] == 4
        raw = await deployment.db["group_plans"].find_one({"_id": f"{TENANT}:{plan_id}"})
        assert raw is not None
        assert {k: raw[k] for k in ("tenant_id", "plan_id", "group_id", "round_id", "status", "version")} == {
            "tenant_id": TENANT,
            "plan_id": plan_id,
            "group_id": group,
            "round_id": "gm-2027",
            "status": "adopted",
            "version": 4,
        }
        assert raw["actions"][0]["due"] == action["due"] and raw["actions"][0]["status"] == "on_track"

        # The coordinator sees the status per group, not the actions.
        async with deployment.client(TENANT, "coord", "coordinator") as coordinator:
            rows = (await coordinator.get("/group-plans/status")).json()
            row = next(r for r in rows if r["group_id"] == group)
            assert row["status"] == "adopted" and row["actions"] == {"on_track": 1}
            assert MARK not in (await coordinator.get("/group-plans/status")).text
            assert (await coordinator.get(f"/group-plans/{plan_id}")).status_code == 404

        closed = await ann.post(f"/group-plans/{plan_id}/close", json={"version": 4})
        assert closed.status_code == 200 and closed.json()["status"] == "closed"
        assert closed.json()["next_check_at"] is None
        late = await bob.put(f"/group-plans/{plan_id}", json={"version": 5, "actions": [action]})
        assert late.status_code == 409 and late.json()["code"] == "group_plan_closed"

    # The events: ids, versions, states and moments; no text of the plan, no owner.
    events = [e for e in await group_events(deployment, 6) if e[1].payload.plan_id == plan_id]
    kinds = [type(e[1].payload).__name__ for e in events]
    assert kinds.count("GroupPlanAdopted") == 1 and kinds.count("GroupPlanClosed") == 1
    assert sorted(
        e[1].payload.version for e in events if isinstance(e[1].payload, events_pb2.GroupPlanChanged)
    ) == [
        1,
        2,
        3,
        4,
        5,
    ]
    for raw_bytes, received in events:
        assert MARK.encode() not in raw_bytes and b"bob" not in raw_bytes
        assert received.tenant_id == TENANT and received.payload.group_id == group
    adopted_event = next(
        e[1].payload for e in events if isinstance(e[1].payload, events_pb2.GroupPlanAdopted)
    )
    assert adopted_event.next_check_at.ToDatetime(tzinfo=UTC) == check_at


async def test_only_current_members_reach_a_plan(deployment: Deployment) -> None:
    group = f"g-{uuid.uuid4().hex[:8]}"
    await announce(deployment, TENANT, group, ["ann", "bob"], 1)
    async with deployment.client(TENANT, "ann", "specialist") as ann:
        plan = (await ann.post("/group-plans", json={"group_id": group})).json()
        plan_id = plan["plan_id"]
        saved = await ann.put(f"/group-plans/{plan_id}", json={"version": 1, "actions": [an_action("ann")]})
        assert saved.status_code == 200, saved.text
        outsiders = [
            (TENANT, "carl", ("specialist",)),
            (TENANT, "coord", ("coordinator",)),
            (TENANT, "admin", ("tenant_admin",)),
            (TENANT, "fac", ("facilitator",)),
            (TENANT, "msb", ("board",)),
            (TENANT, "boss", ("coordinator", "tenant_admin", "specialist", "facilitator", "board")),
            (OTHER, "ann", ("specialist",)),  # a member's person id, another hospital's token
        ]
        for tenant, person, roles in outsiders:
            async with deployment.client(tenant, person, *roles) as other:
                for method, path, body in (
                    ("GET", f"/group-plans/{plan_id}", None),
                    ("GET", f"/group-plans/{plan_id}/history", None),
                    ("PUT", f"/group-plans/{plan_id}", {"version": 2, "actions": []}),
                    ("POST", f"/group-plans/{plan_id}/adopt", {"version": 2}),
                    ("POST", f"/group-plans/{plan_id}/close", {"version": 2}),
                ):
                    answer = await other.request(method, path, json=body)
                    assert answer.status_code == 404, (person, tenant, method, path, answer.text)
                    assert answer.json()["code"] == "group_plan_not_found" and MARK not in answer.text
                started = await other.post("/group-plans", json={"group_id": group})
                assert started.status_code == 404 and started.json()["code"] == "group_not_yours"
                assert (await other.get("/group-plans/mine")).json() == []
        # A non-member as an action's owner is refused naming the field; the plan is unchanged.
        refused = await ann.put(
            f"/group-plans/{plan_id}", json={"version": 2, "actions": [an_action("carl")]}
        )
        assert refused.status_code == 422 and refused.json()["field"] == "actions[0].owner_person_id"

        # Carl joins (revision 2): he reads and edits; Bob leaves: he no longer reads it.
        await announce(deployment, TENANT, group, ["ann", "carl"], 2)
        async with (
            deployment.client(TENANT, "carl", "specialist") as carl,
            deployment.client(TENANT, "bob", "specialist") as bob,
        ):
            assert (await carl.get(f"/group-plans/{plan_id}")).status_code == 200
            mine = (await carl.get("/group-plans/mine")).json()
            assert [g["group_id"] for g in mine] == [group] and mine[0]["plans"][0]["plan_id"] == plan_id
            assert (await bob.get(f"/group-plans/{plan_id}")).status_code == 404
        # A late, older revision changes nothing (idempotent by revision).
        await deployment.publish(
            [
                new_event(
                    gateway.GroupChanged(group_id=group, name="oud", member_person_ids=["bob"], revision=1),
                    tenant_id=TENANT,
                    producer="gateway",
                )
            ]
        )
        await announce(deployment, TENANT, f"{group}-marker", ["x"], 1)  # after the late one
        doc = await deployment.db["groups"].find_one({"_id": f"{TENANT}:{group}"})
        assert doc is not None and doc["member_person_ids"] == ["ann", "carl"] and doc["revision"] == 2


async def test_bad_input_is_refused_by_field_and_nothing_is_lost(deployment: Deployment) -> None:
    group = f"g-{uuid.uuid4().hex[:8]}"
    await announce(deployment, TENANT, group, ["ann"], 1)
    async with deployment.client(TENANT, "ann", "specialist") as ann:
        plan_id = (await ann.post("/group-plans", json={"group_id": group})).json()["plan_id"]
        cases = [
            ({"description": "x" * 1_000_000}, "actions.0.description"),
            ({"measure": "tien\x07keer"}, "actions[0].measure"),
            ({"embedding": {"kind": "protocol", "text": "rechts\u202elinks"}}, "actions[0].embedding.text"),
            ({"due": (date.today() - timedelta(days=1)).isoformat()}, "actions[0].due"),
            ({"due": "3000-01-01"}, "actions[0].due"),
            ({"embedding": {"kind": "hope", "text": "x"}}, "actions.0.embedding.kind"),
            ({"surprise": 1}, "actions.0.surprise"),
        ]
        for change, field in cases:
            answer = await ann.put(
                f"/group-plans/{plan_id}", json={"version": 1, "actions": [an_action("ann", **change)]}
            )
            assert answer.status_code == 422, (field, answer.text[:300])
            assert field in answer.text[:2000], (field, answer.text[:300])
        # Adoption needs an action, and each with its measure and embedding.
        empty = await ann.post(f"/group-plans/{plan_id}/adopt", json={"version": 1})
        assert empty.status_code == 422 and empty.json()["code"] == "group_plan_without_actions"
        saved = await ann.put(
            f"/group-plans/{plan_id}", json={"version": 1, "actions": [an_action("ann", measure="")]}
        )
        assert saved.status_code == 200
        incomplete = await ann.post(f"/group-plans/{plan_id}/adopt", json={"version": 2})
        assert incomplete.status_code == 422 and incomplete.json()["field"] == "actions[0].measure"
        assert (await ann.get(f"/group-plans/{plan_id}")).json()["version"] == 2


async def test_the_next_round_carries_the_unfinished_actions_and_the_hospital_sets_the_check(
    deployment: Deployment,
) -> None:
    group = f"g-{uuid.uuid4().hex[:8]}"
    await announce(deployment, TENANT, group, ["ann"], 1)
    async with (
        deployment.client(TENANT, "ann", "specialist") as ann,
        deployment.client(TENANT, "coord", "coordinator") as coordinator,
    ):
        settings = (await coordinator.get("/group-plan-settings")).json()
        assert settings["group_plan_check_interval_months"] == 6
        three = {**settings, "group_plan_check_interval_months": 3}
        del three["time_zone"]
        zero = {**three, "group_plan_check_interval_months": 0}
        assert (await coordinator.put("/group-plan-settings", json=zero)).status_code == 422
        assert (await ann.put("/group-plan-settings", json=three)).status_code == 403
        assert (await coordinator.put("/group-plan-settings", json=three)).status_code == 200
        first = (await ann.post("/group-plans", json={"group_id": group, "round_id": "gm-1"})).json()
        actions = [an_action("ann", "a"), an_action("ann", "b", status="done")]
        saved = await ann.put(f"/group-plans/{first['plan_id']}", json={"version": 1, "actions": actions})
        adopted = (await ann.post(f"/group-plans/{first['plan_id']}/adopt", json={"version": 2})).json()
        months = (
            datetime.fromisoformat(adopted["next_check_at"]) - datetime.fromisoformat(adopted["adopted_at"])
        ).days
        assert 89 <= months <= 92
        second = await ann.post("/group-plans", json={"group_id": group, "round_id": "gm-2"})
        assert second.status_code == 201
        new = (await ann.get(f"/group-plans/{second.json()['plan_id']}")).json()
        old_open = saved.json()["actions"][0]
        assert [a["carried_from"] for a in new["actions"]] == [old_open["action_id"]]
        assert new["previous_plan_id"] == first["plan_id"]
        old = (await ann.get(f"/group-plans/{first['plan_id']}")).json()
        assert old["status"] == "closed" and old["taken_over_by"] == new["plan_id"]
        six = {**three, "group_plan_check_interval_months": 6}
        assert (await coordinator.put("/group-plan-settings", json=six)).status_code == 200


async def test_improvement_cycles_and_a_measure_over_time_on_an_action(deployment: Deployment) -> None:
    group = f"g-{uuid.uuid4().hex[:8]}"
    await announce(deployment, TENANT, group, ["ann", "bob"], 1)
    async with (
        deployment.client(TENANT, "ann", "specialist") as ann,
        deployment.client(TENANT, "bob", "specialist") as bob,
    ):
        plan_id = (await ann.post("/group-plans", json={"group_id": group})).json()["plan_id"]
        saved = await ann.put(f"/group-plans/{plan_id}", json={"version": 1, "actions": [an_action("bob")]})
        action_id = saved.json()["actions"][0]["action_id"]
        path = f"/group-plans/{plan_id}/actions/{action_id}/cycles"
        empty = (await bob.get(path)).json()
        assert empty["cycles"] == [] and empty["measurements"] == [] and empty["version"] == 2
        today = date.today()
        cycle = {
            "change": f"{MARK}-plan: checklist bij de overdracht",
            "prediction": "minder gemiste punten",
            "done": "twee weken geprobeerd",
            "observed": "3 gemiste punten",
            "result": "van 8 naar 3",
            "decision": "adapt",
        }
        points = [
            {"on": (today - timedelta(days=14)).isoformat(), "value": 8, "note": "nulmeting"},
            {"on": today.isoformat(), "value": 3},
        ]
        body = {"version": 2, "cycles": [cycle, {"change": "ook in het weekend"}], "measurements": points}
        answer = await bob.put(path, json=body)
        assert answer.status_code == 200, answer.text
        got = answer.json()
        assert [c["stage"] for c in got["cycles"]] == ["act", "plan"] and got["version"] == 3
        assert [p["value"] for p in got["measurements"]] == [8.0, 3.0]
        # Out of order, a stale version, someone outside the group: refused, nothing changed.
        wrong = await bob.put(path, json={**body, "version": 3, "cycles": [{"change": "a"}, {"change": "b"}]})
        assert wrong.status_code == 422 and wrong.json()["field"] == "cycles[1].change"
        assert (await ann.put(path, json=body)).status_code == 409
        async with deployment.client(TENANT, "coord", "coordinator", "specialist") as coordinator:
            for method in ("GET", "PUT"):
                refused = await coordinator.request(method, path, json=body if method == "PUT" else None)
                assert refused.status_code == 404 and MARK not in refused.text
        unknown = await ann.get(f"/group-plans/{plan_id}/actions/nope/cycles")
        assert unknown.status_code == 404 and unknown.json()["code"] == "group_plan_action_not_found"
        history = (await ann.get(f"/group-plans/{plan_id}/history")).json()
        assert history[-1]["what"] == "cycles_changed" and history[-1]["by"] == "bob"
        assert {f["field"] for f in history[-1]["fields"]} == {"cycles", "measurements"}
        assert (await ann.get(path)).json()["cycles"][0]["change"].startswith(MARK)
