"""The gateway for the platform: what it stores, publishes and serves, built by the platform's
`build_api` like every other service.

Middleware, outermost first: the platform's observability (correlation id created
or passed on, request log, latency) -> security (client address via trusted
proxies, request size limit 413, security headers) -> tenant routing (host or
/t/<slug>) -> CORS (only when origins are configured) -> routes. The /api/...
forwarding is matched before every other route; what no route takes (not even by
its path) is a page of the web service's.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager

from fastapi import APIRouter, FastAPI
from fastapi.middleware.cors import CORSMiddleware
from spiegel_platform.events.contracts import topics_of
from spiegel_platform.service import ServiceDefinition
from spiegel_platform.storage.repository import IndexSpec
from starlette.middleware import Middleware

from spiegel_gateway import pages
from spiegel_gateway.audit.log import COLLECTION as AUDIT_COLLECTION
from spiegel_gateway.groups import api as groups_api
from spiegel_gateway.pages.errors import install as install_error_pages
from spiegel_gateway.pages.forward import PageForwarding
from spiegel_gateway.pages.links import checkin_link_page, open_link_page, optout_page
from spiegel_gateway.people import api as people_api
from spiegel_gateway.people import import_api as people_imports
from spiegel_gateway.respondents import api as respondents_api
from spiegel_gateway.routing import jwks, proxy
from spiegel_gateway.security.headers import SecurityMiddleware
from spiegel_gateway.security.proxies import parse_networks
from spiegel_gateway.sessions import api as session_api
from spiegel_gateway.settings import GatewayRuntime, GatewaySettings
from spiegel_gateway.signin import local, oidc_api
from spiegel_gateway.tenants import api as tenants_api
from spiegel_gateway.tenants.resolution import TenantRoutingMiddleware
from spiegel_gateway.wiring import Gateway

DESCRIPTION = """The one door of Spiegel for browsers and API clients.

A hospital is addressed by its host name `<slug>.<domain>` (locally also `/t/<slug>/...`);
the bare domain is the platform (operators). Sign in with `POST /auth/login` (cookie session;
send the returned `csrf_token` as `X-CSRF-Token` with every change) or use a personal API
token (`Authorization: Bearer spg_...`). Domain services are reached under `/api/<service>/...`.
"""


def _routers(runtime: GatewayRuntime) -> Sequence[APIRouter]:
    return [
        proxy.router(),  # its documentation; `proxy.lean_route()` serves it
        local.router(),
        oidc_api.router(),
        session_api.router(),
        people_imports.router(),  # before /people/{person_id}
        people_api.router(),
        groups_api.router(),
        tenants_api.tenant_router(),
        tenants_api.operator_router(),
        respondents_api.router(open_link_page, optout_page, checkin_link_page),
        pages.router(),
        jwks.router(),
    ]


def _middleware(runtime: GatewayRuntime) -> Sequence[Middleware]:
    settings = runtime.settings
    layers = [
        Middleware(
            SecurityMiddleware,
            trusted=parse_networks(settings.split(settings.trusted_proxies)),
            max_body=settings.max_request_bytes,
        ),
        Middleware(
            TenantRoutingMiddleware, domain=settings.gateway_domain, allow_prefix=not settings.is_production
        ),
    ]
    origins = settings.split(settings.cors_allowed_origins)
    if origins:
        layers.append(
            Middleware(
                CORSMiddleware,
                allow_origins=origins,
                allow_methods=["GET", "POST", "PUT", "PATCH", "DELETE"],
                allow_headers=["authorization", "content-type", "x-correlation-id"],
                allow_credentials=False,  # API clients use bearer tokens; cookies stay same-site
            )
        )
    return layers


def _customise(app: FastAPI, runtime: GatewayRuntime) -> None:
    # The gateway's parts (wiring.py); routes and pages reach them as request.app.state.gateway.
    app.state.gateway = Gateway.of(runtime)
    install_error_pages(app)
    # What no route takes (not even by path) is a page of the web service's.
    app.router.default = PageForwarding()


@asynccontextmanager
async def _lifespan(app: FastAPI, runtime: GatewayRuntime) -> AsyncIterator[None]:
    try:
        yield
    finally:
        await app.state.gateway.aclose()  # its HTTP clients (the services, identity providers)


DEFINITION = ServiceDefinition(
    name="gateway",
    title="Spiegel gateway",
    description=DESCRIPTION,
    settings_class=GatewaySettings,
    # TenantConfigured, PersonRegistered and GroupChanged sit in these documents' outboxes.
    outbox_collections=["tenants", "people", "groups"],
    indexes={
        # Rare scans only: logout everywhere, a person's API tokens, the audit log page.
        "sessions": [IndexSpec([("person_id", 1)])],
        "api_tokens": [IndexSpec([("person_id", 1)])],
        # The people list: a hospital's people by name, a page at a time.
        "people": [IndexSpec([("display_name", 1), ("id", 1)])],
        # A person's groups (the people pages, the rounds form); the list in name order.
        "groups": [IndexSpec([("members", 1)]), IndexSpec([("name_key", 1)])],
        AUDIT_COLLECTION: [IndexSpec([("action", 1), ("id", -1)])],
    },
    produces_topics=topics_of(
        "spiegel.gateway.v1.TenantConfigured",
        "spiegel.gateway.v1.PersonRegistered",
        "spiegel.gateway.v1.GroupChanged",
    ),
    routers=_routers,
    middleware=_middleware,
    # /api/... before every router (see proxy.lean_route).
    first_routes=lambda runtime: [proxy.lean_route()],
    lifespan=_lifespan,
    customise_app=_customise,
    # Swagger UI and ReDoc need inline script and a CDN, which the CSP forbids: the OpenAPI
    # document itself is at /openapi.json.
    docs_pages=False,
    # It signs the service tokens; the caller's tokens the web pages send back it verifies with its
    # own keys (wiring.py), so it needs no SERVICE_TOKEN_JWKS.
    verifies_service_tokens=False,
)
