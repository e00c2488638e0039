"""Error pages: a page (not JSON) for every problem on a page, saying what to do next.

The platform's handlers answer API calls with JSON; `install` puts handlers in
front of them that take over for requests that are pages: a route of the
process's page modules, a request already marked as a page (`web_page` in the
request's state), or a browser (Accept: text/html) asking for a path nothing
serves. 401 on a page sends the browser to the sign-in form. What differs
between the gateway and the web service is given in `ErrorPages`.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse, Response
from spiegel_platform.logging import get_logger
from starlette.exceptions import HTTPException as StarletteHTTPException

from spiegel_pages.look import LANG_COOKIE, PageError, Redirect, StaleForm, error_html, local_path
from spiegel_pages.page import Page, state_of

log = get_logger(__name__)
DEFAULT_LIMIT = 1_048_576


def _default_limit(request: Request) -> int:
    return DEFAULT_LIMIT


@dataclass(frozen=True)
class ErrorPages:
    """One process's error pages."""

    page: type[Page[Any, Any]]  # its page context (templates, layout) for an error page in a hospital
    modules: str  # the module prefix of its page routes: a route from there answers pages
    not_a_page: Callable[[str], bool]  # a path a browser's GET for HTML may ask for that is no page
    json_only: tuple[type[Exception], ...] = ()  # HTTP errors answered as JSON even on a page
    limit: Callable[[Request], int] = _default_limit  # the request size limit the 413 page names

    def is_page(self, request: Request) -> bool:
        if state_of(request).get("web_page"):
            return True
        endpoint = request.scope.get("endpoint")
        if endpoint is not None and str(getattr(endpoint, "__module__", "")).startswith(self.modules):
            return True
        return (
            request.method == "GET"
            and "text/html" in request.headers.get("accept", "")
            and not self.not_a_page(request.url.path)
        )

    def error_page(self, request: Request, status: int, message: str = "", key: str = "") -> Response:
        lang = language(request)
        state = state_of(request)
        tenant = state.get("tenant")
        caller = state.get("caller")
        prefix = str(state.get("tenant_prefix", "") or "")
        page = (
            self.page(request, tenant, caller if caller else None, lang, prefix)
            if tenant is not None
            else None
        )
        return error_html(
            self.page.env,
            page=page,
            lang=lang,
            status=status,
            message=message,
            key=key,
            prefix=prefix,
            path=request.url.path,
            correlation_id=str(state.get("correlation_id", "")),
            limit=self.limit(request),
        )

    def stale_form(self, request: Request, error: StaleForm) -> Response:
        """What was typed, ready to be sent again with the session's current token (403: nothing
        was done)."""
        state = state_of(request)
        tenant, caller = state.get("tenant"), state.get("caller")
        if tenant is None or not caller:
            return self.error_page(request, 403, key="csrf")
        prefix = str(state.get("tenant_prefix", "") or "")
        page = self.page(request, tenant, caller, language(request), prefix)
        return page.render(
            "stale_form.html",
            status=403,
            fields=error.fields,
            files=error.files,
            action=local_path(error.action),
        )

    def install(self, app: FastAPI) -> None:
        """Page-aware handlers in front of the platform's JSON ones."""
        json_http = app.exception_handlers[StarletteHTTPException]
        json_invalid = app.exception_handlers[RequestValidationError]
        json_unexpected = app.exception_handlers[Exception]

        async def on_http(request: Request, error: Exception) -> Response:
            assert isinstance(error, StarletteHTTPException)
            if isinstance(error, self.json_only) or not self.is_page(request):
                return await _json(json_http, request, error)
            if error.status_code == 401:
                prefix = str(state_of(request).get("tenant_prefix", "") or "")
                return RedirectResponse(
                    f"{prefix}/inloggen?next={local_path(request.url.path)}", status_code=303
                )
            detail = error.detail
            message = detail.get("message", "") if isinstance(detail, dict) else str(detail or "")
            # 404 says nothing of what was looked for; 413 says it in the page's own words.
            shown = message if error.status_code not in (404, 413) else ""
            return self.error_page(request, error.status_code, shown)

        async def on_invalid(request: Request, error: Exception) -> Response:
            if not self.is_page(request):
                return await _json(json_invalid, request, error)
            return self.error_page(request, 400, key="bad_request")

        async def on_page_error(request: Request, error: Exception) -> Response:
            assert isinstance(error, PageError)
            if isinstance(error, StaleForm):
                return self.stale_form(request, error)
            if error.status == 401:
                key = error.key or "session_expired"
                return self.error_page(request, 401, key=key)
            return self.error_page(request, error.status, error.message, error.key)

        async def on_redirect(request: Request, error: Exception) -> Response:
            assert isinstance(error, Redirect)
            return RedirectResponse(error.location, status_code=303)

        async def on_unexpected(request: Request, error: Exception) -> Response:
            if not self.is_page(request):
                return await _json(json_unexpected, request, error)
            log.exception("page_error", path=request.url.path)
            return self.error_page(request, 500)

        app.add_exception_handler(StarletteHTTPException, on_http)
        app.add_exception_handler(RequestValidationError, on_invalid)
        app.add_exception_handler(PageError, on_page_error)
        app.add_exception_handler(Redirect, on_redirect)
        app.add_exception_handler(Exception, on_unexpected)


def language(request: Request) -> str:
    """The error page's language: an explicit choice, the person's, else Dutch (of the hospital's)."""
    state = state_of(request)
    tenant = state.get("tenant")
    offered = tenant.languages if tenant is not None else ("nl", "en")
    for chosen in (request.query_params.get("lang"), request.cookies.get(LANG_COOKIE)):
        if chosen in offered:
            return str(chosen)
    caller = state.get("caller")
    if caller and getattr(caller, "language", None) in offered:
        return str(caller.language)
    return "nl"


async def _json(handler: Any, request: Request, error: Exception) -> Response:
    """The platform's own (JSON) handler, for everything that is not a page."""
    answer = handler(request, error)
    if inspect.isawaitable(answer):
        answer = await answer
    assert isinstance(answer, Response)
    return answer
