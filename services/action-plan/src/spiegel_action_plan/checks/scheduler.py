"""The group plans' checks on their schedule: a background job of the consumer process.

Every `CHECK_INTERVAL_S` (60 s) a pass makes the checks of due plans, sends the reminders that
came due and finishes answered checks a crash interrupted (`Checks.pass_once`, each step exactly
once: see checks/service.py); a pass that found work is followed at once by the next, so a
backlog after downtime is worked off in batches of `CHECK_BATCH_SIZE` without waiting.
"""

from __future__ import annotations

import asyncio

from pymongo.errors import PyMongoError
from spiegel_platform.logging import get_logger
from spiegel_platform.periodic import every

from spiegel_action_plan.settings import ActionPlanRuntime
from spiegel_action_plan.wiring import ActionPlan

log = get_logger(__name__)


async def run(runtime: ActionPlanRuntime, stop: asyncio.Event) -> None:
    checks = ActionPlan.of(runtime).checks
    await every(
        runtime.settings.check_interval_s,
        checks.pass_once,
        stop,
        name="plan_checks",
        failures=PyMongoError,
        max_backoff=300,
        again_at_once=lambda found: found > 0,
        log=log,
    )
