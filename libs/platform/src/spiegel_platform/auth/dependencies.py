"""FastAPI dependencies: the verified principal of a request, role checks."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import Request, status

from spiegel_platform.auth.service_tokens import Principal, TokenError
from spiegel_platform.errors import ApiError
from spiegel_platform.logging import bind_context, get_logger

log = get_logger(__name__)


async def current_principal(request: Request) -> Principal:
    verifier = request.app.state.token_verifier
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise ApiError(status.HTTP_401_UNAUTHORIZED, "service_token_required")
    try:
        principal: Principal = verifier.verify(token)
    except TokenError as error:
        log.warning("service_token_rejected", reason=str(error), path=request.url.path)
        # The reason (expired, wrong audience, ...) is logged; the caller gets the code.
        raise ApiError(status.HTTP_401_UNAUTHORIZED, "service_token_invalid") from None
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
            raise ApiError(status.HTTP_403_FORBIDDEN, "role_required", needed=", ".join(roles))
        return principal

    return dependency
