"""Which hospital a request is for: by host name `<slug>.<domain>`, or `/t/<slug>/...` locally.

The bare domain (or any other host) is the platform itself, where operators
sign in. The path prefix is for local development (no wildcard DNS needed) and
is refused in production. The middleware only parses (no I/O); the
`current_tenant` dependency loads the tenant (cached per process).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Annotated
from urllib.parse import urlsplit, urlunsplit

from fastapi import Depends, Request
from spiegel_platform.errors import ApiError
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from spiegel_gateway.request_state import state_of
from spiegel_gateway.tenants.model import is_slug
from spiegel_gateway.tenants.store import PLATFORM_TENANT, Tenant

_PREFIX = re.compile(r"^/t/([^/]+)(/.*)?$")


class HospitalSuspended(ApiError):
    """403 `hospital_suspended`: a page request gets its own page (pages/errors.py), in the
    reader's language; an API client the JSON answer."""

    def __init__(self) -> None:
        super().__init__(403, "hospital_suspended")


@dataclass(frozen=True)
class Resolved:
    slug: str | None  # None: the platform
    path: str  # the path with any /t/<slug> prefix removed
    prefix: str  # "/t/<slug>" or ""
    invalid: bool = False


def resolve(host: str, path: str, *, domain: str, allow_prefix: bool) -> Resolved:
    """Pure: host header and path -> tenant slug and the path to route."""
    name = host.strip().lower()
    if name.startswith("["):  # an IPv6 literal
        name = name.split("]", 1)[0] + "]"
    else:
        name = name.rsplit(":", 1)[0] if name.count(":") == 1 else name
    name = name.rstrip(".")
    host_slug: str | None = None
    if name.endswith("." + domain):
        label = name[: -len(domain) - 1]
        if not is_slug(label):
            return Resolved(None, path, "", invalid=True)
        host_slug = label
    match = _PREFIX.match(path)
    if match and allow_prefix:
        if host_slug is not None or not is_slug(match.group(1)):
            return Resolved(None, path, "", invalid=True)
        return Resolved(match.group(1), match.group(2) or "/", f"/t/{match.group(1)}")
    return Resolved(host_slug, path, "")


class TenantRoutingMiddleware:
    def __init__(self, app: ASGIApp, *, domain: str, allow_prefix: bool) -> None:
        self.app = app
        self.domain = domain
        self.allow_prefix = allow_prefix

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        host = ""
        for name, value in scope.get("headers", []):
            if name == b"host":
                host = value.decode("latin-1")
                break
        resolved = resolve(host, scope["path"], domain=self.domain, allow_prefix=self.allow_prefix)
        state = scope.setdefault("state", {})
        state["tenant_slug"] = resolved.slug
        state["tenant_prefix"] = resolved.prefix
        state["tenant_invalid"] = resolved.invalid
        if resolved.prefix:
            # In place, so the outer middleware sees the matched route (metrics by route template).
            scope["path"] = resolved.path
            scope["raw_path"] = resolved.path.encode()
            if not resolved.path.startswith("/api/"):  # (a service's answer is passed on as it came)
                send = _redirects_within(resolved.prefix, host, send)
        await self.app(scope, receive, send)


def _redirects_within(prefix: str, host: str, send: Send) -> Send:
    """A redirect made from the path without its /t/<slug> prefix (the router's "/people/" ->
    "/people") keeps the prefix, so it stays in the hospital. Pages' own redirects carry it."""

    async def sending(message: Message) -> None:
        if message["type"] == "http.response.start" and 300 <= message["status"] < 400:
            message["headers"] = [
                (name, within_prefix(prefix, host, value) if name.lower() == b"location" else value)
                for name, value in message.get("headers", [])
            ]
        await send(message)

    return sending


def within_prefix(prefix: str, host: str, location: bytes) -> bytes:
    parts = urlsplit(location.decode("latin-1"))
    same_site = not parts.netloc or parts.netloc.lower() == host.lower()
    if not same_site or not parts.path.startswith("/"):
        return location
    if parts.path == prefix or parts.path.startswith(prefix + "/"):
        return location
    return urlunsplit(parts._replace(path=prefix + parts.path)).encode("latin-1")


async def current_tenant(request: Request) -> Tenant:
    state = state_of(request)
    if state.get("tenant_invalid", False):
        raise ApiError(404, "unknown_hospital")
    slug = state.get("tenant_slug")
    if slug is None:
        platform: Tenant = getattr(request.app.state.gateway, "platform_tenant", PLATFORM_TENANT)
        return platform
    tenant: Tenant | None = await request.app.state.gateway.tenants.by_slug(slug)
    if tenant is None:
        raise ApiError(404, "unknown_hospital")
    if tenant.suspended:
        # Suspended by an operator: nothing of the hospital is reachable on its host (sign-in,
        # pages, respondents' links, API tokens, the web pages' calls back); nothing is deleted.
        raise HospitalSuspended()
    state["tenant"] = tenant
    return tenant


CurrentTenant = Annotated[Tenant, Depends(current_tenant)]
