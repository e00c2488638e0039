"""Error pages: a page (not JSON) for every problem on a web page, saying what to do next.

The platform's handlers answer API calls with JSON; these handlers take over
for requests that are pages: a route of this package, or a browser (Accept:
text/html) asking for a path nothing serves. 401 on a page sends the browser to
the sign-in form.
"""

from __future__ import annotations

import inspect
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from spiegel_platform.logging import get_logger
from starlette.exceptions import HTTPException as StarletteHTTPException

from spiegel_gateway.i18n import LANG_COOKIE
from spiegel_gateway.web.core import Page, PageError, Redirect, env, local_path
from spiegel_gateway.web.texts import text

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
SHOWN = {400, 401, 403, 404, 405, 409, 410, 413, 422, 429, 500, 502, 503}


def is_page(request: Request) -> bool:
    if getattr(request.state, "web_page", False):
        return True
    endpoint = request.scope.get("endpoint")
    if endpoint is not None and str(getattr(endpoint, "__module__", "")).startswith("spiegel_gateway.web"):
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


def _size_limit(request: Request, lang: str) -> str:
    """The request size limit, as a person reads it ("1 MB")."""
    app = request.scope.get("app")
    gateway = getattr(getattr(app, "state", None), "gateway", None)
    limit = int(getattr(getattr(gateway, "settings", None), "max_request_bytes", 1_048_576))
    megabytes = limit / 1_048_576
    number = f"{megabytes:.0f}" if megabytes == round(megabytes) else f"{megabytes:.1f}"
    return f"{number.replace('.', ',') if lang == 'nl' else number} MB"


def error_page(request: Request, status: int, message: str = "", key: str = "", **extra: Any) -> Response:
    lang = _language(request)
    status = status if status in SHOWN else (500 if status >= 500 else 400)
    tenant = getattr(request.state, "tenant", None)
    caller = getattr(request.state, "caller", None)
    page = Page(request, tenant, caller if caller else None, lang) if tenant is not None else None
    prefix = str(getattr(request.state, "tenant_prefix", "") or "")
    html = env.get_template("error.html").render(
        page=page,
        t=lambda k, **v: text(k, lang, **v),
        lang=lang,
        status=status,
        message=message,
        detail_key=key,
        prefix=prefix,
        correlation_id=str(getattr(request.state, "correlation_id", "")),
        signin=prefix + "/inloggen?next=" + local_path(request.url.path),
        limit=_size_limit(request, lang),
        **extra,
    )
    response = HTMLResponse(html, status_code=status)
    response.headers["cache-control"] = "no-store"
    if status == 429:
        response.headers["retry-after"] = "60"
    return response


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
