"""/.well-known/jwks.json: the public keys the services verify the gateway's service tokens with."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from spiegel_gateway.sessions.auth import gateway_of


def router() -> APIRouter:
    api = APIRouter(include_in_schema=False)

    @api.get("/.well-known/jwks.json")
    async def jwks(request: Request) -> JSONResponse:
        """The public keys services verify service tokens with (current and, during a rotation, previous)."""
        return JSONResponse(
            gateway_of(request).tokens.jwks(), headers={"cache-control": "public, max-age=60"}
        )

    return api
