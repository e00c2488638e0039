"""Error pages: a page (not JSON) for every problem on a web page, saying what to do next.

The handlers are the shared ones (`spiegel_pages.errors`); what is the web service's own: its page
routes (this package), the platform's paths (never a page), and a refused page token, which stays
JSON so that the gateway tells it from a page's own 401.
"""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import Response
from spiegel_pages.errors import ErrorPages
from spiegel_pages.look import SHOWN

from spiegel_web.core import Page, TokenRefused

PLATFORM_PATHS = ("/healthz", "/readyz", "/metrics")

__all__ = ["SHOWN", "error_page", "install", "is_page"]

PAGES = ErrorPages(
    page=Page,
    modules="spiegel_web",
    not_a_page=lambda path: path in PLATFORM_PATHS,
    json_only=(TokenRefused,),
)


def is_page(request: Request) -> bool:
    return PAGES.is_page(request)


def error_page(request: Request, status: int, message: str = "", key: str = "") -> Response:
    return PAGES.error_page(request, status, message, key)


def install(app: FastAPI) -> None:
    """Page-aware handlers in front of the platform's JSON ones."""
    PAGES.install(app)
