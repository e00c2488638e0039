"""What the gateway decides about a call to /api/<service>/<path>, before and after the service.

The services check roles and objects (they know the objects); the gateway
decides only what it can know: who is calling, in which hospital, and which
calls are reads of a report or a POP (audited). A table, so a new service's
routes are one line each.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from spiegel_gateway.audit.log import POP_READ, REPORT_READ


@dataclass(frozen=True)
class AuditedRead:
    service: str
    pattern: re.Pattern[str]
    action: str


AUDITED_READS = (
    AuditedRead("aggregation", re.compile(r"^reports(/.*)?$"), REPORT_READ),
    AuditedRead("action-plan", re.compile(r"^(pops|action-plans|plans)(/.*)?$"), POP_READ),
)


def audited_read(service: str, method: str, path: str) -> str | None:
    """The audit action of a read (GET) of a report or POP, or None."""
    if method not in ("GET", "HEAD"):
        return None
    for rule in AUDITED_READS:
        if rule.service == service and rule.pattern.match(path.strip("/")):
            return rule.action
    return None
