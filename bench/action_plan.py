"""POPs (issue 20, point 1): what the encryption at rest costs a read and a write of a POP.

Target: less than 1 ms added to each, measured beside the same operation without encryption in
the same run, on the same FerretDB: the baseline reads the POP's document and parses its
content from plain JSON (read), or reads it and writes the content as plain JSON (write); the
measured steps are the service's own (`Pops.read`, `Pops.save`: the document, the owner's
wrapped data key, unwrap, AES-GCM open / seal; the baseline write runs the same rules). Also
the cryptography alone per operation. In process (no HTTP: the API costs the same either way).
"""

from __future__ import annotations

import asyncio
import json
import statistics
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import date, timedelta
from typing import Any

from pymongo import AsyncMongoClient
from spiegel_action_plan.pops import model, sealing
from spiegel_action_plan.pops.model import Content, Goal, Why
from spiegel_action_plan.pops.service import Pops
from spiegel_action_plan.storage import Store

from bench.context import BenchContext

TENANT = "bench-hospital"
OWNER = "specialist-1"
RUNS = 300


def a_pop() -> tuple[str, list[Goal]]:
    goals = [
        Goal(
            id=f"g{n}",
            what=f"Doel {n}: elke week één slecht-nieuwsgesprek samen voeren met een collega " * 2,
            why=(Why("development_point", f"item-{n}", "Luisteren"),),
            how="Met een collega als observator; na afloop tien minuten nabespreken. " * 3,
            by_when=date.today() + timedelta(days=120),
            support="Een collega die wil observeren",
            evidence="Bij de volgende IFMS scoort luisteren minstens 4",
            status="in_progress",
        )
        for n in range(5)
    ]
    return "Rust in de overdracht, ook onder druk. " * 10, goals


async def timed(step: Callable[[], Awaitable[Any]], runs: int = RUNS) -> dict[str, float]:
    for _ in range(20):  # warm-up
        await step()
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        await step()
        times.append((time.perf_counter() - started) * 1000)
    times.sort()
    return {
        "mean_ms": round(statistics.fmean(times), 3),
        "p50_ms": round(times[len(times) // 2], 3),
        "p95_ms": round(times[int(len(times) * 0.95)], 3),
    }


async def run(ctx: BenchContext) -> dict[str, Any]:
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(ctx.stack.mongodb_url, tz_aware=True)
    db = client[f"bench_action_plan_{uuid.uuid4().hex[:6]}"]
    try:
        stores = Store.on(db)
        keyring = sealing.Keyring.parse(sealing.Keyring.generate("kek-bench"))
        # As deployed (the default DATA_KEY_CACHE_S); `uncached` reads the key every time.
        pops = Pops(stores, keyring, key_cache_s=30.0)
        uncached = Pops(stores, keyring)
        store = stores.tenant(TENANT)
        await store.rounds.insert({"id": "round-1", "kind": "IFMS", "subject_id": OWNER})
        doc, _ = await pops.start(TENANT, OWNER, "round-1", "bench")
        text, goals = a_pop()
        opened = await pops.save(TENANT, OWNER, doc["id"], 1, text, goals)
        plain = json.dumps(opened.content.as_dict() if opened.content else {}, ensure_ascii=False)
        await store.rounds.insert({"id": "baseline", "kind": "plain", "content": plain, "version": 1})
        version = opened.doc["version"]

        async def read_encrypted() -> None:
            got = await pops.read(TENANT, OWNER, doc["id"])
            assert got.content is not None and len(got.content.goals) == 5

        async def read_plain() -> None:
            got = await store.rounds.get("baseline")
            assert got is not None and len(Content.of(json.loads(got["content"])).goals) == 5

        async def write_encrypted() -> None:
            nonlocal version
            saved = await pops.save(TENANT, OWNER, doc["id"], version, text, list(goals))
            version = saved.doc["version"]

        async def write_plain() -> None:
            got = await store.rounds.get("baseline")
            assert got is not None
            before = Content.of(json.loads(got["content"]))
            # The same rules as a save (they are not the encryption's cost).
            model.check_text("keep_and_extend", text)
            model.check_goals(list(goals), before.goals, date.today())
            await store.rounds.update(
                "baseline",
                {"$set": {"content": plain, "version": got["version"] + 1}},
                expect={"version": got["version"]},
            )

        key = sealing.new_data_key()
        context = sealing.plan_context(TENANT, OWNER, doc["id"])
        blob = sealing.seal(key, plain.encode(), context)
        wrapped = keyring.wrap(key, sealing.key_context(TENANT, OWNER, "k"))

        def crypto_only(runs: int = 2000) -> float:
            started = time.perf_counter()
            for _ in range(runs):
                keyring.unwrap(wrapped, sealing.key_context(TENANT, OWNER, "k"))
                sealing.open_sealed(key, blob, context)
                sealing.seal(key, plain.encode(), context)
            return round((time.perf_counter() - started) * 1000 / runs, 4)

        figures: dict[str, Any] = {"content_bytes": len(plain.encode()), "runs": RUNS}

        async def read_uncached() -> None:
            got = await uncached.read(TENANT, OWNER, doc["id"])
            assert got.content is not None

        figures["read"] = {
            "encrypted": await timed(read_encrypted),
            "baseline_plain": await timed(read_plain),
            "encrypted_key_not_cached": await timed(read_uncached),
        }
        figures["write"] = {
            "encrypted": await timed(write_encrypted),
            "baseline_plain": await timed(write_plain),
        }
        for what in ("read", "write"):
            added = figures[what]["encrypted"]["p50_ms"] - figures[what]["baseline_plain"]["p50_ms"]
            figures[what]["added_p50_ms"] = round(added, 3)
            figures[what]["target_added_ms"] = 1.0
            figures[what]["met"] = added < 1.0
        figures["crypto_only_ms_per_unwrap_open_seal"] = await asyncio.to_thread(crypto_only)
        return figures
    finally:
        await client.drop_database(db.name)
        await client.close()
