"""What the gateway decides about a call to /api/<service>/<path>, before and after the service.

The services check roles and objects (they know the objects); the gateway
decides only what it can know: who is calling, in which hospital, and which
calls are reads of a report or a POP (audited). A table, so a new service's
routes are one line each.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from fastapi import Request
from spiegel_platform.auth import roles

from spiegel_gateway.audit.log import AUTHORISATION_FAILED, NOTES_READ, POP_READ, REPORT_READ
from spiegel_gateway.sessions.auth import client_ip, correlation_of, gateway_of
from spiegel_gateway.sessions.store import Session
from spiegel_gateway.settings import SERVICES


@dataclass(frozen=True)
class PathRule:
    """A service's paths (a pattern over the path without its outer slashes) and what they mean."""

    service: str
    pattern: re.Pattern[str]
    meaning: str


def _meaning(rules: tuple[PathRule, ...], service: str, path: str) -> str | None:
    """The meaning of the first rule the path matches, in whatever spelling (outer or doubled
    slashes), or None."""
    plain = "/".join(segment for segment in path.split("/") if segment)
    for rule in rules:
        if rule.service == service and rule.pattern.match(plain):
            return rule.meaning
    return None


AUDITED_READS = (  # meaning: the audit action
    PathRule("aggregation", re.compile(r"^reports(/.*)?$"), REPORT_READ),
    # A facilitator's preparation holds the reports of the session's participants.
    PathRule("aggregation", re.compile(r"^sessions/[^/]+/preparation(/.*)?$"), REPORT_READ),
    PathRule("action-plan", re.compile(r"^(pops|action-plans|plans)(/.*)?$"), POP_READ),
    # The facilitator's notes: every read, by the facilitator or the participant.
    PathRule("accreditation", re.compile(r"^(sessions/[^/]+/notes(/.*)?|notes(/.*)?)$"), NOTES_READ),
)

# Objects whose service answers 404 to everyone but their owner (so nobody learns whether one
# exists): that 404 is a refusal like a 403, audited as an authorisation failure, whatever the
# method (a read, a change, a completion, a PDF).
OWNER_ONLY = (
    PathRule("action-plan", re.compile(r"^pops(/.*)?$"), AUTHORISATION_FAILED),
    # A group's action plan: only the group's current members; anyone else gets 404.
    PathRule(
        "action-plan",
        re.compile(r"^group-plans/(?!(mine|status|settings)$)[^/]+(/.*)?$"),
        AUTHORISATION_FAILED,
    ),
    # Notes: only the participant and the session's facilitators; anyone else gets 404.
    PathRule("accreditation", re.compile(r"^sessions/[^/]+/notes(/.*)?$"), AUTHORISATION_FAILED),
    # A group plan's checks: only the group's members; anyone else gets 404.
    PathRule("action-plan", re.compile(r"^group-plans/[^/]+/checks(/.*)?$"), AUTHORISATION_FAILED),
)

# Objects that only a person of one role can own (a POP is a specialist's own): the gateway
# forwards calls to them only for a caller with that role, so a coordinator, administrator,
# facilitator or board member never reaches the service's POP routes at all (the service then
# checks that the caller is the plan's owner). The answer is the service's: unknown (404),
# audited as an authorisation failure. The meaning is the owner's role.
OWNED_BY_ROLE = (PathRule("action-plan", re.compile(r"^pops(/.*)?$"), roles.SPECIALIST),)

CLOSED_CALLS = (  # meaning: why the gateway never forwards the call, whoever asks (an error code)
    # Links made by hand could fill a respondent group up to its minimum with made-up answers,
    # and the report would then show what the one real respondent answered.
    PathRule(
        "survey",
        re.compile(r"^rounds/[^/]+/assignments$"),
        "respondent_links_by_invitation_only",
    ),
    # A process's health and metrics are the operators' (scraped in the cluster), not a
    # hospital's: the metrics count every hospital's calls.
    *(
        PathRule(service, re.compile(r"^(metrics|healthz|readyz)$"), "not_part_of_service_api")
        for service in SERVICES
    ),
)


def owner_role(service: str, path: str) -> str | None:
    """The role a caller must have to reach an owner-only object's path (a POP: specialist), or None."""
    return _meaning(OWNED_BY_ROLE, service, path)


def closed_call(service: str, path: str) -> str | None:
    """Why a call is never forwarded to a service, whoever asks (the error code); None for the
    others."""
    return _meaning(CLOSED_CALLS, service, path)


def audited_read(service: str, method: str, path: str) -> str | None:
    """The audit action of a read (GET) of a report or POP, or None."""
    if method not in ("GET", "HEAD"):
        return None
    return _meaning(AUDITED_READS, service, path)


def refusal(service: str, path: str, status: int) -> str | None:
    """The audit action of a service's refusal: a 403, or a 404 of an owner-only object (a POP)."""
    if status == 403:
        return AUTHORISATION_FAILED
    if status == 404:
        return _meaning(OWNER_ONLY, service, path)
    return None


async def audit_service_answer(
    request: Request,
    *,
    tenant_id: str,
    caller: Session,
    service: str,
    method: str,
    path: str,
    status: int,
    via: str = "",
) -> None:
    """Audit a service's answer to a call made for the caller (through /api or a page): a read
    of a report or POP, and every refusal by the service (403; 404 of an owner-only object)."""
    action = refusal(service, path, status) or audited_read(service, method, path)
    if action is None:
        return
    await gateway_of(request).audit.record(
        tenant_id=tenant_id,
        action=action,
        actor=caller.subject,
        roles=caller.roles,
        target=f"{method} /api/{service}/{path.lstrip('/')}{via}",
        outcome=status,
        ip=client_ip(request),
        correlation_id=correlation_of(request),
    )
