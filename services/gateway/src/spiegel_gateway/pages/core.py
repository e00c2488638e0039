"""The gateway's own pages (sign-in, passwords, invitation links): the page context and rendering.

Every other page is the web service's (services/web); these stay at the door
because they open or close sessions, check passwords or open a respondent's
link, which are the gateway's. They share the look (layout, texts, error page)
through spiegel_pages.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from fastapi import HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from spiegel_pages import look
from spiegel_pages.look import PageError, local_path, problem_text, remember_language
from spiegel_pages.texts import text
from spiegel_platform.auth import roles as role_names
from starlette.exceptions import HTTPException as StarletteHTTPException

from spiegel_gateway.i18n import choose_language
from spiegel_gateway.request_state import state_of
from spiegel_gateway.sessions.auth import authenticate, check_csrf
from spiegel_gateway.sessions.store import Session
from spiegel_gateway.tenants.resolution import current_tenant
from spiegel_gateway.tenants.store import Tenant

HERE = Path(__file__).parent
COORDINATING = (role_names.COORDINATOR, role_names.TENANT_ADMIN)

env = look.environment(HERE / "templates")

__all__ = ["Page", "PageError", "env", "local_path", "page_of", "problem_text", "remember_language"]


@dataclass
class Page:
    request: Request
    tenant: Tenant
    caller: Session | None
    lang: str

    @property
    def prefix(self) -> str:
        return str(state_of(self.request).get("tenant_prefix", "") or "")

    def url(self, path: str, **query: Any) -> str:
        shown = {k: v for k, v in query.items() if v not in (None, "")}
        return self.prefix + path + (f"?{urlencode(shown)}" if shown else "")

    def t(self, key: str, **values: Any) -> str:
        return text(key, self.lang, **values)

    @property
    def csrf(self) -> str:
        return self.caller.csrf if self.caller is not None else ""

    @property
    def roles(self) -> tuple[str, ...]:
        return self.caller.roles if self.caller is not None and self.caller.kind == "person" else ()

    @property
    def is_coordinator(self) -> bool:
        return bool(set(self.roles) & set(COORDINATING))

    @property
    def here(self) -> str:
        query = self.request.url.query
        return self.request.url.path + (f"?{query}" if query else "")

    def lang_url(self, lang: str) -> str:
        return self.url("/taal", lang=lang, next=self.here)

    def render(self, template: str, status: int = 200, **values: Any) -> HTMLResponse:
        html = env.get_template(template).render(page=self, t=self.t, **values)
        response = HTMLResponse(html, status_code=status)
        response.headers["cache-control"] = "no-store"
        explicit = self.request.query_params.get("lang")
        if explicit is not None and explicit in self.tenant.languages:
            remember_language(response, explicit)
        return response

    def redirect(self, path: str, **query: Any) -> RedirectResponse:
        return RedirectResponse(self.url(path, **query), status_code=303)

    async def form(self) -> dict[str, Any]:
        """The posted form, after the CSRF check (every form carries `csrf_token`)."""
        try:
            form = await self.request.form()
        except StarletteHTTPException:
            raise
        except Exception:
            raise PageError(400, key="bad_form") from None
        caller = self.caller
        if caller is None:
            raise PageError(403, key="session_expired")
        token = form.get("csrf_token")
        try:
            check_csrf(self.request, caller, form_token=token if isinstance(token, str) else "")
        except HTTPException:
            raise PageError(403, key="csrf") from None
        return {k: form.getlist(k) if len(form.getlist(k)) > 1 else form.get(k) for k in form}


async def page_of(request: Request) -> Page:
    """The page context: hospital (404 page when unknown), the person if signed in, the language."""
    state_of(request)["web_page"] = True
    tenant = await current_tenant(request)
    if tenant.is_platform:
        raise PageError(404, key="no_hospital")
    caller = await authenticate(request, tenant)
    return Page(request, tenant, caller, choose_language(request, tenant, caller))
