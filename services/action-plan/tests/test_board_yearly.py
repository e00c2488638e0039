"""The board's yearly overview by e-mail (issue 20, point 6), action-plan's side: the moment (the
hospital's month, 09:00 in its zone), and on the real FerretDB with the clock injected into each
pass (no sleeping): made once per hospital and year, also by two processes at once and a pass
repeated after a crash; none with the setting off; the event carries ids only."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from pymongo import AsyncMongoClient
from spiegel_action_plan.board.yearly import YearlyOverviews, due_year, overview_id_of, overview_moment
from spiegel_action_plan.storage import Store
from spiegel_platform.events.envelope import decode

AMS = "Europe/Amsterdam"
JAN_2027 = datetime(2027, 1, 1, 8, 0, tzinfo=UTC)  # 09:00 in Amsterdam (winter time)


def test_the_moment_is_the_first_of_the_month_at_nine_local() -> None:
    assert overview_moment(2027, 1, AMS) == JAN_2027
    assert overview_moment(2027, 6, AMS) == datetime(2027, 6, 1, 7, 0, tzinfo=UTC)  # summer time
    assert overview_moment(2027, 1, "America/New_York") == datetime(2027, 1, 1, 14, 0, tzinfo=UTC)
    assert overview_moment(2027, 1, "Nowhere/Unknown") == JAN_2027  # Amsterdam when unknown


def test_due_from_the_moment_until_the_month_ends() -> None:
    assert due_year(JAN_2027 - timedelta(minutes=1), 1, AMS) is None
    assert due_year(JAN_2027, 1, AMS) == 2027
    assert due_year(datetime(2027, 1, 31, 22, 59, tzinfo=UTC), 1, AMS) == 2027  # 23:59 local
    assert due_year(datetime(2027, 1, 31, 23, 0, tzinfo=UTC), 1, AMS) is None  # February local
    assert due_year(datetime(2027, 3, 15, tzinfo=UTC), 1, AMS) is None  # turned on mid-year: next year
    assert due_year(datetime(2027, 3, 1, 8, 0, tzinfo=UTC), 3, AMS) == 2027
    assert overview_id_of("t1", 2027) == overview_id_of("t1", 2027) != overview_id_of("t1", 2028)
    assert overview_id_of("t1", 2027) != overview_id_of("t2", 2027)


@pytest.fixture
async def db(stack) -> AsyncIterator[Any]:  # type: ignore[no-untyped-def]
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(stack.mongodb_url, tz_aware=True)
    name = f"yearly_{uuid.uuid4().hex[:10]}"
    try:
        yield client[name]
    finally:
        await client.drop_database(name)
        await client.close()


async def hospital(db: Any, tenant: str, **settings: Any) -> None:
    await db["hospitals"].update_one(
        {"_id": f"{tenant}:settings"},
        {"$set": {"tenant_id": tenant, "id": "settings", **settings}},
        upsert=True,
    )


async def events(db: Any) -> list[Any]:
    found = []
    async for doc in db["board_overviews"].find({}, projection={"_outbox": 1}):
        for entry in (doc.get("_outbox") or {}).values():
            found.append(decode(entry["envelope"]))
    return found


@pytest.mark.integration
async def test_once_per_hospital_and_year_and_none_with_the_setting_off(db: Any) -> None:
    on, off, june = (f"t{uuid.uuid4().hex[:8]}" for _ in range(3))
    await hospital(db, on, board_progress=True)
    await hospital(db, off, board_progress=False, check_interval_months=6)
    await hospital(
        db, june, board_progress=True, board_overview_month=6, revision=3, zones={"3": "Europe/London"}
    )
    yearly = YearlyOverviews(Store.on(db))

    assert await yearly.make_due(JAN_2027 - timedelta(seconds=1)) == 0
    # Two processes at once, then passes every minute and hour: one overview.
    made = await asyncio.gather(yearly.make_due(JAN_2027), YearlyOverviews(Store.on(db)).make_due(JAN_2027))
    assert sum(made) == 1
    for later in (timedelta(minutes=1), timedelta(hours=5), timedelta(days=20)):
        assert await yearly.make_due(JAN_2027 + later) == 0
    found = await events(db)
    assert [e.event_type for e in found] == ["spiegel.action_plan.v1.BoardProgressOverviewDue"]
    event = found[0]
    assert event.tenant_id == on
    assert (event.payload.overview_id, event.payload.year) == (overview_id_of(on, 2027), 2027)
    assert event.payload.due_at.ToDatetime(tzinfo=UTC) == JAN_2027
    # Ids and the year only.
    assert {f.name for f, _ in event.payload.ListFields()} == {"overview_id", "year", "due_at"}

    # A crash after the claim: the pass again makes nothing new.
    assert await yearly.make_due(JAN_2027 + timedelta(minutes=2)) == 0
    # The June hospital, in its own zone (London: 09:00 BST = 08:00 UTC); the next year, again once.
    assert await yearly.make_due(datetime(2027, 6, 1, 7, 59, tzinfo=UTC)) == 0
    assert await yearly.make_due(datetime(2027, 6, 1, 8, 0, tzinfo=UTC)) == 1
    assert await yearly.make_due(datetime(2028, 1, 3, 12, 0, tzinfo=UTC)) == 1
    assert await yearly.make_due(datetime(2028, 1, 4, 12, 0, tzinfo=UTC)) == 0
    per_tenant = [e.tenant_id for e in await events(db)]
    assert sorted(per_tenant) == sorted([on, on, june])
    assert off not in per_tenant
    assert await db["board_overviews"].count_documents({"tenant_id": off}) == 0
