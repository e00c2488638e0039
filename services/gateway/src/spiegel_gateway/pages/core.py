"""The gateway's own pages (sign-in, passwords, invitation links): the page context and rendering.

Every other page is the web service's (services/web); these stay at the door
because they open or close sessions, check passwords or open a respondent's
link, which are the gateway's. They share the look (layout, texts, error page)
through spiegel_pages.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

from fastapi import HTTPException, Request
from jinja2 import Environment
from spiegel_pages import look, page
from spiegel_pages.look import PageError, local_path, problem_text, remember_language
from spiegel_pages.page import COORDINATING

from spiegel_gateway.i18n import choose_language
from spiegel_gateway.request_state import state_of
from spiegel_gateway.sessions.auth import authenticate, check_csrf
from spiegel_gateway.sessions.store import Session
from spiegel_gateway.tenants.resolution import current_tenant
from spiegel_gateway.tenants.store import Tenant

HERE = Path(__file__).parent

env = look.environment(HERE / "templates")

__all__ = [
    "COORDINATING",
    "Page",
    "PageError",
    "env",
    "local_path",
    "page_of",
    "problem_text",
    "remember_language",
]


@dataclass
class Page(page.Page[Tenant, Session]):
    """A page of the gateway's own: its session is the caller."""

    env: ClassVar[Environment] = env

    def check_csrf(self, caller: Session, form_token: str) -> bool:
        try:
            check_csrf(self.request, caller, form_token=form_token)
        except HTTPException:
            return False
        return True


async def page_of(request: Request, *, platform: bool = False) -> Page:
    """The page context: hospital (404 page when unknown), the person if signed in, the language.
    `platform`: the page is also the platform's own (operators sign in and out there)."""
    state_of(request)["web_page"] = True
    tenant = await current_tenant(request)
    if tenant.is_platform and not platform:
        raise PageError(404, key="no_hospital")
    caller = await authenticate(request, tenant)
    prefix = str(state_of(request).get("tenant_prefix", "") or "")
    return Page(request, tenant, caller, choose_language(request, tenant, caller), prefix)
