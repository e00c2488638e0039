"""Builds the parts of one action-plan process, in one place; nothing connects at import.

Routers and handlers take their parts from `ActionPlan.of(runtime)`. A test replaces a part by
wiring the runtime first: `ActionPlan(runtime, keyring=...)`.
"""

from __future__ import annotations

from spiegel_platform.storage.stores import Stores
from spiegel_platform.wiring import Wiring

from spiegel_action_plan.checks.service import Checks
from spiegel_action_plan.group_plans.service import GroupPlans
from spiegel_action_plan.pops.sealing import Keyring
from spiegel_action_plan.pops.service import Pops
from spiegel_action_plan.settings import ActionPlanRuntime, ActionPlanSettings
from spiegel_action_plan.storage import Store


class ActionPlan(Wiring[ActionPlanSettings]):
    def __init__(
        self,
        runtime: ActionPlanRuntime,
        *,
        stores: Stores[Store] | None = None,
        keyring: Keyring | None = None,
        pops: Pops | None = None,
        group_plans: GroupPlans | None = None,
        checks: Checks | None = None,
    ) -> None:
        super().__init__(runtime)
        # Each tenant's collections, made once per process.
        self.stores = stores if stores is not None else Store.on(runtime.db)
        # The key encryption keys of the settings (newest first).
        self.keyring = keyring if keyring is not None else runtime.settings.keyring()
        # The steps on POPs (owner checks, sealing, events), for every tenant.
        self.pops = (
            pops if pops is not None else Pops(self.stores, self.keyring, runtime.settings.data_key_cache_s)
        )
        # The steps on the groups' action plans (members only, versions, history, events).
        self.group_plans = group_plans if group_plans is not None else GroupPlans(self.stores)
        # The group plans' periodic checks: made when due, reminded, answered.
        self.checks = checks if checks is not None else Checks(self.stores, runtime.settings.check_batch_size)
