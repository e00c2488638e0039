"""The service's real wiring with one part replaced (no servers: nothing connects until used)."""

from __future__ import annotations

import asyncio
from typing import cast

from spiegel_aggregation.definition import DEFINITION
from spiegel_aggregation.reports.overdue import overdue_loop
from spiegel_aggregation.reports.publishing import Reports
from spiegel_aggregation.settings import AggregationRuntime, AggregationSettings
from spiegel_aggregation.storage import PLATFORM_SCOPE
from spiegel_aggregation.wiring import Aggregation
from spiegel_dev.reference import offline_settings
from spiegel_platform.service import Runtime, build_api


def runtime() -> AggregationRuntime:
    return Runtime(DEFINITION, cast(AggregationSettings, offline_settings(AggregationSettings)))


async def test_the_overdue_job_uses_the_wired_reports() -> None:
    wired = runtime()
    stop = asyncio.Event()

    class RecordingReports:
        passes = 0

        async def publish_overdue(self) -> int:
            self.passes += 1
            stop.set()
            return 0

    reports = RecordingReports()
    Aggregation(wired, reports=cast(Reports, reports))
    await overdue_loop(wired, stop)
    assert reports.passes == 1


def test_routers_and_consumers_share_one_wiring_per_process() -> None:
    wired = runtime()
    build_api(wired)
    for spec in DEFINITION.consumers:
        spec.handlers(wired)
        if spec.batch_handlers:
            spec.batch_handlers(wired)
    parts = Aggregation.of(wired)
    assert parts.reports.stores is parts.stores and parts.norms.stores is parts.stores
    assert parts.stores.tenant(PLATFORM_SCOPE).norm_sharing.tenant_id == PLATFORM_SCOPE
