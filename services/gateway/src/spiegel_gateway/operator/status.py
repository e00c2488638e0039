"""The platform's status for operators: each service's readiness and what its /metrics says.

The addresses are the routing table's (every service behind the gateway) and the web service's.
Each service is asked for `/readyz` and `/metrics` at once, with a timeout of its own: a dead or
hanging service is "not reachable" after `PROBE_TIMEOUT_S`, never a hanging page. The metrics are
the platform's own readings of the service (`spiegel_backlog_*`, spiegel_platform.backlog: the
api process reads them from the broker and its database, so they hold for the service wherever its
relay and consumers run), read with prometheus_client's parser: consumer lag, outbox backlog and
dead letters, each summed (None when the service exports none: the web pages have no events).
"""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
from prometheus_client.parser import text_string_to_metric_families
from pydantic import BaseModel

from spiegel_gateway.settings import SERVICES

PROBE_TIMEOUT_S = 2.0
WEB = "web"


class ServiceStatus(BaseModel):
    service: str
    deployed: bool
    reachable: bool
    ready: bool
    checks: dict[str, Any] = {}
    consumer_lag: int | None = None
    outbox_backlog: int | None = None
    dead_letters: int | None = None


# The platform's readings of a service as a whole (spiegel_platform.backlog: its api process reads
# the broker and its database), whichever processes of it run where.
READINGS = {
    "spiegel_backlog_consumer_lag": "consumer_lag",
    "spiegel_backlog_outbox": "outbox_backlog",
    "spiegel_backlog_dead_letters": "dead_letters",
}


def read_metrics(text: str) -> dict[str, int | None]:
    """Pure: the three numbers from a Prometheus text exposition, each summed over its labels
    (None: not exported, e.g. a service without consumers has no lag)."""
    found: dict[str, int | None] = dict.fromkeys(READINGS.values())
    for family in text_string_to_metric_families(text):
        key = READINGS.get(family.name)
        if key is not None and family.samples:
            found[key] = int(sum(s.value for s in family.samples))
    return found


async def probe(client: httpx.AsyncClient, service: str, base: str | None) -> ServiceStatus:
    if base is None:
        return ServiceStatus(service=service, deployed=False, reachable=False, ready=False)

    async def both() -> tuple[httpx.Response, httpx.Response]:
        ready, metrics = await asyncio.gather(client.get(f"{base}/readyz"), client.get(f"{base}/metrics"))
        return ready, metrics

    try:
        ready, metrics = await asyncio.wait_for(both(), PROBE_TIMEOUT_S)
    except (TimeoutError, httpx.HTTPError, OSError):
        return ServiceStatus(service=service, deployed=True, reachable=False, ready=False)
    try:
        report = ready.json()
    except ValueError:
        report = {}
    numbers = read_metrics(metrics.text) if metrics.status_code == 200 else {}
    return ServiceStatus(
        service=service,
        deployed=True,
        reachable=True,
        ready=ready.status_code == 200 and bool(report.get("ready", False)),
        checks=report.get("checks", {}) if isinstance(report, dict) else {},
        **numbers,
    )


async def platform_status(gateway: Any) -> list[ServiceStatus]:
    names = [*sorted(SERVICES), WEB]
    timeout = httpx.Timeout(PROBE_TIMEOUT_S, connect=min(1.0, PROBE_TIMEOUT_S))
    async with httpx.AsyncClient(timeout=timeout, trust_env=False, follow_redirects=False) as client:
        return list(await asyncio.gather(*(probe(client, n, gateway.settings.service_url(n)) for n in names)))
