"""The one HTTP client to the domain services: pooled, with timeouts, a service token per call.

Nothing of the browser's request is passed on but an allow-list of content
headers: never its Authorization, cookies, or any X-Tenant / X-User style
header. The service learns who is calling only from the token the gateway signs.

aiohttp's pooled client: keep-alive connections per service, connect and total
timeouts; a refused or timed-out connection is a clear 503 naming the service.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import aiohttp
from fastapi import Response
from multidict import CIMultiDictProxy
from spiegel_platform.errors import ApiError
from starlette.types import Send
from yarl import URL

from spiegel_gateway.service_tokens import ServiceTokens
from spiegel_gateway.sessions.store import Session
from spiegel_gateway.settings import SERVICES, GatewaySettings
from spiegel_gateway.tenants.model import PLATFORM

# Who the web service may call as the caller with the caller's token: the domain services and the
# gateway's own API (people, the hospital).
CALLER_AUDIENCE = [*SERVICES, "gateway"]

# Request headers passed on to a service (lower case); everything else is dropped.
FORWARDED_REQUEST_HEADERS = ("content-type", "accept", "accept-language", "if-match", "if-none-match")
PATH_SAFE = "/:@!$&'()*+,;=-._~"
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


IDEMPOTENT = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})


class ServiceUnavailable(ApiError):
    """503 naming the service; `code`: service_not_reachable or service_not_deployed."""

    def __init__(self, service: str, code: str) -> None:
        super().__init__(503, code, extra={"service": service}, service=service)


@dataclass(frozen=True)
class Upstream:
    """A service's answer, read whole."""

    status_code: int
    headers: CIMultiDictProxy[str]
    content: bytes

    @property
    def is_success(self) -> bool:
        return 200 <= self.status_code < 300

    @property
    def text(self) -> str:
        return self.content.decode("utf-8", errors="replace")

    def passed_on_headers(self) -> list[tuple[bytes, bytes]]:
        """The listed headers as the bytes the service sent (a value need not be Latin-1 text,
        e.g. a UTF-8 file name; as str it made a 500)."""
        return [
            (name.lower().encode("latin-1"), value.encode("utf-8", "surrogateescape"))
            for name, value in self.headers.items()
            if name.lower() in FORWARDED_RESPONSE_HEADERS
        ]

    def as_response(self) -> Response:
        """The answer for the caller: status, body, and the listed headers."""
        reply = Response(content=self.content, status_code=self.status_code)
        reply.raw_headers += self.passed_on_headers()
        return reply

    async def send_to(self, send: Send) -> None:
        """The same answer as `as_response`, sent as ASGI messages (the proxy path, without a
        Response object): Content-Length as Starlette sets it, then the listed headers."""
        status = self.status_code
        headers = (
            [] if status < 200 or status in (204, 304) else [(b"content-length", b"%d" % len(self.content))]
        )
        await send(
            {"type": "http.response.start", "status": status, "headers": headers + self.passed_on_headers()}
        )
        await send({"type": "http.response.body", "body": self.content})


class ServiceClient:
    def __init__(self, settings: GatewaySettings, tokens: ServiceTokens) -> None:
        self.settings = settings
        self.tokens = tokens
        self._http: aiohttp.ClientSession | None = None

    @property
    def http(self) -> aiohttp.ClientSession:
        # Made on first use, inside the running event loop.
        if self._http is None:
            settings = self.settings
            self._http = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(
                    limit=settings.upstream_max_connections, keepalive_timeout=30, ttl_dns_cache=60
                ),
                timeout=aiohttp.ClientTimeout(
                    total=settings.upstream_timeout_s, sock_connect=settings.upstream_connect_timeout_s
                ),
                auto_decompress=False,
                cookie_jar=aiohttp.DummyCookieJar(),  # a service's Set-Cookie never sticks
                trust_env=False,
                skip_auto_headers=("User-Agent",),
            )
        return self._http

    @staticmethod
    def known(service: str) -> bool:
        return service in SERVICES

    def caller_token(self, caller: Session, ip: str, extra: dict[str, Any] | None = None) -> str:
        """The caller's token for the web service to call the domain services and the gateway's own
        API with, as the caller (see services/web/README.md): the claims of `token_for`, every one of
        them as audience, the kind of session (a respondent's link reaches only its questionnaire)
        and the browser's address (the gateway's audit log says where a change came from, not the
        web service's address; a token is reused for half its minute, from the same address).
        An operator's (the platform's scope) names the gateway alone: operators reach no service."""
        return self.tokens.issue(
            # A token with claims of its own (a password confirmation) is for this request alone.
            cache_key=None if extra else caller.id,
            audience=["gateway"] if caller.tenant_id == PLATFORM else CALLER_AUDIENCE,
            subject=caller.subject,
            tenant_id=caller.tenant_id,
            roles=list(caller.roles),
            extra={
                "email": caller.email,
                "name": caller.name,
                "lang": caller.language,
                "kind": caller.kind,
                "ip": ip,
                **(extra or {}),
            },
            variant=ip,
        )

    def token_for(self, caller: Session, service: str, extra: dict[str, Any] | None = None) -> str:
        return self.tokens.issue(
            cache_key=None if extra else caller.id,
            audience=service,
            subject=caller.subject,
            tenant_id=caller.tenant_id,
            roles=list(caller.roles),
            extra={"email": caller.email, "name": caller.name, "lang": caller.language, **(extra or {})},
        )

    def public_token(self, tenant_id: str, service: str, language: str, ip: str) -> str:
        """A visitor who is not signed in, on the one public page that asks a service (a
        declaration's verification): a token for that service alone, no person and no role."""
        return self.tokens.issue(
            cache_key=None,
            audience=[service],
            subject="public",
            tenant_id=tenant_id,
            roles=[],
            extra={"lang": language, "kind": "public", "ip": ip},
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
        query: str = "",
        claims: dict[str, Any] | None = None,
    ) -> Upstream:
        base = self.settings.service_url(service)
        if base is None:
            raise ServiceUnavailable(service, "service_not_deployed")
        sent = {k: v for k, v in (headers or {}).items() if k.lower() in FORWARDED_REQUEST_HEADERS}
        sent["authorization"] = f"Bearer {self.token_for(caller, service, claims)}"
        sent["x-correlation-id"] = correlation_id
        return await self.send(
            service, base, method, path, sent=sent, content=content, json=json, query=query
        )

    async def send(
        self,
        service: str,
        base: str,
        method: str,
        path: str,
        *,
        sent: Mapping[str, str],
        content: bytes | None = None,
        json: Any = None,
        query: str = "",
    ) -> Upstream:
        """The request itself, with exactly the headers given; the answer read whole."""
        segments = path.strip("/").split("/")
        if any(segment in (".", "..") for segment in segments):
            raise ApiError(404, "no_such_path")
        url = base + "/" + quote("/".join(segments), safe=PATH_SAFE) + (f"?{query}" if query else "")
        # A pooled connection the service closed while idle fails at once, before the request was
        # read: safe to send again on a fresh connection, for methods that may be repeated anyway.
        attempts = 2 if method in IDEMPOTENT else 1
        for attempt in range(attempts):
            try:
                async with self.http.request(
                    method,
                    URL(url, encoded=True),
                    data=content,
                    json=json,
                    headers=sent,
                    allow_redirects=False,
                ) as response:
                    body = await response.read()
                    return Upstream(response.status, response.headers, body)
            except TimeoutError:
                raise ServiceUnavailable(service, "did not answer in time") from None
            except (aiohttp.ServerDisconnectedError, aiohttp.ClientOSError):
                if attempt + 1 < attempts:
                    continue
                raise ServiceUnavailable(service, "service_not_reachable") from None
            except aiohttp.ClientError:
                raise ServiceUnavailable(service, "service_not_reachable") from None
        raise ServiceUnavailable(service, "service_not_reachable")

    async def aclose(self) -> None:
        if self._http is not None:
            await self._http.close()
