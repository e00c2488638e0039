"""What every page uses: the page context (hospital, person, language, CSRF), rendering, service calls.

A page never answers with JSON: problems become a page that says what to do
(`PageError`), a page that needs a signed-in person sends the browser to the
sign-in form (`Redirect`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

from fastapi import HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, FileSystemLoader, select_autoescape
from spiegel_platform.auth import roles as role_names
from starlette.exceptions import HTTPException as StarletteHTTPException

from spiegel_gateway.i18n import LANG_COOKIE, choose_language
from spiegel_gateway.routing.client import Upstream
from spiegel_gateway.routing.policy import audit_service_answer
from spiegel_gateway.sessions.auth import authenticate, check_csrf, correlation_of, gateway_of
from spiegel_gateway.sessions.store import Session
from spiegel_gateway.tenants.resolution import current_tenant
from spiegel_gateway.tenants.store import Tenant
from spiegel_gateway.web.texts import text

HERE = Path(__file__).parent
COORDINATING = (role_names.COORDINATOR, role_names.TENANT_ADMIN)

env = Environment(
    loader=FileSystemLoader(HERE / "templates"),
    autoescape=select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
)


class PageError(Exception):
    """A page that explains a problem: status, and text keys (or ready text) for title and advice."""

    def __init__(self, status: int, message: str = "", *, key: str = "") -> None:
        super().__init__(message or key)
        self.status = status
        self.message = message
        self.key = key


class Redirect(Exception):
    def __init__(self, location: str) -> None:
        super().__init__(location)
        self.location = location


def local_path(value: str | None, default: str = "/") -> str:
    """Only a path on this site (no scheme, no //host): never an open redirect."""
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return default
    return value


@dataclass
class Page:
    request: Request
    tenant: Tenant
    caller: Session | None
    lang: str

    @property
    def prefix(self) -> str:
        return str(getattr(self.request.state, "tenant_prefix", "") or "")

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
    def is_specialist(self) -> bool:
        return role_names.SPECIALIST in self.roles

    @property
    def is_admin(self) -> bool:
        return role_names.TENANT_ADMIN in self.roles

    @property
    def here(self) -> str:
        """The current page (without the hospital prefix), for `next` after sign-in or a language switch."""
        query = self.request.url.query
        return self.request.url.path + (f"?{query}" if query else "")

    def lang_url(self, lang: str) -> str:
        return self.url("/taal", lang=lang, next=self.here)

    def label(self, item: dict[str, Any], base: str = "label") -> str:
        return str(item.get(f"{base}_{self.lang}") or item.get(f"{base}_nl") or item.get("code") or "")

    # -- answers ----------------------------------------------------------------------------
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

    # -- guards -----------------------------------------------------------------------------
    def require(self, *wanted: str) -> Session:
        caller = self.caller
        if caller is None or caller.kind != "person":
            raise Redirect(self.url("/inloggen", next=self.here))
        if wanted and not set(caller.roles) & set(wanted):
            raise PageError(403, key="forbidden_role")
        return caller

    async def form(self) -> dict[str, Any]:
        """The posted form, after the CSRF check (every form carries `csrf_token`)."""
        try:
            form = await self.request.form()
        except StarletteHTTPException:
            raise  # e.g. 413 from the size limit: its own page
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

    # -- the services -------------------------------------------------------------------------
    async def call(
        self,
        service: str,
        method: str,
        path: str,
        *,
        json_body: Any = None,
        content: bytes | None = None,
        headers: dict[str, str] | None = None,
        query: dict[str, Any] | None = None,
    ) -> Upstream:
        caller = self.caller
        assert caller is not None
        gateway = gateway_of(self.request)
        sent = {"accept": "application/json", "accept-language": self.lang, **(headers or {})}
        if json_body is not None:
            content = json.dumps(json_body).encode()
            sent["content-type"] = "application/json"
        upstream: Upstream = await gateway.services.call(
            service,
            method,
            path,
            caller=caller,
            correlation_id=correlation_of(self.request),
            content=content,
            headers=sent,
            query=urlencode({k: v for k, v in (query or {}).items() if v is not None}),
        )
        if upstream.status_code == 401:
            raise PageError(502, key="service_credentials")
        await audit_service_answer(
            self.request,
            tenant_id=self.tenant.tenant_id,
            caller=caller,
            service=service,
            method=method,
            path=path,
            status=upstream.status_code,
            via=" (page)",
        )
        return upstream

    async def data(self, service: str, method: str, path: str, **kwargs: Any) -> Any:
        """A service's JSON answer; a refusal becomes the matching error page."""
        upstream = await self.call(service, method, path, **kwargs)
        if upstream.is_success:
            return json.loads(upstream.content or b"null")
        raise PageError(upstream.status_code, problem_text(upstream, self.lang))


def form_number(value: str, *, digits: int = 6) -> int | None:
    """A whole number posted by a form, or None: ASCII digits only ('²'.isdigit() holds, and
    int() refuses thousands of digits), at most `digits` of them."""
    return int(value) if value.isascii() and value.isdigit() and len(value) <= digits else None


def problem_text(upstream: Upstream, lang: str) -> str:
    """What a service said was wrong, in the reader's language where the service gave both."""
    try:
        body = json.loads(upstream.content)
    except ValueError:
        return ""
    if not isinstance(body, dict):
        return ""
    detail = body.get("detail", body)
    if isinstance(detail, dict):
        body = detail
    for key in (f"message_{lang}", "message"):
        value = body.get(key)
        if isinstance(value, str) and value:
            return pick_language(value, lang)
    if isinstance(detail, str):
        return pick_language(detail, lang)
    return ""


def pick_language(message: str, lang: str) -> str:
    """Services write some messages as "Nederlands / English": show the reader's half."""
    if " / " in message and message.count(" / ") == 1:
        nl, en = message.split(" / ")
        return en if lang == "en" else nl
    return message


def remember_language(response: Response, lang: str) -> None:
    response.set_cookie(LANG_COOKIE, lang, max_age=365 * 86400, samesite="lax", httponly=True)


async def page_of(request: Request) -> Page:
    """The page context: hospital (404 page when unknown), the person if signed in, the language."""
    request.state.web_page = True
    tenant = await current_tenant(request)
    if tenant.is_platform:
        raise PageError(404, key="no_hospital")
    caller = await authenticate(request, tenant)
    return Page(request, tenant, caller, choose_language(request, tenant, caller))


def quoted(value: str) -> str:
    return quote(value, safe="")
