"""The group plans' 6-month checks (issue 20, point 5): 10,000 group plans due on one day.

Target: every check queued (its `plan_checks` document with GroupPlanCheckDue in the outbox, the
relay's hint, the plan's next check cleared) within 2 minutes, each exactly once. Measured with
the scheduler's own passes (`Checks.make_due`, batches of `CHECK_BATCH_SIZE`, 500), in process
on the local FerretDB, over 20 hospitals of 500 plans (each hospital's groups and settings read
once a batch). Beside it in the same run, the baseline: inserting 10,000 plain documents of the
same size in batches of 50 (the least a check costs: one insert), and the same 10,000 conditional
updates by id as the plans' writes. Then end to end through the real processes (`end_to_end`):
the action-plan consumer's scheduler, its relay, Kafka and the invitation consumer, from the moment
the plans fall due to every check mail queued in the invitation service.
"""

from __future__ import annotations

import asyncio
import os
import time
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

from cryptography.fernet import Fernet
from pymongo import AsyncMongoClient, UpdateOne
from spiegel_action_plan.checks.service import Checks
from spiegel_action_plan.storage import Store
from spiegel_dev.mailcatcher import MailCatcher
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
                "embedding": {"kind": "standing_agenda_item", "text": "vast agendapunt"},
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
        figures["end_to_end"] = await end_to_end(ctx, client)
        print(figures["end_to_end"], flush=True)
        return figures
    finally:
        await client.drop_database(db.name)
        await client.close()


async def end_to_end(ctx: BenchContext, client: AsyncMongoClient[dict[str, Any]]) -> dict[str, Any]:
    """The same 10,000 plans through the real processes: the action-plan consumer's scheduler
    (every second), its relay, Kafka, the invitation consumer: from the moment they fall due to
    every check mail queued in the invitation service (`plan-check:<check>:0:<person>`, in its
    queue or, once the mailer has taken it, in its deliveries)."""
    prefix = f"bchk{uuid.uuid4().hex[:6]}"
    catcher = MailCatcher(max_messages=100).start()
    common = {"KAFKA_TOPIC_PREFIX": f"{prefix}.", "LOG_LEVEL": os.environ.get("BENCH_LOG_LEVEL", "WARNING")}
    try:
        ctx.processes.start(
            "invitation",
            "consumer",
            prefix,
            SMTP_HOST="127.0.0.1",
            SMTP_PORT=str(catcher.smtp_port),
            MAIL_FROM="Spiegel <noreply@bench.example>",
            PUBLIC_BASE_URL_TEMPLATE="http://127.0.0.1:8100/t/{slug}",
            LINK_TOKEN_KEYS=Fernet.generate_key().decode(),
            MAILER_JOURNAL_DIR=str(ctx.workdir / "journal"),
            **common,
        )
        keys = {"POP_KEY_ENCRYPTION_KEYS": "dev-kek:" + "A" * 43 + "=", "CHECK_INTERVAL_S": "1"}
        ctx.processes.start("action-plan", "relay", prefix, **keys, **common)
        ctx.processes.start("action-plan", "consumer", prefix, **keys, **common)
        plans_db = client[f"{prefix}_action_plan"]
        stores = Store.on(plans_db)
        due = datetime.now(UTC) + timedelta(seconds=90)
        for h in range(HOSPITALS):
            store = stores.tenant(f"bench-h{h:02d}")
            await store.groups.insert_many(
                [
                    {
                        "id": f"g{g}",
                        "group_id": f"g{g}",
                        "name": f"Vakgroep {g}",
                        "member_person_ids": [f"h{h}-p{g}-{m}" for m in range(8)],
                        "contact_person_id": f"h{h}-p{g}-0",
                        "revision": 1,
                    }
                    for g in range(50)
                ]
            )
            await store.group_plans.insert_many([_plan(f"g{n % 50}", due) for n in range(PLANS // HOSPITALS)])
        ready_s = (due - datetime.now(UTC)).total_seconds()
        assert ready_s > 0, "inserting the plans took longer than the lead time"
        await asyncio.sleep(ready_s)
        started = time.perf_counter()
        mail = client[f"{prefix}_invitation"]

        async def queued() -> int:
            found: set[str] = set()
            for name in ("mail_queue", "deliveries"):
                async for doc in mail[name].find({"_id": {"$regex": ":plan-check:"}}, projection={"_id": 1}):
                    found.add(doc["_id"])
            return len(found)

        count = 0
        while time.perf_counter() - started < 600:
            count = await queued()
            if count >= PLANS:
                break
            await asyncio.sleep(1)
        elapsed = time.perf_counter() - started
        made = await plans_db["plan_checks"].count_documents({})
        return {
            "checks_made": made,
            "mails_queued": count,
            "all_queued_s": round(elapsed, 1),
            "within_target": count == PLANS and elapsed <= TARGET_S,
            "exactly_once": made == PLANS and count == PLANS,
        }
    finally:
        ctx.processes.stop_all()
        catcher.stop()
        for name in (f"{prefix}_action_plan", f"{prefix}_invitation"):
            await client.drop_database(name)
