"""The FastAPI app factory every service (and every worker process) uses.

It adds: correlation ids (X-Correlation-ID, created when absent), structured
request logs, the request latency histogram, /healthz, /readyz, /metrics, and
error responses that say what is wrong and where, never a bare 500 for bad input.
"""

from __future__ import annotations

import gc
import re
import time
import uuid
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware import Middleware
from starlette.routing import BaseRoute
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from spiegel_platform.errors import ApiError, Text, message_key, rendered
from spiegel_platform.health import ReadinessCheck, readiness
from spiegel_platform.i18n import language_of, register_packages, translator
from spiegel_platform.logging import bind_context, get_logger, unbind_context
from spiegel_platform.mail_addresses import AddressError
from spiegel_platform.metrics import HTTP_LATENCY

log = get_logger(__name__)
CORRELATION_HEADER = "x-correlation-id"
_VALID_CORRELATION = re.compile(r"^[A-Za-z0-9._-]{1,100}$")

Lifespan = Callable[[FastAPI], AbstractAsyncContextManager[None]]


class ObservabilityMiddleware:
    """Correlation id, request log line and latency histogram (pure ASGI: cheap)."""

    def __init__(self, app: ASGIApp, service: str) -> None:
        self.app = app
        self.service = service

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = ""
        for name, value in scope.get("headers", []):
            if name == b"x-correlation-id":
                incoming = value.decode("latin-1")
        correlation = incoming if _VALID_CORRELATION.match(incoming) else str(uuid.uuid4())
        scope.setdefault("state", {})["correlation_id"] = correlation
        bind_context(correlation_id=correlation)
        start = time.perf_counter()
        status = 500

        async def send_with_header(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message.setdefault("headers", []).append((b"x-correlation-id", correlation.encode()))
            await send(message)

        try:
            await self.app(scope, receive, send_with_header)
        finally:
            route = scope.get("route")
            template = getattr(route, "path", "unmatched")
            elapsed = time.perf_counter() - start
            HTTP_LATENCY.labels(self.service, scope["method"], template, str(status)).observe(elapsed)
            if status >= 500:
                log.error(
                    "request",
                    method=scope["method"],
                    route=template,
                    status=status,
                    ms=round(elapsed * 1000, 1),
                )
            unbind_context("correlation_id", "tenant_id")


def _freeze_startup_objects() -> None:
    """Keep what start-up built (modules, the app, its routes and models) out of later
    garbage collections: a full collection walked all of it, a stall of 40-60 ms in the
    middle of serving (measured in the gateway under load); frozen, it walks only what
    requests left behind."""
    gc.collect()
    gc.freeze()


def _is_json(media: str) -> bool:
    return media == "application/json" or (media.startswith("application/") and media.endswith("+json"))


def _field_path(loc: Sequence[Any]) -> str:
    return ".".join(str(part) for part in loc)


def _validation_message(error: Any, language: str, _: Callable[..., str]) -> str:
    """pydantic's message for English (it has the plural forms); otherwise the catalog's text
    for the error type, pydantic's when the catalog has none (a validator's own text)."""
    key = f"validation.{error['type']}"
    cause = (error.get("ctx") or {}).get("error")
    if isinstance(cause, AddressError):  # an e-mail address: why, in the caller's words
        return cause.reason.render(_)
    if language == "en":
        return str(error["msg"])
    params = {
        k: (", ".join(map(str, v)) if isinstance(v, list | tuple) else v)
        for k, v in (error.get("ctx") or {}).items()
    }
    try:
        text = _(key, **params)
    except (KeyError, ValueError, TypeError):
        return str(error["msg"])
    return str(error["msg"]) if text == key else text


def create_app(
    *,
    service: str,
    title: str,
    description: str = "",
    version: str = "1",
    routers: Sequence[APIRouter] = (),
    readiness_checks: Sequence[ReadinessCheck] = (),
    lifespan: Lifespan | None = None,
    openapi_tags: list[dict[str, Any]] | None = None,
    texts: Sequence[str] = (),
    middleware: Sequence[Middleware] = (),
    first_routes: Sequence[BaseRoute] = (),
    docs_pages: bool = True,
) -> FastAPI:
    """A service's app. `texts`: the packages whose gettext catalogs hold the service's texts
    (error messages of `ApiError`); the platform's own catalog is always added last.
    `middleware` (outermost first) runs inside the platform's observability middleware, so
    every answer has its correlation id and is measured; `first_routes` are plain Starlette
    routes matched before every other route; `docs_pages=False` serves no Swagger UI or ReDoc
    (the OpenAPI document stays at /openapi.json)."""
    checks = list(readiness_checks)
    text_packages = tuple(texts)
    register_packages(text_packages)

    def translate_for(request: Request) -> Callable[..., str]:
        return translator(language_of(request.headers), text_packages).gettext

    @asynccontextmanager
    async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
        if lifespan is None:
            _freeze_startup_objects()
            yield
            return
        async with lifespan(app):
            _freeze_startup_objects()
            yield

    app = FastAPI(
        title=title,
        description=description,
        version=version,
        lifespan=_lifespan,
        openapi_tags=openapi_tags,
        docs_url="/docs" if docs_pages else None,
        redoc_url="/redoc" if docs_pages else None,
        middleware=list(middleware),
        # Metrics are Prometheus's (/metrics) and logs structlog's: FastAPI's own OpenTelemetry
        # would otherwise look for a configured provider on every request.
        telemetry={"tracing": False, "metrics": False, "logs": False},
    )
    app.state.readiness_checks = checks
    # Added last, so outermost: the service's own middleware runs inside it.
    app.add_middleware(ObservabilityMiddleware, service=service)
    app.router.routes[0:0] = list(first_routes)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, error: RequestValidationError) -> JSONResponse:
        _ = translate_for(request)
        media = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
        if media and not _is_json(media) and any(tuple(e["loc"]) == ("body",) for e in error.errors()):
            # FastAPI reads a body sent as another type as bytes, and says only that they are
            # not an object: the caller's mistake is the content type.
            return JSONResponse(
                status_code=415,
                content={
                    "code": "unsupported_media_type",
                    "message": _(message_key("unsupported_media_type"), media=media),
                },
            )
        language = language_of(request.headers)
        problems = [
            {
                "field": _field_path(e["loc"]),
                "message": _validation_message(e, language, _),
                "type": e["type"],
            }
            for e in error.errors()
        ]
        summary = "; ".join(f"{p['field']}: {p['message']}" for p in problems[:5])
        return JSONResponse(
            status_code=422,
            content={
                "code": "invalid_request",
                "message": _(message_key("invalid_request"), summary=summary),
                "errors": problems,
            },
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, error: StarletteHTTPException) -> JSONResponse:
        if isinstance(error, ApiError):
            _ = translate_for(request)
            content = {
                "code": error.code,
                "message": Text(message_key(error.code), **error.params).render(_),
                **rendered(error.extra, _),
            }
            return JSONResponse(status_code=error.status_code, content=content, headers=error.headers)
        detail = error.detail
        body = detail if isinstance(detail, dict) else {"message": str(detail)}
        return JSONResponse(status_code=error.status_code, content=body, headers=error.headers)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, error: Exception) -> JSONResponse:
        correlation = getattr(request.state, "correlation_id", "")
        log.exception("unhandled_error", path=request.url.path)
        return JSONResponse(
            status_code=500,
            content={
                "code": "internal",
                "message": translate_for(request)(message_key("internal")),
                "correlation_id": correlation,
            },
            # uvicorn closes the connection after an unhandled exception: said here, so a client's
            # pool (the gateway's) does not send its next call on it (a POST is never sent twice).
            headers={"connection": "close"},
        )

    @app.get("/healthz", include_in_schema=False)
    async def healthz() -> dict[str, str]:
        return {"status": "alive", "service": service}

    @app.get("/readyz", include_in_schema=False)
    async def readyz() -> JSONResponse:
        ok, report = await readiness(app.state.readiness_checks)
        return JSONResponse(
            status_code=200 if ok else 503, content={"ready": ok, "service": service, "checks": report}
        )

    @app.get("/metrics", include_in_schema=False)
    async def metrics() -> Response:
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    for router in routers:
        app.include_router(router)
    return app
