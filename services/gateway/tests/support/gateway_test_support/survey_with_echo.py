"""The real survey service plus three probe routes for the gateway's routing tests.

`/test-echo` answers with what reached the service (the headers and the
principal the service verified from the gateway's token): the only way to see
that the gateway forwards no cookie, no browser Authorization and no
`X-Tenant`-style header, and that the token names the right caller.
`/test-crash` fails as a bug would; `/test-download` names its file in UTF-8.
Everything else is the survey service itself.
"""

from __future__ import annotations

import sys
from dataclasses import replace
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response
from spiegel_platform.auth.dependencies import current_principal
from spiegel_platform.auth.service_tokens import Principal
from spiegel_platform.service import Runtime, main
from spiegel_survey.definition import DEFINITION as SURVEY

Anyone = Annotated[Principal, Depends(current_principal)]


def echo() -> APIRouter:
    api = APIRouter()

    @api.api_route("/test-echo", methods=["GET", "POST"])
    async def echo_request(request: Request, principal: Anyone) -> dict[str, Any]:
        """What reached the service: headers and the verified principal."""
        return {
            "headers": dict(request.headers),
            "subject": principal.subject,
            "tenant_id": principal.tenant_id,
            "roles": sorted(principal.roles),
            "claims": {k: principal.claims.get(k) for k in ("email", "name", "lang", "aud", "iss")},
            "body_bytes": len(await request.body()),
        }

    @api.get("/test-download")
    async def download(principal: Anyone) -> Response:
        """A file whose name is not Latin-1, sent as UTF-8 bytes."""
        reply = Response(content=b"x", media_type="text/plain")
        reply.raw_headers.append((b"content-disposition", 'attachment; filename="café ☕.txt"'.encode()))
        return reply

    @api.post("/test-crash")
    async def crash(principal: Anyone) -> None:
        """A service bug: an unhandled exception (a 500)."""
        raise RuntimeError("a bug in the service")

    return api


def routers(runtime: Runtime) -> list[APIRouter]:
    return [*SURVEY.routers(runtime), echo()]


DEFINITION = replace(SURVEY, routers=routers)

if __name__ == "__main__":
    sys.exit(main(DEFINITION))
