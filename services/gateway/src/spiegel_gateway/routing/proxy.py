"""/api/<service>/<path>: the browser's and API clients' calls to the domain services.

Per call: the tenant from the host, the caller from the cookie or bearer token
(never passed on), CSRF for cookie-authenticated changes, then the service gets
the same method, path, query and body with a fresh service token. Operators (the
platform) and respondent links never reach /api. Reads of reports and POPs are
audited, and so are refusals by the service (401/403).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response
from spiegel_platform.auth import roles
from spiegel_platform.errors import ApiError
from spiegel_platform.logging import get_logger
from starlette.routing import Match, Route
from starlette.types import Receive, Scope, Send

from spiegel_gateway.routing.client import Upstream
from spiegel_gateway.routing.policy import audit_service_answer, closed_call, owner_role
from spiegel_gateway.sessions.auth import (
    check_csrf,
    correlation_of,
    gateway_of,
    optional_caller,
    refuse,
    refuse_link_session,
)
from spiegel_gateway.settings import SERVICES
from spiegel_gateway.signin import confirmation
from spiegel_gateway.tenants.resolution import current_tenant

log = get_logger(__name__)
METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"]


PATH = "/api/{service}/{path:path}"


async def forward(request: Request) -> Upstream:
    """Call the service the path names for the caller, with a service token; its answer."""
    service, path = request.path_params["service"], request.path_params["path"]
    if service not in SERVICES:
        raise ApiError(404, "no_such_service", service=repr(service), services=", ".join(SERVICES))
    tenant = await current_tenant(request)
    caller = await optional_caller(request, tenant)
    if caller is None:
        raise ApiError(401, "sign_in_first")
    if tenant.is_platform or roles.OPERATOR in caller.roles:
        raise await refuse(
            request,
            tenant.tenant_id,
            403,
            "operators_no_hospital_data",
            actor=caller.subject,
            roles=caller.roles,
        )
    await refuse_link_session(request, tenant, caller)
    closed = closed_call(service, path)
    if closed is not None:
        raise await refuse(request, tenant.tenant_id, 403, closed, actor=caller.subject, roles=caller.roles)
    owner = owner_role(service, path)
    if owner is not None and owner not in caller.roles:
        raise await refuse(
            request, tenant.tenant_id, 404, "not_yours_or_unknown", actor=caller.subject, roles=caller.roles
        )
    check_csrf(request, caller)
    gateway = gateway_of(request)
    method = request.method
    body = await request.body()
    claims: dict[str, Any] = {}
    if confirmation.wants_confirmation(method, request.scope["path"]):
        # Signing with the password again: checked here, never passed on (signin/confirmation.py).
        body, claims = await confirmation.confirm(request, caller, body)
    upstream = await gateway.services.call(
        service,
        method,
        path,
        caller=caller,
        correlation_id=correlation_of(request),
        content=body or None,
        headers=request.headers,
        query=request.scope["query_string"].decode("latin-1"),
        claims=claims,
    )
    if upstream.status_code == 401:
        # The service refused the gateway's own token: a key or clock problem, not the caller's.
        log.error("service_refused_gateway_token", service=service, body=upstream.text[:300])
        raise ApiError(502, "credentials_refused", service=service)
    await audit_service_answer(
        request,
        tenant_id=tenant.tenant_id,
        caller=caller,
        service=service,
        method=method,
        path=path,
        status=upstream.status_code,
    )
    return upstream


class _Forwarding:
    """The route's ASGI app (an object, so Starlette takes it as one): `forward`, and the
    service's answer sent as it came. An error is raised to the app's exception handlers, as
    from any route."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        upstream = await forward(Request(scope, receive))
        await upstream.send_to(send)


def lean_route() -> Route:
    """The busiest route, served by Starlette itself, ahead of FastAPI's routers.

    It has nothing for FastAPI to validate (two path segments, a body passed on as
    bytes), and FastAPI's routing and request layers cost about as much CPU per call
    as the forwarding itself; the answer goes out as ASGI messages, without a Response
    object. `router()` documents the same route in the OpenAPI document.
    """
    return _NamedRoute(PATH, _Forwarding(), methods=METHODS)


class _NamedRoute(Route):
    """A Starlette route like FastAPI's: it names itself in the scope (the latency metric's
    label), and it takes exactly the methods listed (Starlette adds HEAD to GET: a HEAD would
    be forwarded, and audited as a read)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.methods is not None:
            self.methods.discard("HEAD")

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        match, child_scope = super().matches(scope)
        if match != Match.NONE:
            child_scope["route"] = self
        return match, child_scope


def router() -> APIRouter:
    """The route in the OpenAPI document (served by `lean_route`, which is matched first): one
    operation per method, so each has its own operation id."""
    api = APIRouter(tags=["services"])

    async def call_service(service: str, path: str, request: Request) -> Response:
        return (await forward(request)).as_response()

    for method in METHODS:
        api.add_api_route(
            PATH,
            call_service,
            methods=[method],
            operation_id=f"call_service_{method.lower()}",
            summary="Call a domain service",
            description=(
                f"Forwards the call to the service ({', '.join(f'`{name}`' for name in SERVICES)}) "
                "with a service token naming the caller; see each service's OpenAPI document "
                "for its paths. Authenticate with the session cookie (plus X-CSRF-Token for changes) or "
                "`Authorization: Bearer spg_...`. 503 when the service is down or not deployed."
            ),
        )
    return api
