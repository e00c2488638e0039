"""The gateway's FastAPI app: platform basics (health, metrics, correlation ids, errors) plus the door.

Middleware, outermost first: observability (correlation id created or passed
on, request log, latency) -> security (client address via trusted proxies,
request size limit 413, security headers) -> tenant routing (host or /t/<slug>)
-> CORS (only when origins are configured) -> routes.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.openapi.utils import get_openapi
from fastapi.responses import JSONResponse
from spiegel_platform.app import ObservabilityMiddleware, create_app
from spiegel_platform.health import kafka_check, mongo_check

from spiegel_gateway import pages
from spiegel_gateway.pages.errors import install as install_error_pages
from spiegel_gateway.pages.forward import PageForwarding
from spiegel_gateway.pages.links import open_link_page, optout_page
from spiegel_gateway.people import api as people_api
from spiegel_gateway.respondents import api as respondents_api
from spiegel_gateway.routing import proxy
from spiegel_gateway.security.headers import SecurityMiddleware
from spiegel_gateway.security.proxies import parse_networks
from spiegel_gateway.sessions import api as session_api
from spiegel_gateway.settings import GatewayRuntime
from spiegel_gateway.signin import local, oidc_api
from spiegel_gateway.tenants import api as tenants_api
from spiegel_gateway.tenants.resolution import TenantRoutingMiddleware
from spiegel_gateway.wiring import Gateway

DOC_PAGES = ("/docs", "/docs/oauth2-redirect", "/redoc")
DESCRIPTION = """The one door of Spiegel for browsers and API clients.

A hospital is addressed by its host name `<slug>.<domain>` (locally also `/t/<slug>/...`);
the bare domain is the platform (operators). Sign in with `POST /auth/login` (cookie session;
send the returned `csrf_token` as `X-CSRF-Token` with every change) or use a personal API
token (`Authorization: Bearer spg_...`). Domain services are reached under `/api/<service>/...`.
"""


def build_app(runtime: GatewayRuntime) -> FastAPI:
    settings = runtime.settings
    gateway = Gateway(runtime)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await runtime.prepare_storage()
        try:
            yield
        finally:
            await gateway.aclose()
            await runtime.close()

    app = create_app(
        service="gateway",
        title="Spiegel gateway",
        description=DESCRIPTION,
        routers=[
            proxy.router(),  # its documentation; `proxy.lean_route()` serves it
            local.router(),
            oidc_api.router(),
            session_api.router(),
            people_api.router(),
            tenants_api.tenant_router(),
            tenants_api.operator_router(),
            respondents_api.router(open_link_page, optout_page),
            pages.router(),
        ],
        readiness_checks=[mongo_check(runtime.db), kafka_check(settings)],
        lifespan=lifespan,
        texts=("spiegel_gateway",),
    )
    # Swagger UI and ReDoc need inline script and a CDN, which the CSP forbids: the
    # OpenAPI document itself is at /openapi.json.
    app.router.routes = [r for r in app.router.routes if getattr(r, "path", "") not in DOC_PAGES]
    app.router.routes.insert(0, proxy.lean_route())  # /api/... before every router (see its docstring)
    app.state.gateway = gateway
    app.state.runtime = runtime
    install_error_pages(app)
    # What no route takes (not even by path) is a page of the web service's.
    app.router.default = PageForwarding()

    @app.get("/.well-known/jwks.json", include_in_schema=False)
    async def jwks() -> JSONResponse:
        """The public keys services verify service tokens with (current and, during a rotation, previous)."""
        return JSONResponse(gateway.tokens.jwks(), headers={"cache-control": "public, max-age=60"})

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = get_openapi(
                title=app.title, version=app.version, description=app.description, routes=app.routes
            )
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]

    # Added innermost first; Starlette runs the last added outermost.
    origins = settings.split(settings.cors_allowed_origins)
    if origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=origins,
            allow_methods=["GET", "POST", "PUT", "PATCH", "DELETE"],
            allow_headers=["authorization", "content-type", "x-correlation-id"],
            allow_credentials=False,  # API clients use bearer tokens; cookies stay same-site
        )
    app.add_middleware(
        TenantRoutingMiddleware, domain=settings.gateway_domain, allow_prefix=not settings.is_production
    )
    app.add_middleware(
        SecurityMiddleware,
        trusted=parse_networks(settings.split(settings.trusted_proxies)),
        max_body=settings.max_request_bytes,
    )
    # The platform's observability middleware must stay outermost (correlation id on every answer).
    app.user_middleware = [m for m in app.user_middleware if m.cls is not ObservabilityMiddleware]
    app.add_middleware(ObservabilityMiddleware, service="gateway")
    return app
