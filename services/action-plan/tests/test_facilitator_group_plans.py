"""The facilitator of a group's Groepsmonitor session edits the group's plan during the session
(and `EDIT_MARGIN` after), through the real processes: the accreditation's session events and the
gateway's GroupChanged in (Kafka), the API (HTTP), FerretDB underneath. The session's times are
set around now, so nothing sleeps."""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from action_plan_testkit import Deployment, stamp
from spiegel.accreditation.v1 import events_pb2 as accreditation
from spiegel.gateway.v1 import events_pb2 as gateway
from spiegel_dev.pytest_plugin import Processes
from spiegel_dev.waiting import eventually
from spiegel_platform.events import new_event
from test_group_plans_end_to_end import an_action, announce

pytestmark = pytest.mark.integration

TENANT = "ziekenhuis-noord"
OTHER = "ziekenhuis-zuid"


@pytest.fixture(scope="module")
async def deployment(stack, jwks_json, token_issuer, tmp_path_factory) -> AsyncIterator[Deployment]:  # type: ignore[no-untyped-def]
    processes = Processes(stack, jwks_json, tmp_path_factory.mktemp("facilitator-logs"))
    running = Deployment(processes, stack, token_issuer)
    try:
        running.start()
        yield running
    finally:
        processes.stop_all()
        await running.close()


async def session(
    deployment: Deployment,
    group_id: str,
    facilitators: list[str],
    starts_at: datetime,
    ends_at: datetime,
    *,
    version: int = 1,
    session_id: str = "",
    cancelled: bool = False,
    kind: int = accreditation.SESSION_KIND_GROUP_MONITOR,
    tenant: str = TENANT,
    wait: bool = True,
    key: str = "",
) -> str:
    """The accreditation's session event; waits until the service keeps that version (or newer)."""
    session_id = session_id or f"s-{uuid.uuid4().hex[:10]}"
    body = accreditation.Session(
        session_id=session_id,
        kind=kind,  # type: ignore[arg-type]
        participants=[accreditation.Participant(person_id="ann", round_id=f"gm-{group_id}")],
        facilitator_ids=facilitators,
        starts_at=stamp(starts_at),
        ends_at=stamp(ends_at),
        group_id=group_id,
        version=version,
    )
    payload = (
        accreditation.SessionCancelled(session_id=session_id, session=body)
        if cancelled
        else (
            accreditation.SessionPlanned(session_id=session_id, session=body)
            if version == 1
            else accreditation.SessionChanged(session_id=session_id, session=body)
        )
    )
    event = new_event(payload, tenant_id=tenant, producer="accreditation")
    # A marker on another session's key lands on its partition: consumed after that session's events.
    await deployment.publish([dataclasses.replace(event, key=key) if key else event])
    if wait:

        async def kept() -> bool:
            doc = await deployment.db["sessions"].find_one({"_id": f"{tenant}:{session_id}"})
            return doc is not None and doc["version"] >= version

        await eventually(kept, 60, f"session {session_id} version {version}")
    return session_id


async def register(
    deployment: Deployment,
    person_id: str,
    name: str,
    revision: int = 1,
    *,
    tenant: str = TENANT,
    wait: bool = True,
    key: str = "",
) -> None:
    """The gateway's PersonRegistered; waits until the service keeps that revision (or newer)."""
    event = new_event(
        gateway.PersonRegistered(
            person_id=person_id,
            display_name=name,
            email=f"{person_id}@example.org",
            roles=["specialist"],
            language="nl",
            active=True,
            revision=revision,
        ),
        tenant_id=tenant,
        producer="gateway",
    )
    await deployment.publish([dataclasses.replace(event, key=key) if key else event])
    if wait:

        async def kept() -> bool:
            doc = await deployment.db["people"].find_one({"_id": f"{tenant}:{person_id}"})
            return doc is not None and doc["revision"] >= revision

        await eventually(kept, 60, f"person {person_id} revision {revision}")


async def a_group_with_a_plan(deployment: Deployment) -> tuple[str, str]:
    group = f"g-{uuid.uuid4().hex[:8]}"
    await announce(deployment, TENANT, group, ["ann", "bob"], 1, contact="ann")
    async with deployment.client(TENANT, "ann", "specialist") as ann:
        started = await ann.post("/group-plans", json={"group_id": group, "round_id": f"gm-{group}"})
        assert started.status_code == 201, started.text
    return group, started.json()["plan_id"]


async def refused_everywhere(
    deployment: Deployment, subject: str, plan_id: str, tenant: str = TENANT
) -> None:
    """Every route of the plan: 404 group_plan_not_found, nothing of it in the answer."""
    async with deployment.client(tenant, subject, "facilitator") as caller:
        answers = [
            await caller.get(f"/group-plans/{plan_id}"),
            await caller.get(f"/group-plans/{plan_id}/history"),
            await caller.put(f"/group-plans/{plan_id}", json={"version": 1, "actions": [an_action("ann")]}),
            await caller.post(f"/group-plans/{plan_id}/adopt", json={"version": 1}),
            await caller.post(f"/group-plans/{plan_id}/close", json={"version": 1}),
        ]
        for answer in answers:
            assert answer.status_code == 404, (answer.request.url, answer.text)
            assert answer.json()["code"] == "group_plan_not_found"
        mine = (await caller.get("/group-plans/mine")).json()
        assert all(plan_id not in str(g) for g in mine)


async def test_the_facilitator_edits_and_adopts_during_the_session(deployment: Deployment) -> None:
    group, plan_id = await a_group_with_a_plan(deployment)
    now = datetime.now(UTC)
    session_id = await session(deployment, group, ["fac"], now - timedelta(hours=1), now + timedelta(hours=1))
    async with (
        deployment.client(TENANT, "fac", "facilitator") as fac,
        deployment.client(TENANT, "ann", "specialist") as ann,
    ):
        # The facilitator's "mine" lists the group, marked with the session.
        mine = (await fac.get("/group-plans/mine")).json()
        row = next(g for g in mine if g["group_id"] == group)
        assert row["facilitating"] == [session_id] and row["plans"][0]["plan_id"] == plan_id
        member_row = next(g for g in (await ann.get("/group-plans/mine")).json() if g["group_id"] == group)
        assert member_row["facilitating"] == []

        read = await fac.get(f"/group-plans/{plan_id}")
        assert read.status_code == 200 and read.json()["members"] == ["ann", "bob"]
        saved = await fac.put(f"/group-plans/{plan_id}", json={"version": 1, "actions": [an_action("bob")]})
        assert saved.status_code == 200, saved.text
        # The facilitator is not a member: an action is owned by a member, never by them.
        own = await fac.put(f"/group-plans/{plan_id}", json={"version": 2, "actions": [an_action("fac")]})
        assert own.status_code == 422 and own.json()["field"].startswith("actions[0].owner")
        adopted = await fac.post(f"/group-plans/{plan_id}/adopt", json={"version": 2})
        assert adopted.status_code == 200 and adopted.json()["status"] == "adopted", adopted.text

        history = (await ann.get(f"/group-plans/{plan_id}/history")).json()
        assert [(h["what"], h["by"]) for h in history] == [
            ("created", "ann"),
            ("action_added", "fac"),
            ("adopted", "fac"),
        ]
        assert (await fac.get(f"/group-plans/{plan_id}/history")).status_code == 200

        # Closing and the improvement cycles stay the members'.
        closing = await fac.post(f"/group-plans/{plan_id}/close", json={"version": 3})
        assert closing.status_code == 404
        action_id = saved.json()["actions"][0]["action_id"]
        assert (await fac.get(f"/group-plans/{plan_id}/actions/{action_id}/cycles")).status_code == 404

    # A facilitator of another session, a member of nothing, another hospital: 404 everywhere.
    other_group = f"g-{uuid.uuid4().hex[:8]}"
    await announce(deployment, TENANT, other_group, ["cas"], 1)
    await session(deployment, other_group, ["other-fac"], now - timedelta(hours=1), now + timedelta(hours=1))
    await refused_everywhere(deployment, "other-fac", plan_id)
    await refused_everywhere(deployment, "fac", plan_id, tenant=OTHER)


async def test_before_the_start_and_after_the_margin_nothing(deployment: Deployment) -> None:
    group, plan_id = await a_group_with_a_plan(deployment)
    now = datetime.now(UTC)
    await session(deployment, group, ["early"], now + timedelta(minutes=5), now + timedelta(hours=2))
    await refused_everywhere(deployment, "early", plan_id)
    # Ended 2 hours and 5 minutes ago (the margin is 2 hours): over.
    await session(deployment, group, ["late"], now - timedelta(hours=4), now - timedelta(hours=2, minutes=5))
    await refused_everywhere(deployment, "late", plan_id)
    # Ended 1 hour 55 minutes ago: still within the margin.
    await session(
        deployment, group, ["margin"], now - timedelta(hours=4), now - timedelta(hours=1, minutes=55)
    )
    async with deployment.client(TENANT, "margin", "facilitator") as margin:
        assert (await margin.get(f"/group-plans/{plan_id}")).status_code == 200
    # An IFMS session about nobody's group gives nothing either.
    await session(
        deployment,
        group,
        ["ifms"],
        now - timedelta(hours=1),
        now + timedelta(hours=1),
        kind=accreditation.SESSION_KIND_IFMS,
        wait=False,
    )
    await refused_everywhere(deployment, "ifms", plan_id)


async def test_a_cancelled_session_and_a_redelivered_older_version(deployment: Deployment) -> None:
    group, plan_id = await a_group_with_a_plan(deployment)
    now = datetime.now(UTC)
    during = (now - timedelta(hours=1), now + timedelta(hours=1))
    session_id = await session(deployment, group, ["fac"], *during)
    async with deployment.client(TENANT, "fac", "facilitator") as fac:
        assert (await fac.get(f"/group-plans/{plan_id}")).status_code == 200

    # Version 2 swaps the facilitator: the old one is out, the new one in.
    await session(deployment, group, ["new-fac"], *during, version=2, session_id=session_id)
    await refused_everywhere(deployment, "fac", plan_id)
    # A redelivered version 1 changes nothing (it was consumed: a marker session published after
    # it on the same key, so the same partition, is kept).
    await session(deployment, group, ["fac"], *during, version=1, session_id=session_id, wait=False)
    await session(deployment, f"marker-{group}", [], *during, key=session_id)
    kept = await deployment.db["sessions"].find_one({"_id": f"{TENANT}:{session_id}"})
    assert kept is not None and kept["version"] == 2 and kept["facilitator_ids"] == ["new-fac"]
    await refused_everywhere(deployment, "fac", plan_id)
    async with deployment.client(TENANT, "new-fac", "facilitator") as new_fac:
        assert (await new_fac.get(f"/group-plans/{plan_id}")).status_code == 200

    # Cancelled (version 3): nobody facilitates it any more; a late version 2 does not revive it.
    await session(deployment, group, ["new-fac"], *during, version=3, session_id=session_id, cancelled=True)
    await refused_everywhere(deployment, "new-fac", plan_id)
    await session(deployment, group, ["new-fac"], *during, version=2, session_id=session_id, wait=False)
    await session(deployment, f"marker-{group}", [], *during, key=session_id)
    kept = await deployment.db["sessions"].find_one({"_id": f"{TENANT}:{session_id}"})
    assert kept is not None and kept["version"] == 3 and kept["state"] == "cancelled"
    await refused_everywhere(deployment, "new-fac", plan_id)


async def test_the_facilitator_sees_the_members_names_during_the_session_only(deployment: Deployment) -> None:
    """Names travel with the plan, to whoever may read it: the members, and the facilitator
    during the session and the margin; a 404 carries none."""
    tag = uuid.uuid4().hex[:6]
    anna, bert, fac, late, other = (f"{who}-{tag}" for who in ("anna", "bert", "fac", "late", "other"))
    names = {anna: "Dr. Anna Jansen", bert: "Dr. Bert de Vries", fac: "Greet Gespreksleider"}
    for person_id, name in names.items():
        await register(deployment, person_id, name)
    # The same person id in another hospital, with another name: never shown here.
    await register(deployment, anna, "Anna van Elders", tenant=OTHER)
    group = f"g-{tag}"
    await announce(deployment, TENANT, group, [anna, bert], 1, contact=anna)
    async with deployment.client(TENANT, anna, "specialist") as member:
        started = await member.post("/group-plans", json={"group_id": group, "round_id": f"gm-{group}"})
        assert started.status_code == 201, started.text
    plan_id = started.json()["plan_id"]
    now = datetime.now(UTC)
    await session(deployment, group, [fac], now - timedelta(hours=1), now + timedelta(hours=1))
    await session(deployment, group, [late], now - timedelta(hours=5), now - timedelta(hours=2, minutes=5))
    await session(deployment, f"g-other-{tag}", [other], now - timedelta(hours=1), now + timedelta(hours=1))

    async with deployment.client(TENANT, fac, "facilitator") as leading:
        read = await leading.get(f"/group-plans/{plan_id}")
        assert read.status_code == 200, read.text
        assert read.json()["as_facilitator"] is True
        # The members (and the contact person among them) by name; the creator is a member.
        assert read.json()["people"] == {anna: names[anna], bert: names[bert]}
        saved = await leading.put(
            f"/group-plans/{plan_id}", json={"version": 1, "actions": [an_action(bert)]}
        )
        assert saved.status_code == 200, saved.text
        # Now the history names the facilitator too: their own name joins.
        assert (await leading.get(f"/group-plans/{plan_id}")).json()["people"] == names
    async with deployment.client(TENANT, anna, "specialist") as member:
        assert (await member.get(f"/group-plans/{plan_id}")).json()["people"] == names

    # Only the display name is kept: nothing else of the event (no e-mail address, no roles).
    kept = await deployment.db["people"].find_one({"_id": f"{TENANT}:{anna}"})
    assert kept is not None and "email" not in kept and "roles" not in kept
    assert f"{anna}@example.org" not in str(kept)

    # After the margin, a facilitator of another group, another hospital: 404 and no name.
    for subject, tenant in ((late, TENANT), (other, TENANT), (fac, OTHER)):
        async with deployment.client(tenant, subject, "facilitator") as outsider:
            for path in (f"/group-plans/{plan_id}", f"/group-plans/{plan_id}/history"):
                answer = await outsider.get(path)
                assert answer.status_code == 404, (subject, path, answer.text)
                assert not any(name in answer.text for name in [*names.values(), "Anna van Elders"])
            mine = (await outsider.get("/group-plans/mine")).text
            assert plan_id not in mine and not any(name in mine for name in names.values())

    # A new name (revision 2) replaces the old; a late revision 1 changes nothing (consumed: a
    # marker person published after it on the same key, so the same partition, is kept).
    await register(deployment, bert, "Dr. Bert de Vries-Smit", 2)
    await register(deployment, bert, "Dr. Bert de Vries", 1, wait=False)
    await register(deployment, f"marker-{tag}", "Marker", key=bert)
    async with deployment.client(TENANT, fac, "facilitator") as leading:
        people = (await leading.get(f"/group-plans/{plan_id}")).json()["people"]
        assert people[bert] == "Dr. Bert de Vries-Smit"
