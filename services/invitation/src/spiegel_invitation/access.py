"""Who may do what here (object-level checks on top of the gateway's roles)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends
from spiegel_platform.auth import roles
from spiegel_platform.auth.dependencies import require_roles
from spiegel_platform.auth.service_tokens import Principal
from spiegel_platform.errors import ApiError

Coordinator = Annotated[Principal, Depends(require_roles(*roles.COORDINATING))]
Staff = Annotated[Principal, Depends(require_roles(*roles.COORDINATING, roles.SPECIALIST))]
SignedIn = Annotated[
    Principal,
    Depends(require_roles(roles.OPERATOR, *roles.COORDINATING, roles.SPECIALIST, roles.FACILITATOR)),
]
Respondent = Annotated[Principal, Depends(require_roles(roles.RESPONDENT))]


def is_coordinator(principal: Principal) -> bool:
    return principal.has_role(*roles.COORDINATING)


def is_subject(principal: Principal, view: dict[str, Any]) -> bool:
    """The specialist the round is about (or, for a Groepsmonitor, one of its members)."""
    return principal.subject in {view.get("subject_id"), *(view.get("member_ids") or [])} - {None, ""}


def require_round_access(principal: Principal, view: dict[str, Any] | None, round_id: str) -> dict[str, Any]:
    """Coordinators see every round of their tenant; a specialist only their own. 404 otherwise."""
    if view is None or not (is_coordinator(principal) or is_subject(principal, view)):
        raise ApiError(404, "round_not_found", round_id=round_id)
    return view
