"""kill -9 of the check scheduler mid-batch: the real consumer process (which runs the scheduler)
works off 600 overdue group plans in batches of 7; it is killed twice while doing so and started
again. Every plan gets exactly one check with exactly one GroupPlanCheckDue: none twice, none
forgotten."""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from check_testkit import check_events, group_doc, plan_doc
from pymongo import AsyncMongoClient
from spiegel_dev.pytest_plugin import Processes
from spiegel_dev.waiting import eventually

pytestmark = [pytest.mark.integration, pytest.mark.chaos]
PLANS = 600


async def test_kill_minus_nine_of_the_scheduler_mid_batch_makes_each_check_once(
    processes: Processes, stack: Any
) -> None:
    prefix = f"apc_{uuid.uuid4().hex[:8]}"
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(stack.mongodb_url, tz_aware=True)
    db = client[f"{prefix}_action_plan"]
    try:
        tenant = f"t{uuid.uuid4().hex[:8]}"
        now = datetime.now(UTC)
        await db["groups"].insert_one(
            {**group_doc("g1", ["m1", "m2", "m3"], "m1"), "_id": f"{tenant}:g1", "tenant_id": tenant}
        )
        plans = [plan_doc(tenant, "g1", now - timedelta(days=1 + n % 30, seconds=n)) for n in range(PLANS)]
        await db["group_plans"].insert_many(
            [{**p, "_id": f"{tenant}:{p['id']}", "tenant_id": tenant} for p in plans]
        )
        env = {
            "KAFKA_TOPIC_PREFIX": f"{prefix}.",
            "POP_KEY_ENCRYPTION_KEYS": "dev-kek:" + "A" * 43 + "=",
            "CHECK_BATCH_SIZE": "7",
            "CHECK_INTERVAL_S": "0.5",
        }

        async def made() -> int:
            return await db["plan_checks"].count_documents({})

        for kill_at in (PLANS // 5, PLANS // 2):
            consumer = processes.start("action-plan", "consumer", prefix, **env)

            async def reached(threshold: int = kill_at) -> bool:
                return await made() >= threshold

            await eventually(reached, 120, f"{kill_at} checks made", interval=0.01)
            consumer.kill()  # kill -9, mid-batch
            assert await made() < PLANS, "the scheduler finished before it could be killed"

        consumer = processes.start("action-plan", "consumer", prefix, **env)

        async def all_done() -> bool:
            waiting = await db["group_plans"].count_documents({"next_check_at": {"$ne": None}})
            return waiting == 0 and await made() == PLANS

        await eventually(all_done, 180, "every plan checked")
        await asyncio.sleep(1.5)  # a few more passes: nothing new
        consumer.stop()

        events = await check_events(db)
        per_plan = Counter(e.payload.plan_id for e in events)
        assert set(per_plan) == {p["plan_id"] for p in plans}
        assert set(per_plan.values()) == {1}
        assert {e.payload.reminder for e in events} == {0}
        async for plan in db["group_plans"].find({}):
            assert plan["open_check_id"] and plan["next_check_at"] is None
    finally:
        await client.drop_database(db.name)
        await client.close()
