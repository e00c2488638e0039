"""Every page route of the web service, and the static files."""

from __future__ import annotations

from fastapi import APIRouter
from spiegel_pages.look import static_router

from spiegel_web import (
    dashboard,
    groups,
    imports,
    nominations,
    operator,
    reports,
    respondent,
    rounds,
    settings_page,
)


def router() -> APIRouter:
    api = APIRouter(include_in_schema=False)
    for module in (
        respondent,
        dashboard,
        nominations,
        reports,
        rounds,
        groups,
        imports,
        settings_page,
        operator,
    ):
        api.include_router(module.router())
    api.include_router(static_router())
    return api
