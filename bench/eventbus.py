"""Event bus: throughput and end-to-end latency (outbox write -> consumer applied),
beside raw aiokafka produce/consume on the same broker in the same run.

- raw: an idempotent acks=all aiokafka producer sends N envelope-sized messages while a
  consumer group reads them; throughput = N / (first send .. last receive).
- bus: the application writes N state changes, each with its event, through the
  repository (one atomic write each); the probe relay process publishes them and the
  probe consumer process applies them idempotently in its own database (an insert
  keyed by the event id); throughput = N / (first write .. last applied), the last
  applied time as the consumer recorded it.
- latency: writes paced at a fixed rate; per event, applied time - write time.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from dataclasses import dataclass
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from spiegel_dev.probe import TOPIC

from bench.context import BenchContext, CpuUse, percentile
from tests.eventbus.probe_support import ProbeWorld, committed_events

N_THROUGHPUT = 10_000
LATENCY_RATE = 1_000  # events per second
LATENCY_SECONDS = 10


async def raw_kafka(bootstrap: str, n: int, size: int) -> dict[str, Any]:
    topic = f"bench.raw.{uuid.uuid4().hex[:6]}"
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    await admin.create_topics([NewTopic(topic, num_partitions=3, replication_factor=1)])
    await admin.close()
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=bootstrap,
        group_id=f"g-{topic}",
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    await consumer.start()
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, enable_idempotence=True, acks="all", linger_ms=5)
    await producer.start()
    payload = b"x" * size
    received = 0
    done = asyncio.Event()

    async def consume() -> None:
        nonlocal received
        while received < n:
            batches = await consumer.getmany(timeout_ms=500, max_records=500)
            received += sum(len(r) for r in batches.values())
            if batches:
                await consumer.commit()
        done.set()

    reader = asyncio.create_task(consume())
    await asyncio.sleep(1)  # let the group settle
    start = time.perf_counter()
    futures = [await producer.send(topic, payload, key=str(i % 100).encode()) for i in range(n)]
    await asyncio.gather(*futures)
    produced = time.perf_counter() - start
    await asyncio.wait_for(done.wait(), timeout=300)
    total = time.perf_counter() - start
    await reader
    await producer.stop()
    await consumer.stop()
    return {"events": n, "produce_per_s": round(n / produced), "end_to_end_per_s": round(n / total)}


@dataclass
class RunningProbe:
    """The probe at work on its own topic. Progress comes from the consumer's committed
    offsets in Kafka, never from counting the applied documents while the flow runs."""

    world: ProbeWorld
    bootstrap: str
    topic: str
    pids: dict[str, int]

    async def wait_applied(self, total: int, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while await committed_events(self.bootstrap, self.topic) < total:
            if time.monotonic() > deadline:
                raise TimeoutError(f"the probe consumer did not apply {total} events in {timeout} s")
            await asyncio.sleep(0.2)


async def _running_probe(ctx: BenchContext) -> RunningProbe:
    """The probe's relay and consumer on a fresh database and topic, warm (topic made, group joined)."""
    prefix = f"bench_{uuid.uuid4().hex[:6]}"
    world = ProbeWorld(ctx.stack.mongodb_url, prefix)
    env = {"MONGODB_DATABASE": prefix, "KAFKA_TOPIC_PREFIX": f"{prefix}."}
    relay = ctx.processes.start("probe", "relay", prefix, module="spiegel_dev.probe", **env)
    consumer = ctx.processes.start("probe", "consumer", prefix, module="spiegel_dev.probe", **env)
    assert relay.handle is not None and consumer.handle is not None
    pids = {"relay": relay.handle.pid, "consumer": consumer.handle.pid, **ctx.server_pids()}
    probe = RunningProbe(world, ctx.stack.kafka_bootstrap, f"{prefix}.{TOPIC}", pids)
    await world.write_ticks(1, counters=1)
    await probe.wait_applied(1, timeout=60)
    return probe


async def bus_throughput(ctx: BenchContext, n: int) -> dict[str, Any]:
    probe = await _running_probe(ctx)
    world = probe.world
    cpu = CpuUse(probe.pids)
    own_before = time.process_time()
    start_ns = time.time_ns()
    await world.write_ticks(n, counters=50, batch=100)
    written_s = (time.time_ns() - start_ns) / 1e9
    await probe.wait_applied(n + 1, timeout=600)
    # CPU per event of each process from the first write until every event was applied.
    cpu_us = cpu.per(n, scale=1e6, digits=None)
    cpu_us["writer (this process)"] = round((time.process_time() - own_before) * 1e6 / n)
    counts = await world.counts()
    last_applied_ns = max((await world.applied_at()).values())
    total_s = (last_applied_ns - start_ns) / 1e9
    ok = counts == dict(world.expected)
    await world.close()
    return {
        "events": n,
        "writes_per_s": round(n / written_s),
        "end_to_end_per_s": round(n / total_s),
        "all_applied_once": ok,
        # At 5,000 events/s two cores have 400 us per event for all of these together.
        "cpu_us_per_event": {**cpu_us, "total": sum(cpu_us.values())},
    }


async def bus_latency(ctx: BenchContext, rate: int, seconds: int) -> dict[str, Any]:
    probe = await _running_probe(ctx)
    world = probe.world
    written_ns: dict[int, int] = {}
    tick_every = 0.01  # write rate/100 events every 10 ms
    per_tick = max(1, rate // 100)
    start = time.perf_counter()
    next_at = start
    while time.perf_counter() - start < seconds:
        first = world._seq + 1
        now = time.time_ns()
        await world.write_ticks(per_tick, counters=50, batch=per_tick)
        for seq in range(first, world._seq + 1):
            written_ns[seq] = now
        next_at += tick_every
        await asyncio.sleep(max(0, next_at - time.perf_counter()))
    achieved = len(written_ns) / (time.perf_counter() - start)
    await probe.wait_applied(len(written_ns) + 1, timeout=300)
    applied_at = await world.applied_at()
    latencies = [(applied_at[seq] - written) / 1e6 for seq, written in written_ns.items()]
    ok = await world.counts() == dict(world.expected)
    await world.close()
    return {
        "target_rate": rate,
        "achieved_write_rate": round(achieved),
        "events": len(latencies),
        "all_applied_once": ok,
        "p50_ms": round(percentile(latencies, 50), 1),
        "p95_ms": round(percentile(latencies, 95), 1),
        "p99_ms": round(percentile(latencies, 99), 1),
        "max_ms": round(max(latencies), 1),
    }


async def run(ctx: BenchContext) -> dict[str, Any]:
    envelope_size = 120
    raw = await raw_kafka(ctx.stack.kafka_bootstrap, N_THROUGHPUT, envelope_size)
    print("raw aiokafka", raw, flush=True)
    bus = await bus_throughput(ctx, N_THROUGHPUT)
    print("event bus", bus, flush=True)
    ctx.close()
    latency = await bus_latency(ctx, LATENCY_RATE, LATENCY_SECONDS)
    print("latency", latency, flush=True)
    return {
        "raw_aiokafka": raw,
        "event_bus": bus,
        "latency_at_fixed_rate": latency,
        "ratio_bus_to_raw_end_to_end": round(bus["end_to_end_per_s"] / raw["end_to_end_per_s"], 3),
        "targets": {"end_to_end_per_s": 5000, "p99_ms_at_1000_per_s": 200, "ratio_to_raw": 0.5},
    }
