"""Error pages: a page (not JSON) for every problem on a page the gateway answers itself, saying
what to do next: its own pages (sign-in, passwords, links), and a page request it refuses before the
web service sees it (an unknown hospital, over the size limit, too many requests, the web service
down).

The handlers are the shared ones (`spiegel_pages.errors`); what is the gateway's own: its page
routes (this package), the paths that are its API and never a page, and its request size limit.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import cast

from fastapi import FastAPI, Request
from fastapi.responses import Response
from spiegel_pages.errors import DEFAULT_LIMIT, ErrorPages
from starlette.exceptions import HTTPException as StarletteHTTPException

from spiegel_gateway.pages.core import Page
from spiegel_gateway.tenants.resolution import HospitalSuspended

API_PREFIXES = (
    "/api/",
    "/auth/",
    "/operator/",
    "/people",
    "/tenant",
    "/audit",
    "/respondent/",
    "/.well-known/",
)


def _limit(request: Request) -> int:
    app = request.scope.get("app")
    gateway = getattr(getattr(app, "state", None), "gateway", None)
    return int(getattr(getattr(gateway, "settings", None), "max_request_bytes", DEFAULT_LIMIT))


PAGES = ErrorPages(
    page=Page,
    modules="spiegel_gateway.pages",
    not_a_page=lambda path: path.startswith(API_PREFIXES),
    limit=_limit,
)


def install(app: FastAPI) -> None:
    """Page-aware handlers in front of the platform's JSON ones."""
    PAGES.install(app)
    # The page-aware handler just installed (an async function).
    on_http = cast(
        Callable[[Request, Exception], Awaitable[Response]], app.exception_handlers[StarletteHTTPException]
    )

    async def on_suspended(request: Request, error: Exception) -> Response:
        # A suspended hospital's people and respondents read why, in their language, on a page.
        if PAGES.is_page(request):
            return PAGES.error_page(request, 403, key="hospital_suspended")
        return await on_http(request, error)

    app.add_exception_handler(HospitalSuspended, on_suspended)
