"""`python -m spiegel_action_plan.rotate_keys`: re-wrap every data key not wrapped by the newest
KEK of POP_KEY_ENCRYPTION_KEYS, at once (the consumer also does it in the background; see
pops/rotation.py). Prints how many; 0 means the older KEKs may be removed from the settings."""

from __future__ import annotations

import asyncio
import sys

from spiegel_platform.service import Runtime
from spiegel_platform.settings import load_settings

from spiegel_action_plan.definition import DEFINITION
from spiegel_action_plan.pops.rotation import rewrap
from spiegel_action_plan.settings import ActionPlanSettings
from spiegel_action_plan.wiring import ActionPlan


def main() -> int:
    settings = load_settings(ActionPlanSettings, "spiegel-action-plan rotation")
    runtime = Runtime(DEFINITION, settings)

    async def go() -> int:
        try:
            parts = ActionPlan.of(runtime)
            count = await rewrap(parts.stores, parts.keyring)
            print(f"re-wrapped {count} data key(s) with {parts.keyring.newest}")
            return 0
        finally:
            await runtime.close()

    return asyncio.run(go())


if __name__ == "__main__":
    sys.exit(main())
