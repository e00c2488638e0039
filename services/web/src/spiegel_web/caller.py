"""Who is asking for a page, as the gateway says in its page token (audience `web`).

The gateway authenticates the browser (session cookie, API token or a
respondent's link) and signs, per page request, a short-lived token with what
the pages need: the hospital, the person (or the respondent's link), the
session's CSRF token, the address prefix. Nothing else of the request is
believed: no bare header names a person or a hospital.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from spiegel_platform import anonymity
from spiegel_platform.auth.service_tokens import Principal

PAGE_CLAIM = "page"
CALLER_HEADER = "x-spiegel-caller"  # the caller's token for the domain services (see README)


@dataclass(frozen=True)
class Hospital:
    tenant_id: str
    slug: str
    name: str
    languages: tuple[str, ...]
    time_zone: str
    min_group_size: int
    identity_provider: bool
    activation_mail_interval_minutes: int = 60  # the gateway's default when an older token has none

    @property
    def default_language(self) -> str:
        # The first language is the default (as the invitation service reads TenantConfigured).
        return self.languages[0] if self.languages else "nl"


@dataclass(frozen=True)
class Caller:
    """A signed-in person, or a respondent's link session (kind "respondent")."""

    id: str
    kind: str
    subject: str
    roles: tuple[str, ...]
    email: str
    name: str
    language: str
    csrf: str
    via: str  # "cookie" (CSRF checked on changes) or "bearer"
    token: str  # the caller's service token for the domain services and the gateway
    link_token: str | None = None
    # Signed in with the hospital's identity provider (its host): a signing asks it again instead
    # of a password ("" for a password).
    sign_with: str = ""


@dataclass(frozen=True)
class PageContext:
    hospital: Hospital
    caller: Caller | None
    prefix: str
    host: str


def context_of(principal: Principal, caller_token: str) -> PageContext:
    page: dict[str, Any] = principal.claims.get(PAGE_CLAIM) or {}
    tenant = page.get("tenant") or {}
    hospital = Hospital(
        tenant_id=principal.tenant_id,
        slug=str(tenant.get("slug", "")),
        name=str(tenant.get("name", "")),
        languages=tuple(tenant.get("languages") or ("nl",)),
        time_zone=str(tenant.get("time_zone", "Europe/Amsterdam")),
        min_group_size=anonymity.threshold(tenant.get("min_group_size")),
        identity_provider=bool(tenant.get("identity_provider")),
        activation_mail_interval_minutes=int(tenant.get("activation_mail_interval_minutes", 60)),
    )
    caller = None
    if page.get("kind") in ("person", "respondent"):
        caller = Caller(
            id=str(page.get("session", "")),
            kind=str(page["kind"]),
            subject=principal.subject,
            roles=tuple(str(r) for r in principal.claims.get("roles", [])),
            email=str(principal.claims.get("email", "")),
            name=str(principal.claims.get("name", "")),
            language=str(principal.claims.get("lang", "nl")),
            csrf=str(page.get("csrf", "")),
            via=str(page.get("via", "")),
            token=caller_token,
            link_token=page.get("link"),
            sign_with=str(page.get("sign_with", "")),
        )
    return PageContext(hospital, caller, str(page.get("prefix", "")), str(page.get("host", "")))
