"""The web service for the platform: pages only, no database, no events."""

from __future__ import annotations

from collections.abc import Sequence

from fastapi import FastAPI
from spiegel_platform.service import ServiceDefinition
from starlette.middleware import Middleware

from spiegel_web import errors, pages
from spiegel_web.audit import AuditHeaderMiddleware
from spiegel_web.settings import WebRuntime, WebSettings
from spiegel_web.upstream import Services


def _customise(app: FastAPI, runtime: WebRuntime) -> None:
    app.state.services = Services(runtime.settings)
    errors.install(app)


def _middleware(runtime: WebRuntime) -> Sequence[Middleware]:
    # Inside the platform's observability middleware, like every service's own middleware.
    return [Middleware(AuditHeaderMiddleware)]


DEFINITION = ServiceDefinition(
    name="web",
    title="Spiegel web pages",
    description="The server-rendered pages behind the gateway; calls the domain services as the caller.",
    settings_class=WebSettings,
    routers=lambda runtime: [pages.router()],
    storage=False,
    customise_app=_customise,
    middleware=_middleware,
)
