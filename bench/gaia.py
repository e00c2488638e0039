"""GAIA attendance exports (issue 19, point 5): a session of 1,000 participants, present, each with
a BIG number.

Target: each export (the paste list, csv, xlsx, XML) under 2 s, from the database to the bytes.
Measured beside a baseline in the same run, on the same FerretDB: reading the same 1,000
attendance documents and BIG numbers raw and writing them as a plain csv (the least any export
costs). The measured steps are the service's own (`Gaia.export_rows`: the session, the
accreditation, batched reads of attendance, BIG numbers, registrations and rounds; then
`gaia/exports.py`). In process (no HTTP: the API adds the same to each).
"""

from __future__ import annotations

import csv
import io
import statistics
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

from pymongo import AsyncMongoClient
from spiegel_accreditation.gaia import exports
from spiegel_accreditation.gaia.service import Gaia
from spiegel_accreditation.settings import AccreditationSettings
from spiegel_accreditation.storage import Store

from bench.context import BenchContext

TENANT = "bench-hospital"
PEOPLE = 1000
RUNS = 5


async def timed(step: Callable[[], Awaitable[Any]], runs: int = RUNS) -> dict[str, float]:
    await step()  # warm-up
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        await step()
        times.append(time.perf_counter() - started)
    times.sort()
    return {"median_s": round(statistics.median(times), 3), "max_s": round(times[-1], 3)}


async def run(ctx: BenchContext) -> dict[str, Any]:
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(ctx.stack.mongodb_url, tz_aware=True)
    db = client[f"bench_gaia_{uuid.uuid4().hex[:6]}"]
    try:
        stores = Store.on(db)
        gaia = Gaia(
            stores, AccreditationSettings.model_construct(gaia_deadline_days=42, gaia_reminder_days_before=7)
        )
        store = stores.tenant(TENANT)
        session_id = "bench-session"
        people = [f"p{i:04d}" for i in range(PEOPLE)]
        start = datetime.now(UTC) - timedelta(hours=4)
        await store.sessions.insert(
            {
                "id": session_id,
                "kind": "GROUP_MONITOR",
                "state": "planned",
                "participants": [{"person_id": p, "round_id": "gm-bench"} for p in people],
                "participant_ids": people,
                "facilitator_ids": ["fac"],
                "starts_at": start,
                "ends_at": start + timedelta(hours=3),
                "series_id": "",
                "version": 1,
            }
        )
        await store.attendance.insert_many(
            [
                {
                    "id": f"{session_id}/{p}",
                    "session_id": session_id,
                    "person_id": p,
                    "status": "present",
                    "minutes": 180,
                }
                for p in people
            ]
        )
        await store.big_numbers.insert_many(
            [{"id": p, "big_number": f"{i:011d}"} for i, p in enumerate(people)]
        )
        today = date.today()
        await store.accreditations.insert(
            {
                "id": f"session/{session_id}",
                "activity_number": "456789",
                "points": 2.0,
                "association": "NVvH",
                "valid_from": (today - timedelta(days=30)).isoformat(),
                "valid_until": (today + timedelta(days=300)).isoformat(),
                "deadline_days": 42,
                "provider": "Bench",
            }
        )
        doc = await store.sessions.get(session_id)
        assert doc is not None

        async def baseline() -> bytes:
            attendance = await store.attendance.find({"session_id": session_id}, projection={"person_id": 1})
            numbers = {
                d["id"]: d["big_number"]
                for d in await store.big_numbers.find({}, projection={"id": 1, "big_number": 1})
            }
            out = io.StringIO()
            writer = csv.writer(out)
            for a in attendance:
                writer.writerow([numbers.get(a["person_id"], ""), a["person_id"]])
            return out.getvalue().encode()

        async def rows() -> list[exports.Row]:
            return (await gaia.export_rows(TENANT, doc))[1]

        async def paste() -> str:
            return exports.big_numbers_text(await rows())

        async def as_csv() -> bytes:
            return exports.csv_bytes(await rows())

        async def as_xlsx() -> bytes:
            return exports.xlsx_bytes(await rows())

        async def as_xml() -> bytes:
            return exports.attendance_xml(await rows(), provider="Bench", end_date=today)

        assert len(await rows()) == PEOPLE
        figures: dict[str, Any] = {
            "participants": PEOPLE,
            "target_s": 2.0,
            "baseline_raw_read_and_csv": await timed(baseline),
            "rows_from_database": await timed(rows),
            "paste_list": await timed(paste),
            "csv": await timed(as_csv),
            "xlsx": await timed(as_xlsx),
            "xml": await timed(as_xml),
        }
        figures["all_under_target"] = all(
            figures[k]["median_s"] < 2.0 for k in ("paste_list", "csv", "xlsx", "xml")
        )
        return figures
    finally:
        await client.drop_database(db.name)
        await client.close()
