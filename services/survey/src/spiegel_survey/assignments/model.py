"""An assignment: one respondent's questionnaire in one round, known by the hash of its link token.

The survey service never learns who the respondent is: the invitation service
(or, until it exists, the coordinator API for tests and demos) announces an
assignment id, the round, the respondent group, the token hash, the language
and when the link expires. The document's id is the token hash, so opening a
link is one read by id.
"""

from __future__ import annotations

import re
from datetime import datetime
from enum import StrEnum
from typing import Any

from spiegel_platform.errors import Text

TOKEN_HASH = re.compile(r"^[0-9a-f]{64}$")
ASSIGNMENT_ID = re.compile(r"^[A-Za-z0-9_-]{1,100}$")
LANGUAGES = ("nl", "en")


class AssignmentStatus(StrEnum):
    OPEN = "open"
    SUBMITTED = "submitted"
    WITHDRAWN = "withdrawn"


PACKAGE = "spiegel_survey"  # whose catalog holds the texts


class InvalidAssignment(ValueError):
    """An assignment that cannot be recorded; `reason` says why (a catalog text; `str()` is the
    English one, as in the logs and dead letters)."""

    def __init__(self, reason: Text) -> None:
        super().__init__(reason.in_language("en"))
        self.reason = reason


def new_assignment(
    *,
    assignment_id: str,
    round_doc: dict[str, Any],
    respondent_group: str,
    token_hash: str,
    language: str,
    expires_at: datetime | None,
    withdrawn: bool = False,
) -> dict[str, Any]:
    """The assignment document, checked against its round."""
    if not ASSIGNMENT_ID.match(assignment_id):
        raise InvalidAssignment(Text("assignment.id_invalid", package=PACKAGE))
    if not TOKEN_HASH.match(token_hash):
        raise InvalidAssignment(Text("assignment.token_hash_invalid", package=PACKAGE))
    codes = [g["code"] for g in round_doc["respondent_groups"]]
    if respondent_group not in codes:
        raise InvalidAssignment(
            Text(
                "assignment.group_unknown",
                package=PACKAGE,
                group=repr(respondent_group),
                groups=", ".join(codes),
            )
        )
    # A link expiring at (or after) the round's closing time simply follows the round, also when
    # the round is extended later; only an earlier expiry is a limit of its own.
    closes_at = round_doc["closes_at"].replace(tzinfo=None)
    own_expiry = (
        expires_at if expires_at is not None and expires_at.replace(tzinfo=None) < closes_at else None
    )
    return {
        "id": token_hash,
        "assignment_id": assignment_id,
        "round_id": round_doc["id"],
        "respondent_group": respondent_group,
        "language": language if language in LANGUAGES else "nl",
        "expires_at": own_expiry,
        "status": (AssignmentStatus.WITHDRAWN if withdrawn else AssignmentStatus.OPEN).value,
    }
