"""The group plans' checks on their schedule: a background job of the consumer process.

Every `CHECK_INTERVAL_S` (60 s) a pass makes the checks of due plans, sends the reminders that
came due and finishes answered checks a crash interrupted (`Checks.pass_once`, each step exactly
once: see checks/service.py); a pass that found work is followed at once by the next, so a
backlog after downtime is worked off in batches of `CHECK_BATCH_SIZE` without waiting. The same
pass makes the board's yearly overviews that came due (board/yearly.py, once per hospital and year).
"""

from __future__ import annotations

import asyncio

from pymongo.errors import PyMongoError
from spiegel_platform.logging import get_logger
from spiegel_platform.periodic import every

from spiegel_action_plan.board.yearly import YearlyOverviews
from spiegel_action_plan.settings import ActionPlanRuntime
from spiegel_action_plan.wiring import ActionPlan

log = get_logger(__name__)


async def run(runtime: ActionPlanRuntime, stop: asyncio.Event) -> None:
    plan = ActionPlan.of(runtime)
    checks, yearly = plan.checks, YearlyOverviews(plan.stores)

    async def one_pass() -> int:
        return await checks.pass_once() + await yearly.make_due()

    await every(
        runtime.settings.check_interval_s,
        one_pass,
        stop,
        name="plan_checks",
        failures=PyMongoError,
        max_backoff=300,
        again_at_once=lambda found: found > 0,
        log=log,
    )
