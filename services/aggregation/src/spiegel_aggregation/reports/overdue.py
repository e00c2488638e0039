"""The consumer process's background job: first versions whose wait for responses is over."""

from __future__ import annotations

import asyncio

from spiegel_platform.logging import get_logger
from spiegel_platform.periodic import every

from spiegel_aggregation.settings import AggregationRuntime
from spiegel_aggregation.wiring import Aggregation

log = get_logger(__name__)


async def overdue_loop(runtime: AggregationRuntime, stop: asyncio.Event) -> None:
    """Background job of the consumer process: first versions whose wait is over."""
    reports = Aggregation.of(runtime).reports
    # Any failure is logged and the next pass (a second later) retries; the loop never stops.
    await every(1.0, reports.publish_overdue, stop, name="overdue_reports", log=log)
