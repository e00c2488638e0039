"""Builds everything one gateway process needs, in one place; nothing connects at import.

Tests use the same wiring (a real process); the parts are plain attributes,
so a route (and the gateway's own pages) reaches them as `request.app.state.gateway.<part>`.
"""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import timedelta

import httpx
from spiegel_platform.auth.service_tokens import ServiceTokenVerifier
from spiegel_platform.wiring import Wiring

from spiegel_gateway.audit.log import AuditLog
from spiegel_gateway.groups.store import GroupStore
from spiegel_gateway.mail.sender import Mailer
from spiegel_gateway.operator.overview import CountsSnapshot
from spiegel_gateway.people.store import PeopleStore
from spiegel_gateway.ratelimits import Policy, RateLimiter
from spiegel_gateway.routing.client import ServiceClient
from spiegel_gateway.sealed import Sealer, master_secret
from spiegel_gateway.service_tokens import ServiceTokens, load_signing_key, parse_previous_keys
from spiegel_gateway.sessions.store import SessionStore
from spiegel_gateway.settings import GatewayRuntime, GatewaySettings
from spiegel_gateway.signin.oidc import OidcClient
from spiegel_gateway.signin.one_time import OneTimeTokens
from spiegel_gateway.storage import Store
from spiegel_gateway.tenants.store import PLATFORM_TENANT, TenantStore


class Policies:
    """The rate-limit policies, from the settings."""

    def __init__(self, settings: GatewaySettings) -> None:
        self.signin_ip = Policy("signin_ip", settings.rate_limit_signin_per_ip, 300)
        self.signin_account = Policy("signin_account", settings.rate_limit_signin_per_account, 900)
        self.reset_ip = Policy("reset_ip", settings.rate_limit_reset_per_ip, 3600)
        self.reset_account = Policy("reset_account", 3, 3600)
        self.link_ip = Policy("link_ip", settings.rate_limit_link_per_ip, 60)
        self.link_failures_ip = Policy("link_failures_ip", settings.rate_limit_link_failures_per_ip, 3600)
        self.link_token = Policy("link_token", settings.rate_limit_link_per_token, 60)
        # Wrong passwords when confirming a signature (signin/confirmation.py), per person.
        self.confirm_account = Policy("confirm_account", settings.rate_limit_confirm_per_account, 900)
        # Unknown codes on the public verification page of declarations (pages/forward.py), per IP.
        self.verify_failures_ip = Policy(
            "verify_failures_ip", settings.rate_limit_verify_failures_per_ip, 3600
        )


class Gateway(Wiring[GatewaySettings]):
    """The gateway's parts, built once per process (`Gateway.of(runtime)`; the app keeps it as
    `app.state.gateway`)."""

    def __init__(self, runtime: GatewayRuntime) -> None:
        super().__init__(runtime)
        settings = runtime.settings
        db = runtime.db
        self.sealer = Sealer(master_secret(settings))
        self.stores = Store.on(db)
        self.tenants = TenantStore(self.stores, self.sealer)
        self.people = PeopleStore(self.stores)
        self.groups = GroupStore(self.stores)
        self.sessions = SessionStore(self.stores, cache_seconds=settings.session_cache_seconds)
        self.one_time = OneTimeTokens(self.stores)
        self.audit = AuditLog(db)
        self.limiter = RateLimiter()
        self.policies = Policies(settings)
        self.tokens = ServiceTokens(
            load_signing_key(settings),
            previous=parse_previous_keys(settings.service_token_previous_keys),
            lifetime_s=settings.service_token_lifetime_s,
        )
        self.services = ServiceClient(settings, self.tokens)
        # The caller's tokens the web service calls the gateway's own API with (audience `gateway`).
        self.caller_tokens = ServiceTokenVerifier(
            json.dumps(self.tokens.jwks()), audience="gateway", issuer=self.tokens.issuer.issuer
        )
        self.outbound = httpx.AsyncClient(timeout=10.0, follow_redirects=False, trust_env=False)
        self.oidc = OidcClient(self.stores, self.outbound)
        # The platform (the bare domain) as a pseudo-tenant, with its identity provider when configured.
        self.platform_tenant = replace(
            PLATFORM_TENANT, identity_provider=settings.platform_identity_provider()
        )
        self.mailer = Mailer(settings)
        # The operators' list: people and rounds per hospital, a snapshot refreshed off the request path.
        self.counts = CountsSnapshot(self)

    @property
    def session_lifetime(self) -> timedelta:
        return timedelta(hours=self.settings.session_lifetime_h)

    @property
    def respondent_lifetime(self) -> timedelta:
        return timedelta(hours=self.settings.respondent_session_lifetime_h)

    async def aclose(self) -> None:
        await self.services.aclose()
        await self.outbound.aclose()
