"""The answer tells the gateway which service calls this page made, so it audits them as it audits
/api (a read of a report or a POP, every refusal): the gateway keeps the one audit log.

The list goes in the `x-spiegel-audit` header (JSON: [service, method, path, status] per call),
also on an error page; the gateway takes the header off before the browser sees the answer.
"""

from __future__ import annotations

import json

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from spiegel_web.core import AUDIT_HEADER


class AuditHeaderMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_calls(message: Message) -> None:
            if message["type"] == "http.response.start":
                calls = scope.get("state", {}).get("audit")
                if calls:
                    message.setdefault("headers", []).append(
                        (AUDIT_HEADER.encode(), json.dumps(calls, separators=(",", ":")).encode())
                    )
            await send(message)

        await self.app(scope, receive, send_with_calls)
