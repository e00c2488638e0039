"""The operators' list of hospitals (issue 18): 200 hospitals, each with people and a round; the
page (`GET /ziekenhuizen`: gateway -> web service -> the gateway's operator API) beside its
baseline, the same list from the gateway's operator API directly (`GET /operator/overview`), in
the same run, at 20 requests in flight. Target: p95 of the page under 300 ms.

The deployment is the gateway benchmark's (`bench.gateway.setup`); run alone with
`.venv/bin/python -m bench hospitals`.
"""

from __future__ import annotations

from typing import Any

from bench.context import BenchContext
from bench.gateway import hospitals_list, setup


async def run(ctx: BenchContext) -> dict[str, Any]:
    _, _, watch, gateway_url = await setup(ctx)
    return await hospitals_list(ctx, watch, gateway_url)
