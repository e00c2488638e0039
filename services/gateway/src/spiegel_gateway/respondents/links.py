"""A respondent's personal link at the door: who it stands for before a session exists, and the
rate limits that make guessing links useless. Used by the JSON routes (respondents/api.py) and by
the pages that open a link in a browser."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from fastapi import Request
from spiegel_platform.errors import ApiError
from spiegel_platform.links import hash_link_token, looks_like_link_token

from spiegel_gateway.routing.client import Upstream
from spiegel_gateway.sessions.auth import client_ip, gateway_of
from spiegel_gateway.sessions.store import Session
from spiegel_gateway.tenants.store import Tenant

SURVEY = "survey"
INVITATION = "invitation"
ACCREDITATION = "accreditation"
GONE = (404, 409, 410)  # unknown or withdrawn; already submitted; expired or closed


def link_caller(tenant: Tenant, link_hash: str, language: str) -> Session:
    """The principal of a link before its session exists (not stored)."""
    return Session(
        id=f"link:{link_hash}",
        tenant_id=tenant.tenant_id,
        kind="respondent",
        subject=f"link:{link_hash}",
        roles=("respondent",),
        email="",
        name="",
        language=language,
        csrf="",
        expires_at=datetime.now(UTC),
        link_hash=link_hash,
    )


def wants_html(request: Request) -> bool:
    return "text/html" in request.headers.get("accept", "")


def language_of(upstream: Upstream, default: str) -> str:
    """The language the survey service chose for the questionnaire (the invitation's, or the chosen)."""
    try:
        language = json.loads(upstream.content).get("language")
    except (ValueError, AttributeError):
        return default
    return language if language in ("nl", "en") else default


def throttle_link(request: Request, token: str) -> str:
    """Rate limits of link requests; the token's hash when it may be tried.

    Every attempt counts as a failure up front and is refunded once the link
    turns out to open something: concurrent guesses cannot slip past the limit
    while the survey service is still answering the first ones.
    """
    gateway = gateway_of(request)
    limiter, policies, ip = gateway.limiter, gateway.policies, client_ip(request)
    limiter.hit(policies.link_failures_ip, ip)
    limiter.hit(policies.link_ip, ip)
    if not looks_like_link_token(token):
        raise ApiError(404, "link_not_valid")
    link_hash = hash_link_token(token)
    limiter.hit(policies.link_token, link_hash)
    return link_hash


def link_worked(request: Request) -> None:
    gateway = gateway_of(request)
    gateway.limiter.refund(gateway.policies.link_failures_ip, client_ip(request))
