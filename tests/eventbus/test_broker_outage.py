"""The broker is down for 30 s: writes are still accepted and stored; all is delivered afterwards."""

from __future__ import annotations

import asyncio
import shutil
import time

import pytest
from spiegel_dev.processes import free_port
from spiegel_dev.pytest_plugin import Processes
from spiegel_dev.servers import new_instance_dir, start_kafka, start_stack
from spiegel_dev.waiting import eventually

from tests.eventbus.probe_support import ProbeWorld

pytestmark = [pytest.mark.integration, pytest.mark.chaos]


@pytest.fixture
def own_stack():  # type: ignore[no-untyped-def]
    # A stack of its own: this test stops the broker.
    workdir = new_instance_dir("outage")
    stack = start_stack(
        workdir, kafka_port=free_port(), controller_port=free_port(), mongo_port=free_port(), environ={}
    )
    yield stack
    stack.stop()
    shutil.rmtree(workdir, ignore_errors=True)


async def test_broker_outage_loses_nothing(own_stack, jwks_json, tmp_path):  # type: ignore[no-untyped-def]
    processes = Processes(own_stack, jwks_json, tmp_path / "logs")
    world = ProbeWorld(own_stack.mongodb_url, "probe_outage")
    env = {"MONGODB_DATABASE": "probe_outage"}
    try:
        relay = processes.start("probe", "relay", "probe_outage", module="spiegel_dev.probe", **env)
        consumer = processes.start("probe", "consumer", "probe_outage", module="spiegel_dev.probe", **env)
        await world.write_ticks(200, counters=5)
        assert await world.wait_for_counts(timeout=60) == dict(world.expected)

        kafka = own_stack.server("kafka")
        port = int(kafka.url.rsplit(":", 1)[1])
        controller_port = int(
            next(
                line
                for line in (own_stack.workdir / "kafka.properties").read_text().splitlines()
                if line.startswith("controller.quorum.voters")
            ).rsplit(":", 1)[1]
        )
        kafka.stop()
        down_since = time.monotonic()
        # Keep working while the broker is away: every write is accepted and stored.
        # (At least 30 s and at least 300 writes: on a busy machine 30 s may hold fewer rounds.)
        written = 0
        while time.monotonic() - down_since < 30 or written < 300:
            await world.write_ticks(10, counters=5)
            written += 10
            await asyncio.sleep(1)
        assert await world.pending_events() >= 250
        assert relay.running and consumer.running

        own_stack.servers.remove(kafka)
        own_stack.servers.append(start_kafka(own_stack.workdir, port, controller_port))
        counts = await world.wait_for_counts(timeout=120)
        assert counts == dict(world.expected)
        await eventually(world.outbox_drained, timeout=60, what="the outbox to drain")
        assert relay.running and consumer.running
        assert "relay_pass_failed" in relay.log.read_text()  # it did notice the outage
    finally:
        processes.stop_all()
        await world.close()
