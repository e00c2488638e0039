"""Security headers on every response, the client's address, and the request size limit.

Pure ASGI (cheap on the proxy path). The CSP allows no inline script and no
framing; pages added later that need a script use files under 'self' (or a
per-response nonce). HSTS is sent only when the request arrived over TLS
(directly, or per X-Forwarded-Proto from a trusted proxy).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from spiegel_platform.errors import ApiError, message_key
from spiegel_platform.i18n import language_of, translator
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from spiegel_gateway.security.proxies import Network, client_of

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)
HSTS = "max-age=63072000; includeSubDomains"
STATIC_HEADERS = [
    (b"content-security-policy", CSP.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=(), payment=()"),
]
# Served to the cluster (scrapers, probes), not to the internet behind the ingress.
INTERNAL_PATHS = frozenset({"/metrics"})
# Headers of responses from services that the gateway sets itself.
_OWN = {name for name, _ in STATIC_HEADERS} | {b"strict-transport-security"}


class SecurityMiddleware:
    """Client address and scheme (trusted proxies), body size limit, security headers."""

    def __init__(self, app: ASGIApp, *, trusted: Sequence[Network], max_body: int) -> None:
        self.app = app
        self.trusted = list(trusted)
        self.max_body = max_body

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope.get("headers", [])}
        peer = (scope.get("client") or ("", 0))[0]
        client, scheme = client_of(peer, headers, scope.get("scheme", "http"), self.trusted)
        state = scope.setdefault("state", {})
        state["client_ip"] = client
        state["secure"] = scheme == "https"
        extra = [(b"strict-transport-security", HSTS.encode())] if scheme == "https" else []

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                kept = [(k, v) for k, v in message.get("headers", []) if k.lower() not in _OWN]
                message["headers"] = kept + STATIC_HEADERS + extra
            await send(message)

        if scope["path"] in INTERNAL_PATHS and "x-forwarded-for" in headers:
            # Prometheus scrapes the pod directly; through the ingress these are nobody's business.
            await _not_found(send_with_headers, headers)
            return
        length = headers.get("content-length")
        if length is not None and not length.isdigit():
            await _too_large(send_with_headers, headers, self.max_body)
            return
        # A declared length over the limit: nothing is read, and the first read raises, inside
        # the app, so a form gets the 413 page in the person's language and an API client JSON.
        declared_too_large = length is not None and int(length) > self.max_body
        received = 0

        async def limited_receive() -> Message:
            nonlocal received
            if declared_too_large:
                raise BodyTooLarge(self.max_body)
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_body:
                    raise BodyTooLarge(self.max_body)
            return message

        try:
            await self.app(scope, limited_receive, send_with_headers)
        except BodyTooLarge:
            await _too_large(send_with_headers, headers, self.max_body)


async def _answer(send: Send, headers: Mapping[str, str], status: int, code: str, **params: Any) -> None:
    """An error answered before the app (no app state): `{"code", "message"}` in the caller's
    language (Accept-Language), as the app answers an `ApiError`."""
    texts = translator(language_of(headers), ("spiegel_gateway",))
    body = json.dumps(
        {"code": code, "message": texts.gettext(message_key(code), **params)}, ensure_ascii=False
    ).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})


async def _not_found(send: Send, headers: Mapping[str, str]) -> None:
    await _answer(send, headers, 404, "not_found")


class BodyTooLarge(ApiError):
    """Raised while the body streams in (no or a false Content-Length)."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, "body_too_large", limit=limit)


async def _too_large(send: Send, headers: Mapping[str, str], limit: int) -> None:
    await _answer(send, headers, 413, "body_too_large", limit=limit)
