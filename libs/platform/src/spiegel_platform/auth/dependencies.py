"""FastAPI dependencies: the verified principal of a request, role checks."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import HTTPException, Request, status

from spiegel_platform.auth.service_tokens import Principal, TokenError
from spiegel_platform.logging import bind_context, get_logger

log = get_logger(__name__)


async def current_principal(request: Request) -> Principal:
    verifier = request.app.state.token_verifier
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED, "a service token (Authorization: Bearer) is required"
        )
    try:
        principal: Principal = verifier.verify(token)
    except TokenError as error:
        log.warning("service_token_rejected", reason=str(error), path=request.url.path)
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, str(error)) from None
    bind_context(tenant_id=principal.tenant_id)
    request.state.principal = principal
    return principal


def require_roles(*roles: str) -> Callable[[Request], Coroutine[Any, Any, Principal]]:
    async def dependency(request: Request) -> Principal:
        principal = await current_principal(request)
        if not principal.has_role(*roles):
            log.warning(
                "authorisation_failed", subject=principal.subject, needed=list(roles), path=request.url.path
            )
            raise HTTPException(status.HTTP_403_FORBIDDEN, f"needs one of the roles: {', '.join(roles)}")
        return principal

    return dependency
