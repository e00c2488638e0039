"""Who may call what: FastAPI dependency aliases for the roles of the survey service's routes."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends
from spiegel_platform.auth import roles
from spiegel_platform.auth.dependencies import require_roles
from spiegel_platform.auth.service_tokens import Principal
from spiegel_platform.errors import ApiError

Coordinator = Annotated[Principal, Depends(require_roles(*roles.COORDINATING))]
RoundReader = Annotated[Principal, Depends(require_roles(*roles.COORDINATING, roles.SPECIALIST))]
Respondent = Annotated[Principal, Depends(require_roles(roles.RESPONDENT))]


def is_coordinating(principal: Principal) -> bool:
    return principal.has_role(*roles.COORDINATING)


def check_round_reader(principal: Principal, doc: dict[str, Any]) -> None:
    """A specialist sees only rounds about themself (IFMS) or their group (Groepsmonitor)."""
    if is_coordinating(principal):
        return
    subject = doc.get("subject", {})
    if principal.subject == subject.get("subject_id") or principal.subject in subject.get("member_ids", []):
        return
    # Same answer as for a round that does not exist: no probing of other people's rounds.
    raise ApiError(404, "round_not_found", round_id=doc.get("id"))
