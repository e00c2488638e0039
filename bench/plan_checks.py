"""The group plans' 6-month checks (issue 20, point 5): 10,000 group plans due on one day.

Target: every check queued (its `plan_checks` document with GroupPlanCheckDue in the outbox, the
relay's hint, the plan's next check cleared) within 2 minutes, each exactly once. Measured with
the scheduler's own passes (`Checks.make_due`, batches of `CHECK_BATCH_SIZE`, 500), in process
on the local FerretDB, over 20 hospitals of 500 plans (each hospital's groups and settings read
once a batch). Beside it in the same run, the baseline: inserting 10,000 plain documents of the
same size in batches of 50 (the least a check costs: one insert), and the same 10,000 conditional
updates by id as the plans' writes.
"""

from __future__ import annotations

import time
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

from pymongo import AsyncMongoClient, UpdateOne
from spiegel_action_plan.checks.service import Checks
from spiegel_action_plan.storage import Store
from spiegel_platform.events.envelope import decode
from spiegel_platform.storage.mongo import bulk_write_chunked

from bench.context import BenchContext, CpuUse

PLANS = 10_000
HOSPITALS = 20
BATCH = 500
TARGET_S = 120.0


def _plan(group_id: str, due: datetime) -> dict[str, Any]:
    plan_id = str(uuid.uuid4())
    return {
        "id": plan_id,
        "plan_id": plan_id,
        "group_id": group_id,
        "round_id": "",
        "status": "adopted",
        "adopted_at": due - timedelta(days=184),
        "next_check_at": due,
        "version": 1,
        "actions": [
            {
                "action_id": f"a{i}",
                "description": "Feedback als vast agendapunt in het vakgroepsoverleg",
                "owner_person_id": "m1",
                "due": "2026-06-01",
                "measure": "elke maand besproken",
                "embedding": "vast agendapunt",
                "status": "open",
            }
            for i in range(3)
        ],
    }


async def run(ctx: BenchContext) -> dict[str, Any]:
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(ctx.stack.mongodb_url, tz_aware=True)
    db = client[f"bench_checks_{uuid.uuid4().hex[:6]}"]
    try:
        stores = Store.on(db)
        day = datetime(2026, 9, 1, 7, 0, tzinfo=UTC)
        tenants = [f"bench-h{h:02d}" for h in range(HOSPITALS)]
        for t in tenants:
            store = stores.tenant(t)
            await store.groups.insert_many(
                [
                    {
                        "id": f"g{g}",
                        "group_id": f"g{g}",
                        "name": f"Vakgroep {g}",
                        "member_person_ids": [f"{t}-p{g}-{m}" for m in range(8)],
                        "contact_person_id": f"{t}-p{g}-0",
                        "revision": 1,
                    }
                    for g in range(50)
                ]
            )
            await store.group_plans.insert_many(
                [_plan(f"g{n % 50}", day + timedelta(minutes=n % 600)) for n in range(PLANS // HOSPITALS)]
            )

        # The baseline: 10,000 plain inserts of about a check's size, then 10,000 conditional updates.
        plain = db["bench_plain"]
        docs = [
            {
                "_id": f"x:{uuid.uuid4()}",
                "tenant_id": "x",
                "plan_id": str(uuid.uuid4()),
                "group_id": "g1",
                "due_at": day,
                "state": "open",
                "recipients": ["p1"],
                "reminders_sent": 0,
                "payload": b"x" * 220,
            }
            for _ in range(PLANS)
        ]
        started = time.perf_counter()
        for i in range(0, PLANS, 50):
            await plain.insert_many(docs[i : i + 50], ordered=False)
        baseline_insert_s = time.perf_counter() - started
        started = time.perf_counter()
        await bulk_write_chunked(
            plain, [UpdateOne({"_id": d["_id"], "state": "open"}, {"$set": {"state": "x"}}) for d in docs]
        )
        baseline_update_s = time.perf_counter() - started

        # The checks: the scheduler's passes at the end of the day, until none is due.
        checks = Checks(stores, batch_size=BATCH)
        cpu = CpuUse(ctx.server_pids()) if ctx.server_pids() else None
        started = time.perf_counter()
        passes = 0
        while await checks.make_due(day + timedelta(days=1)):
            passes += 1
        queued_s = time.perf_counter() - started
        cpu_ms = cpu.per(PLANS, scale=1000, digits=2) if cpu else None

        per_plan: Counter[str] = Counter()
        async for doc in db["plan_checks"].find({}, projection={"_outbox": 1}):
            for entry in (doc.get("_outbox") or {}).values():
                per_plan[decode(entry["envelope"]).payload.plan_id] += 1
        hinted = await db["outbox_hints"].count_documents({"c": "plan_checks"})
        still_due = await db["group_plans"].count_documents({"next_check_at": {"$ne": None}})
        again = await checks.make_due(day + timedelta(days=2))
        figures = {
            "plans": PLANS,
            "hospitals": HOSPITALS,
            "batch_size": BATCH,
            "passes": passes,
            "checks_queued_s": round(queued_s, 1),
            "checks_per_s": round(PLANS / queued_s, 1),
            "target_s": TARGET_S,
            "within_target": queued_s <= TARGET_S,
            "baseline_plain_inserts_s": round(baseline_insert_s, 1),
            "baseline_conditional_updates_s": round(baseline_update_s, 1),
            "ratio_to_baseline": round(queued_s / (baseline_insert_s + baseline_update_s), 2),
            "exactly_once": len(per_plan) == PLANS and set(per_plan.values()) == {1},
            "relay_hints": hinted,
            "plans_still_due": still_due,
            "second_pass_found": again,
            "server_cpu_ms_per_check": cpu_ms,
        }
        print(figures, flush=True)
        assert figures["exactly_once"] and still_due == 0 and again == 0, figures
        return figures
    finally:
        await client.drop_database(db.name)
        await client.close()
