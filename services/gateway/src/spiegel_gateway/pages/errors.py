"""Error pages: a page (not JSON) for every problem on a page the gateway answers itself, saying
what to do next: its own pages (sign-in, passwords, links), and a page request it refuses before the
web service sees it (an unknown hospital, over the size limit, too many requests, the web service
down).

The platform's handlers answer API calls with JSON; these handlers take over
for requests that are pages: a route of this package, a request for the web
service, or a browser (Accept: text/html) asking for a path nothing serves. 401
on a page sends the browser to the sign-in form.
"""

from __future__ import annotations

import inspect
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse, Response
from spiegel_pages.look import LANG_COOKIE, PageError, Redirect, error_html, local_path
from spiegel_platform.logging import get_logger
from starlette.exceptions import HTTPException as StarletteHTTPException

from spiegel_gateway.pages.core import Page, env

log = get_logger(__name__)
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


def is_page(request: Request) -> bool:
    if getattr(request.state, "web_page", False):
        return True
    endpoint = request.scope.get("endpoint")
    if endpoint is not None and str(getattr(endpoint, "__module__", "")).startswith("spiegel_gateway.pages"):
        return True
    path = request.url.path
    return (
        request.method == "GET"
        and "text/html" in request.headers.get("accept", "")
        and not path.startswith(API_PREFIXES)
    )


def _language(request: Request) -> str:
    tenant = getattr(request.state, "tenant", None)
    offered = tenant.languages if tenant is not None else ("nl", "en")
    for chosen in (request.query_params.get("lang"), request.cookies.get(LANG_COOKIE)):
        if chosen in offered:
            return str(chosen)
    caller = getattr(request.state, "caller", None)
    if caller and getattr(caller, "language", None) in offered:
        return str(caller.language)
    return "nl"


def error_page(request: Request, status: int, message: str = "", key: str = "") -> Response:
    lang = _language(request)
    tenant = getattr(request.state, "tenant", None)
    caller = getattr(request.state, "caller", None)
    page = Page(request, tenant, caller if caller else None, lang) if tenant is not None else None
    app = request.scope.get("app")
    gateway = getattr(getattr(app, "state", None), "gateway", None)
    limit = int(getattr(getattr(gateway, "settings", None), "max_request_bytes", 1_048_576))
    return error_html(
        env,
        page=page,
        lang=lang,
        status=status,
        message=message,
        key=key,
        prefix=str(getattr(request.state, "tenant_prefix", "") or ""),
        path=request.url.path,
        correlation_id=str(getattr(request.state, "correlation_id", "")),
        limit=limit,
    )


async def _json(handler: Any, request: Request, error: Exception) -> Response:
    """The platform's own (JSON) handler, for everything that is not a page."""
    answer = handler(request, error)
    if inspect.isawaitable(answer):
        answer = await answer
    assert isinstance(answer, Response)
    return answer


def install(app: FastAPI) -> None:
    """Page-aware handlers in front of the platform's JSON ones."""
    json_http = app.exception_handlers[StarletteHTTPException]
    json_invalid = app.exception_handlers[RequestValidationError]
    json_unexpected = app.exception_handlers[Exception]

    async def on_http(request: Request, error: Exception) -> Response:
        assert isinstance(error, StarletteHTTPException)
        if not is_page(request):
            return await _json(json_http, request, error)
        if error.status_code == 401:
            prefix = str(getattr(request.state, "tenant_prefix", "") or "")
            return RedirectResponse(f"{prefix}/inloggen?next={local_path(request.url.path)}", status_code=303)
        detail = error.detail
        message = detail.get("message", "") if isinstance(detail, dict) else str(detail or "")
        # 404 says nothing of what was looked for; 413 says it in the page's own words.
        shown = message if error.status_code not in (404, 413) else ""
        return error_page(request, error.status_code, shown)

    async def on_invalid(request: Request, error: Exception) -> Response:
        if not is_page(request):
            return await _json(json_invalid, request, error)
        return error_page(request, 400, key="bad_request")

    async def on_page_error(request: Request, error: Exception) -> Response:
        assert isinstance(error, PageError)
        if error.status == 401:
            key = error.key or "session_expired"
            return error_page(request, 401, key=key)
        return error_page(request, error.status, error.message, error.key)

    async def on_redirect(request: Request, error: Exception) -> Response:
        assert isinstance(error, Redirect)
        return RedirectResponse(error.location, status_code=303)

    async def on_unexpected(request: Request, error: Exception) -> Response:
        if not is_page(request):
            return await _json(json_unexpected, request, error)
        log.exception("page_error", path=request.url.path)
        return error_page(request, 500)

    app.add_exception_handler(StarletteHTTPException, on_http)
    app.add_exception_handler(RequestValidationError, on_invalid)
    app.add_exception_handler(PageError, on_page_error)
    app.add_exception_handler(Redirect, on_redirect)
    app.add_exception_handler(Exception, on_unexpected)
