"""Aggregation: 500 rounds x 50 responses x 40 items (1,000,000 answers) through the real broker.

Targets: >= 2,000 response events/s into projections; all 500 reports (JSON)
within 30 s of closing; a PDF within 1.5 s (median). Baseline: a plain pandas
group-by over the same raw answers, against the service's report computation
(the pure builder) over the same data, in the same run.
"""

from __future__ import annotations

import asyncio
import dataclasses
import random
import statistics
import time
import uuid
from typing import Any

import httpx
import pandas as pd
from pymongo import AsyncMongoClient
from spiegel_aggregation.instruments.store import save_instrument
from spiegel_aggregation.reports.builder import GroupInfo, RoundFacts, build_report
from spiegel_aggregation.storage import Store
from spiegel_demo.instruments import ifms_instrument
from spiegel_demo.simulation import IFMS_GROUPS, SimRound, random_responses, tenant_configured
from spiegel_platform.events.contracts import topics_of

from bench.context import BenchContext

ROUNDS, RESPONSES, ITEMS = 500, 50, 40
TENANT = "bench-ziekenhuis"


async def _send(bootstrap: str, events: list[Any], prefix: str) -> None:
    from aiokafka import AIOKafkaProducer

    producer = AIOKafkaProducer(
        bootstrap_servers=bootstrap,
        enable_idempotence=True,
        acks="all",
        linger_ms=20,
        max_batch_size=512 * 1024,
    )
    await producer.start()
    try:
        for start in range(0, len(events), 2000):
            futures = [
                await producer.send(
                    prefix + e.topic, value=e.envelope, key=e.key.encode(), headers=e.headers()
                )
                for e in events[start : start + 2000]
            ]
            await asyncio.gather(*futures)
    finally:
        await producer.stop()


async def _lag(bootstrap: str, group: str, topics: list[str]) -> int:
    from aiokafka import AIOKafkaConsumer, TopicPartition
    from aiokafka.admin import AIOKafkaAdminClient

    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap)
    await admin.start()
    await consumer.start()
    try:
        await consumer.topics()
        committed = await admin.list_consumer_group_offsets(group)
        parts = [TopicPartition(t, p) for t in topics for p in (consumer.partitions_for_topic(t) or ())]
        ends = await consumer.end_offsets(parts)
        return sum(max(0, end - (committed[tp].offset if tp in committed else 0)) for tp, end in ends.items())
    finally:
        await consumer.stop()
        await admin.close()


async def run(ctx: BenchContext) -> dict[str, Any]:
    prefix = "bench_agg"
    base = ifms_instrument(statements_per_theme=10, themes=4)
    instrument = dataclasses.replace(base, global_items=(), _items={})
    assert len(instrument.scored_items) == ITEMS
    rng = random.Random(2026)
    rounds = []
    for i in range(ROUNDS):
        r = SimRound(
            TENANT,
            f"bench-{i:03d}-{uuid.uuid4().hex[:6]}",
            instrument,
            subject_id=f"spec-{i}",
            subject_name=f"Dr. Bench {i}",
        )
        r.responses = random_responses(
            rng, instrument, {"self": 1, "colleagues": 20, "staff": 19, "flex": 10}
        )
        rounds.append(r)
    opened = [tenant_configured(TENANT)] + [r.opened() for r in rounds]
    responses = [r.response_event(x) for r in rounds for x in r.responses]
    closes = [r.closed() for r in rounds]
    answers = sum(len(x.scores) + len(x.not_applicable) for r in rounds for x in r.responses)

    processes = ctx.processes
    # Topics of its own: no event of another benchmark on the same broker reaches this consumer.
    topic_prefix = f"{prefix}_{uuid.uuid4().hex[:6]}."
    processes.start(
        "aggregation", "consumer", prefix, REPORT_WAIT_SECONDS="60", KAFKA_TOPIC_PREFIX=topic_prefix
    )
    api = processes.start("aggregation", "api", prefix, KAFKA_TOPIC_PREFIX=topic_prefix)
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(ctx.stack.mongodb_url, tz_aware=True)
    db = client[f"{prefix}_aggregation"]
    bootstrap = ctx.stack.kafka_bootstrap
    group = "aggregation.projections"
    topics = [
        topic_prefix + t
        for t in topics_of("spiegel.survey.v1.ResponseRecorded", "spiegel.survey.v1.RoundOpened")
    ]
    try:
        await save_instrument(Store(db, TENANT), instrument, "bench")
        await _send(bootstrap, opened, topic_prefix)
        while await _lag(bootstrap, group, topics):  # noqa: ASYNC110 - polling the broker
            await asyncio.sleep(0.5)

        # -- 25,000 response events into projections ----------------------------------------
        started = time.monotonic()
        sender = asyncio.create_task(_send(bootstrap, responses, topic_prefix))
        while True:
            await asyncio.sleep(0.5)
            if sender.done() and await _lag(bootstrap, group, topics) == 0:
                break
        await sender
        ingest_s = time.monotonic() - started
        events_per_s = len(responses) / ingest_s

        # -- close all 500: every first version (JSON) ------------------------------------------
        started = time.monotonic()
        await _send(bootstrap, closes, topic_prefix)
        reports = 0
        while reports < ROUNDS and time.monotonic() - started < 300:
            await asyncio.sleep(0.5)
            reports = await db["reports"].estimated_document_count()  # no scan of the big documents
        reports_s = time.monotonic() - started

        # -- PDFs through the API ------------------------------------------------------------------
        token = ctx.issuer.issue(
            audience="aggregation", subject="bench-coordinator", tenant_id=TENANT, roles=["coordinator"]
        )
        pdf_times = []
        async with httpx.AsyncClient(
            base_url=api.url, timeout=60, headers={"Authorization": f"Bearer {token}"}
        ) as http:
            for r in rounds[:20]:
                t0 = time.perf_counter()
                response = await http.get(f"/reports/{r.round_id}.v1/pdf")
                pdf_times.append(time.perf_counter() - t0)
                assert response.status_code == 200 and response.content.startswith(b"%PDF"), response.text[
                    :200
                ]
            json_times = []
            for r in rounds[:20]:
                t0 = time.perf_counter()
                assert (await http.get(f"/reports/{r.round_id}.v1")).status_code == 200
                json_times.append(time.perf_counter() - t0)

        # -- baseline: pandas group-by vs the report computation, same raw data -----------------
        rows = [
            (r.round_id, x.group, item, score)
            for r in rounds
            for x in r.responses
            for item, score in x.scores.items()
        ]
        frame = pd.DataFrame(rows, columns=["round", "group", "item", "score"])
        t0 = time.perf_counter()
        frame["sq"] = frame.score * frame.score
        grouped = frame.groupby(["round", "group", "item"]).agg(
            n=("score", "size"),
            total=("score", "sum"),
            sq=("sq", "sum"),
            mean=("score", "mean"),
            sd=("score", "std"),
        )
        hist = frame.groupby(["round", "group", "item", "score"]).size()
        pandas_s = time.perf_counter() - t0
        assert len(grouped) and len(hist)
        groups = tuple(GroupInfo(c, nl, en, s) for c, nl, en, s in IFMS_GROUPS)
        t0 = time.perf_counter()
        for r in rounds:
            build_report(
                RoundFacts(r.round_id, "IFMS", "t", r.subject_id, groups=groups),
                instrument,
                r.responses,
                threshold=4,
                report_id=f"{r.round_id}.v1",
                version=1,
                published_at="2026-01-01",
            )
        builder_s = time.perf_counter() - t0
    finally:
        await client.drop_database(db.name)
        await client.close()

    return {
        "rounds": ROUNDS,
        "response_events": len(responses),
        "answers": answers,
        "ingest_seconds": round(ingest_s, 1),
        "response_events_per_second": round(events_per_s),
        "target_events_per_second": 2000,
        "reports_published": reports,
        "all_reports_seconds_after_closing": round(reports_s, 1),
        "target_reports_seconds": 30,
        "pdf_median_seconds": round(statistics.median(pdf_times), 3),
        "pdf_p90_seconds": round(sorted(pdf_times)[int(0.9 * len(pdf_times))], 3),
        "target_pdf_median_seconds": 1.5,
        "json_median_seconds": round(statistics.median(json_times), 3),
        "baseline_pandas_groupby_seconds": round(pandas_s, 3),
        "report_computation_seconds": round(builder_s, 3),
        "report_computation_vs_pandas_ratio": round(builder_s / pandas_s, 2),
        "note": "ratio > 1: the builder (all rules, themes, highlights, comments, version cells) takes "
        "that many times the bare pandas group-by of count/sum/sumsq/mean/sd/histogram",
    }
