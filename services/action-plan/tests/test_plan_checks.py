"""The group plans' checks on the real FerretDB, with the clock set forward (no sleeping): each
pass of the scheduler is called with its `now`. A check made once at its local due moment
(across daylight saving time), its reminders each once, the answer recorded once (a second
answer and an answer after closing: 409), the next check scheduled, two processes at once, a
crash between the check and the plan's write, and a backlog of 500 overdue plans."""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from check_testkit import add_group, add_plans, check_events, plan_doc
from pymongo import AsyncMongoClient
from spiegel_action_plan.checks import model
from spiegel_action_plan.checks.model import ActionProgress, Answer, NewAction
from spiegel_action_plan.checks.service import Checks
from spiegel_action_plan.storage import Store
from spiegel_platform.errors import ApiError

pytestmark = pytest.mark.integration
AMS = ZoneInfo("Europe/Amsterdam")
ADOPTED = datetime(2026, 3, 1, 9, 0, tzinfo=AMS)
DUE = datetime(2026, 9, 1, 7, 0, tzinfo=UTC)  # 09:00 in Amsterdam, summer time


@pytest.fixture
async def db(stack) -> AsyncIterator[Any]:  # type: ignore[no-untyped-def]
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(stack.mongodb_url, tz_aware=True)
    name = f"checks_{uuid.uuid4().hex[:10]}"
    try:
        yield client[name]
    finally:
        await client.drop_database(name)
        await client.close()


def tenant() -> str:
    return f"t{uuid.uuid4().hex[:8]}"


async def one_plan(
    checks: Checks, t: str, *, contact: str = "m2", members: tuple[str, ...] = ("m1", "m2", "m3")
) -> str:
    await add_group(checks.stores, t, "g1", list(members), contact)
    due = model.check_moment(ADOPTED, 6, "Europe/Amsterdam")
    assert due == DUE
    plan = plan_doc(t, "g1", due, adopted_at=ADOPTED.astimezone(UTC))
    await add_plans(checks.stores, t, [plan])
    return str(plan["plan_id"])


def answer(*new: NewAction) -> Answer:
    return Answer(
        progress=(
            ActionProgress("a1", "done", "elke maand"),
            ActionProgress("a2", "delayed", "<i>later</i>"),
        ),
        still_on_agenda=True,
        new_actions=new,
    )


async def test_a_check_at_its_local_moment_once_reminded_answered_and_the_next_scheduled(db: Any) -> None:
    checks = Checks(Store.on(db))
    t = tenant()
    plan_id = await one_plan(checks, t)

    assert await checks.run_until_done(DUE - timedelta(minutes=1)) == 0
    assert await checks.run_until_done(DUE) == 1
    assert await checks.run_until_done(DUE + timedelta(hours=1)) == 0  # made once
    events = await check_events(db)
    assert [e.event_type for e in events] == ["spiegel.action_plan.v1.GroupPlanCheckDue"]
    due_event = events[0].payload
    assert due_event.plan_id == plan_id and due_event.group_id == "g1" and due_event.reminder == 0
    assert list(due_event.recipient_person_ids) == ["m2"]  # the contact person
    assert due_event.due_at.ToDatetime(tzinfo=UTC) == DUE
    store = checks.stores.tenant(t)
    plan = await store.group_plans.get(plan_id)
    assert plan is not None and plan["next_check_at"] is None and plan["open_check_id"] == due_event.check_id

    # Reminders: after 7 days once, after 14 days once more.
    assert await checks.run_until_done(DUE + timedelta(days=6)) == 0
    assert await checks.run_until_done(DUE + timedelta(days=7)) == 1
    assert await checks.run_until_done(DUE + timedelta(days=8)) == 0
    assert await checks.run_until_done(DUE + timedelta(days=15)) == 1
    reminders = sorted(e.payload.reminder for e in await check_events(db))
    assert reminders == [0, 1, 2]

    # The answer, by a member (not only the contact person); a non-member and another hospital: 404.
    answered_at = datetime(2026, 9, 20, 12, 0, tzinfo=UTC)
    for who, where in (("stranger", t), ("m1", tenant())):
        with pytest.raises(ApiError) as refused:
            await checks.answer(where, plan_id, due_event.check_id, who, answer(), now=answered_at)
        assert refused.value.status_code == 404
    new = NewAction("Nieuwe actie", "m3", date(2026, 12, 1), "gemeten", "vast agendapunt")
    done = await checks.answer(t, plan_id, due_event.check_id, "m1", answer(new), now=answered_at)
    assert done["state"] == "completed" and done["answered_by"] == "m1"
    with pytest.raises(ApiError) as twice:
        await checks.answer(t, plan_id, due_event.check_id, "m2", answer(), now=answered_at)
    assert twice.value.status_code == 409 and twice.value.code == "plan_check_answered"

    plan = await store.group_plans.get(plan_id)
    assert plan is not None
    assert [a["status"] for a in plan["actions"]] == ["done", "delayed", "open"]
    assert (
        plan["actions"][2]["description"] == "Nieuwe actie" and plan["actions"][2]["owner_person_id"] == "m3"
    )
    assert (
        plan["version"] == 2 and plan["open_check_id"] is None and plan["last_check_id"] == due_event.check_id
    )
    # In the group plan's own shape (its pages read it) and in its history: who, when, what.
    from spiegel_action_plan.group_plans.model import Action

    assert Action.of(plan["actions"][2]).embedding_text == "vast agendapunt"
    assert [(h["what"], h["by"]) for h in plan["history"]][-2:] == [("checked", "m1"), ("action_added", "m1")]
    assert [c["check_id"] for c in await checks.list_for(t, plan_id, "m1")] == [due_event.check_id]
    # The next check: 6 months after the answer, 09:00 in Amsterdam (winter time: 08:00 UTC).
    assert plan["next_check_at"] == datetime(2027, 3, 20, 8, 0, tzinfo=UTC)
    check = await store.plan_checks.get(due_event.check_id)
    assert check is not None and check["answer"]["progress"][1]["remark"] == "<i>later</i>"
    assert check["plan_applied"] is True

    # No more reminders for an answered check; the next check when it is due, once.
    assert await checks.run_until_done(DUE + timedelta(days=40)) == 0
    assert await checks.run_until_done(datetime(2027, 3, 20, 8, 0, tzinfo=UTC)) == 1
    kinds = Counter(e.event_type.rsplit(".", 1)[1] for e in await check_events(db))
    assert kinds == {"GroupPlanCheckDue": 4, "GroupPlanCheckCompleted": 1}


async def test_every_member_when_the_hospital_says_so_or_there_is_no_contact(db: Any) -> None:
    checks = Checks(Store.on(db))
    t1, t2 = tenant(), tenant()
    await checks.stores.tenant(t1).hospitals.update(
        "settings", {"$set": {"check_recipients": "members"}}, upsert=True
    )
    await one_plan(checks, t1)
    await one_plan(checks, t2, contact="")
    await checks.run_until_done(DUE)
    got = {e.tenant_id: sorted(e.payload.recipient_person_ids) for e in await check_events(db)}
    assert got == {t1: ["m1", "m2", "m3"], t2: ["m1", "m2", "m3"]}


async def test_the_hospitals_zone_and_interval_for_the_next_check(db: Any) -> None:
    checks = Checks(Store.on(db))
    t = tenant()
    store = checks.stores.tenant(t)
    await store.hospitals.update(
        "settings",
        {
            "$set": {
                "check_interval_months": 3,
                "zones.4": "America/Curacao",
                "revision": 4,
                "zones.3": "Asia/Tokyo",
            }
        },
        upsert=True,
    )
    plan_id = await one_plan(checks, t)
    await checks.run_until_done(DUE)
    check_id = (await check_events(db))[0].payload.check_id
    await checks.answer(t, plan_id, check_id, "m1", answer(), now=datetime(2026, 9, 2, 3, 0, tzinfo=UTC))
    plan = await store.group_plans.get(plan_id)
    # 1 September 23:00 in Curaçao (UTC-4) + 3 months: 1 December 09:00 there = 13:00 UTC.
    assert plan is not None and plan["next_check_at"] == datetime(2026, 12, 1, 13, 0, tzinfo=UTC)


async def test_a_closed_plan_is_not_answered_nor_reminded(db: Any) -> None:
    checks = Checks(Store.on(db))
    t = tenant()
    plan_id = await one_plan(checks, t)
    await checks.run_until_done(DUE)
    check_id = (await check_events(db))[0].payload.check_id
    await checks.stores.tenant(t).group_plans.update(
        plan_id, {"$set": {"status": "closed", "next_check_at": None}}
    )
    with pytest.raises(ApiError) as closed:
        await checks.answer(t, plan_id, check_id, "m1", answer(), now=DUE + timedelta(days=1))
    assert closed.value.status_code == 409 and closed.value.code == "plan_check_plan_closed"
    assert await checks.run_until_done(DUE + timedelta(days=30)) == 1  # the reminder is dropped
    assert await checks.run_until_done(DUE + timedelta(days=60)) == 0
    assert [e.payload.reminder for e in await check_events(db)] == [0]


async def test_a_crash_between_the_check_and_the_plans_write_and_two_processes(db: Any) -> None:
    t = tenant()
    stores = Store.on(db)
    checks = Checks(stores)
    plan_id = await one_plan(checks, t)
    # As if a process died right after the check's insert: the plan is still due.
    await checks.make_due(DUE)
    await stores.tenant(t).group_plans.update(
        plan_id, {"$set": {"next_check_at": DUE, "open_check_id": None}}
    )
    # Two processes' passes at once, then more: the same check, not a second one.
    await asyncio.gather(Checks(Store.on(db)).run_until_done(DUE), Checks(Store.on(db)).run_until_done(DUE))
    assert len(await check_events(db)) == 1
    plan = await stores.tenant(t).group_plans.get(plan_id)
    assert plan is not None and plan["next_check_at"] is None and plan["open_check_id"]


async def test_an_answer_whose_plan_write_was_interrupted_is_finished_by_the_scheduler(db: Any) -> None:
    t = tenant()
    checks = Checks(Store.on(db))
    plan_id = await one_plan(checks, t)
    await checks.run_until_done(DUE)
    check_id = (await check_events(db))[0].payload.check_id
    answered_at = DUE + timedelta(days=2)

    class Interrupted(Checks):
        async def finish_answered(self, check: dict[str, Any]) -> None:
            raise ConnectionError("killed between the two writes")

    with pytest.raises(ConnectionError):
        await Interrupted(checks.stores).answer(t, plan_id, check_id, "m1", answer(), now=answered_at)
    store = checks.stores.tenant(t)
    assert (await store.group_plans.get(plan_id) or {})["open_check_id"] == check_id
    assert (
        await checks.run_until_done(answered_at + timedelta(seconds=30)) == 0
    )  # not yet: it may be under way
    assert await checks.run_until_done(answered_at + timedelta(minutes=5)) == 1
    plan = await store.group_plans.get(plan_id)
    assert (
        plan is not None
        and plan["version"] == 2
        and plan["next_check_at"] == datetime(2027, 3, 3, 8, tzinfo=UTC)
    )
    assert await checks.run_until_done(answered_at + timedelta(minutes=10)) == 0


async def test_a_backlog_of_500_overdue_plans_each_checked_once_in_batches(db: Any) -> None:
    stores = Store.on(db)
    checks = Checks(stores, batch_size=100, scan_batches=2)
    tenants = [tenant(), tenant()]
    plan_ids = []
    for i, t in enumerate(tenants):
        await add_group(stores, t, "g1", ["m1", "m2"], "m1")
        plans = [plan_doc(t, "g1", DUE - timedelta(days=n % 90, minutes=i)) for n in range(250)]
        plan_ids += [p["plan_id"] for p in plans]
        await add_plans(stores, t, plans)
    passes = 0
    while await checks.make_due(DUE + timedelta(days=1)):
        passes += 1
    assert passes == 3  # 200 + 200 + 100, written 100 at a time
    events = await check_events(db)
    per_plan = Counter(e.payload.plan_id for e in events)
    assert len(per_plan) == 500 and set(per_plan.values()) == {1} and set(per_plan) == set(plan_ids)
    assert await checks.run_until_done(DUE + timedelta(days=2)) == 0


async def test_the_hospitals_time_zone_from_tenant_configured_highest_revision_wins(db: Any) -> None:
    from typing import cast

    from spiegel.gateway.v1 import events_pb2 as gateway
    from spiegel_action_plan.checks import handlers, hospital
    from spiegel_action_plan.definition import DEFINITION
    from spiegel_action_plan.settings import ActionPlanSettings
    from spiegel_action_plan.wiring import ActionPlan
    from spiegel_dev.reference import offline_settings
    from spiegel_platform.events import new_event
    from spiegel_platform.events.envelope import decode
    from spiegel_platform.service import Runtime

    runtime = Runtime(DEFINITION, cast(ActionPlanSettings, offline_settings(ActionPlanSettings)))
    stores = Store.on(db)
    ActionPlan(runtime, stores=stores)
    configured = handlers.handlers(runtime)["spiegel.gateway.v1.TenantConfigured"]
    t = tenant()

    def event(zone: str, revision: int) -> Any:
        made = new_event(
            gateway.TenantConfigured(tenant_id=t, slug=t, time_zone=zone, revision=revision),
            tenant_id=t,
            producer="gateway",
        )
        return decode(made.envelope)

    newer, older = event("America/Curacao", 3), event("Europe/Amsterdam", 2)
    for one in (newer, older, newer):  # out of order, and redelivered
        await configured(one)
    settings = await hospital.read(stores.tenant(t))
    assert settings.time_zone == "America/Curacao"
    assert settings.check_interval_months == 6 and settings.check_recipients == "contact"
    assert settings.board_progress is False
