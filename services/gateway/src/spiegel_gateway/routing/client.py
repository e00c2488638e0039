"""The one HTTP client to the domain services: pooled, with timeouts, a service token per call.

Nothing of the browser's request is passed on but an allow-list of content
headers: never its Authorization, cookies, or any X-Tenant / X-User style
header. The service learns who is calling only from the token the gateway signs.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import httpx
from fastapi import HTTPException

from spiegel_gateway.service_tokens import ServiceTokens
from spiegel_gateway.sessions.store import Session
from spiegel_gateway.settings import SERVICES, GatewaySettings

# Request headers passed on to a service (lower case); everything else is dropped.
FORWARDED_REQUEST_HEADERS = ("content-type", "accept", "accept-language", "if-match", "if-none-match")
# Response headers passed back to the browser.
FORWARDED_RESPONSE_HEADERS = (
    "content-type",
    "content-disposition",
    "cache-control",
    "etag",
    "last-modified",
    "location",
    "retry-after",
    "content-language",
)


class ServiceUnavailable(HTTPException):
    def __init__(self, service: str, why: str) -> None:
        super().__init__(
            503, {"message": f"the {service} service {why}; try again later", "service": service}
        )


class ServiceClient:
    def __init__(self, settings: GatewaySettings, tokens: ServiceTokens) -> None:
        self.settings = settings
        self.tokens = tokens
        self.http = httpx.AsyncClient(
            timeout=httpx.Timeout(
                settings.upstream_timeout_s, connect=settings.upstream_connect_timeout_s, pool=5.0
            ),
            limits=httpx.Limits(
                max_connections=settings.upstream_max_connections,
                max_keepalive_connections=settings.upstream_max_connections,
                keepalive_expiry=30,
            ),
            follow_redirects=False,
            trust_env=False,
        )

    @staticmethod
    def known(service: str) -> bool:
        return service in SERVICES

    def token_for(self, caller: Session, service: str) -> str:
        return self.tokens.issue(
            cache_key=caller.id,
            audience=service,
            subject=caller.subject,
            tenant_id=caller.tenant_id,
            roles=list(caller.roles),
            extra={"email": caller.email, "name": caller.name, "lang": caller.language},
        )

    async def call(
        self,
        service: str,
        method: str,
        path: str,
        *,
        caller: Session,
        correlation_id: str,
        content: bytes | None = None,
        json: Any = None,
        headers: Mapping[str, str] | None = None,
        query: str | bytes = b"",
    ) -> httpx.Response:
        base = self.settings.service_url(service)
        if base is None:
            raise ServiceUnavailable(service, "is not deployed here")
        sent = {k: v for k, v in (headers or {}).items() if k.lower() in FORWARDED_REQUEST_HEADERS}
        sent["authorization"] = f"Bearer {self.token_for(caller, service)}"
        sent["x-correlation-id"] = correlation_id
        url = httpx.URL(base + "/" + path.lstrip("/"))
        if query:
            url = url.copy_with(query=query if isinstance(query, bytes) else query.encode())
        try:
            return await self.http.request(method, url, content=content, json=json, headers=sent)
        except httpx.TimeoutException:
            raise ServiceUnavailable(service, "did not answer in time") from None
        except httpx.TransportError:
            raise ServiceUnavailable(service, "is not reachable") from None

    async def aclose(self) -> None:
        await self.http.aclose()
