"""The web service for the platform: pages only, no database, no events."""

from __future__ import annotations

from fastapi import FastAPI
from spiegel_platform.service import Runtime, ServiceDefinition

from spiegel_web import errors, pages
from spiegel_web.audit import AuditHeaderMiddleware
from spiegel_web.settings import WebSettings
from spiegel_web.upstream import Services


def _customise(app: FastAPI, runtime: Runtime) -> None:
    assert isinstance(runtime.settings, WebSettings)
    services = Services(runtime.settings)
    app.state.services = services
    errors.install(app)
    app.add_middleware(AuditHeaderMiddleware)


DEFINITION = ServiceDefinition(
    name="web",
    title="Spiegel web pages",
    description="The server-rendered pages behind the gateway; calls the domain services as the caller.",
    settings_class=WebSettings,
    routers=lambda runtime: [pages.router()],
    storage=False,
    customise_app=_customise,
)
