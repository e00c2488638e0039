"""The gateway's own pages: sign-in and sign-out, the language switch, the password pages behind
the e-mail links, a respondent's link (opening it, the opt-out), and the error pages of what the
gateway refuses itself. Every other page belongs to the web service, to which `forward.py` passes
page requests (services/web/README.md). The look is shared: spiegel_pages.
"""

from __future__ import annotations

from fastapi import APIRouter
from spiegel_pages.look import static_router

from spiegel_gateway.pages import account, passwords


def router() -> APIRouter:
    api = APIRouter(include_in_schema=False)
    for module in (account, passwords):
        api.include_router(module.router())
    # The stylesheet and script of the shared look, for the gateway's own pages and every other.
    api.include_router(static_router())
    return api
