"""The rules of the RGS declarations (pure: no I/O, unit-tested alone in
tests/test_declaration_rules.py).

For re-registration with the RGS a specialist shows THAT an evaluation of individual functioning
took place, never what was said (`../shared/domain/README.md`, IFMS step 10):

- self-employed (`self_employed`, vrijgevestigd): the "Verklaring deelname evaluatie individueel
  functioneren", signed by the facilitator;
- employed (`employed`, loondienst): the participation part of the combined form "verklaring
  werkzaamheden en deelname individueel functioneren", filled in, with the facilitator's signed
  confirmation of participation and lines for the specialist and the board (bestuurder) to sign.

A declaration holds only: name, BIG number, specialism, hospital, date of the discussion, the
evaluation system, the facilitator. Decided: **no declaration for a Groepsmonitor discussion**:
it evaluates a group's collaboration, not one specialist's individual functioning, so it is not
the evaluation the RGS asks for (refused with the reason, field `session`).

The verification code: 80 random bits as 16 base32 letters and digits (A-Z, 2-7), grouped by four
for reading (`ABCD-EFGH-JKLM-NPQR`); typed back with or without dashes, spaces, lower case.
"""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
from dataclasses import dataclass
from typing import Any

from spiegel_accreditation.attendance.model import PARTIAL, PRESENT
from spiegel_accreditation.sessions.model import IFMS

SELF_EMPLOYED = "self_employed"
EMPLOYED = "employed"
# The two forms: the facilitator's own declaration, and the participation part of the combined one.
PARTICIPATION = "verklaring_deelname"
COMBINED = "gecombineerd"
FORMS = {SELF_EMPLOYED: PARTICIPATION, EMPLOYED: COMBINED}
# The evaluation system a declaration names (the only one that gives one).
SYSTEM = "IFMS (Individueel Functioneren Medisch Specialisten)"


class Refused(ValueError):
    """A rule refused: the field it concerns and a code (the API answers `error.declaration_<code>`
    from the catalog, in the caller's language)."""

    def __init__(self, field: str, code: str) -> None:
        super().__init__(f"{field}: {code}")
        self.field = field
        self.code = code


CODE_LETTERS = 16  # 80 bits
_CODE = re.compile(r"^[A-Z2-7]{16}$")
# A fresh confirmation of the password is good for this long after the gateway checked it (the
# service token carrying it lives about 60 s; the check is the service's own, not the token's).
CONFIRMATION_MAX_AGE_S = 120.0
# Why the gateway refused a confirmation (its `confirmation.refused` claim).
CONFIRMATION_REFUSALS = ("password_wrong", "too_many_attempts", "no_password")


def form_for(employment: str | None) -> str:
    """The form a participant gets; unknown employment is refused (the hospital registers it)."""
    form = FORMS.get(employment or "")
    if form is None:
        raise Refused("employment", "employment_unknown")
    return form


def check_eligible(kind: str, attendance_status: str | None) -> None:
    """A declaration is for an IFMS discussion that the participant attended (whole or part)."""
    if kind != IFMS:
        raise Refused("session", "group_monitor")
    if attendance_status not in (PRESENT, PARTIAL):
        raise Refused("person_id", "not_attended")


def new_code() -> str:
    return base64.b32encode(secrets.token_bytes(10)).decode("ascii")


def grouped(code: str) -> str:
    return "-".join(code[i : i + 4] for i in range(0, len(code), 4))


def normalise_code(text: str) -> str | None:
    """The code as stored (16 characters), or None when it cannot be one (not even looked up)."""
    cleaned = re.sub(r"[\s\-.]", "", text or "").upper()
    return cleaned if _CODE.match(cleaned) else None


def code_key(code: str) -> str:
    """The lookup key of a code: its hash, so the index of codes holds no usable code."""
    return hashlib.sha256(code.encode("ascii")).hexdigest()


@dataclass(frozen=True)
class Confirmation:
    id: str
    at: float


def check_confirmation(claims: dict[str, Any], subject: str, now: float) -> Confirmation:
    """The gateway's proof that the caller confirmed their password just now: the claim
    `confirmation` `{id, at, sub}` in the service token (absent, refused, stale or for someone
    else: refused naming `password` and why). Single use is the caller's step (the id is
    recorded once)."""
    claim = claims.get("confirmation")
    if not isinstance(claim, dict):
        raise Refused("password", "confirmation_required")
    refused = claim.get("refused")
    if refused:
        raise Refused("password", str(refused) if refused in CONFIRMATION_REFUSALS else "password_wrong")
    ident, at = claim.get("id"), claim.get("at")
    if not isinstance(ident, str) or not ident or not isinstance(at, int | float):
        raise Refused("password", "confirmation_required")
    if claim.get("sub") != subject:
        raise Refused("password", "confirmation_required")
    if not 0 <= now - float(at) <= CONFIRMATION_MAX_AGE_S:
        raise Refused("password", "confirmation_stale")
    return Confirmation(ident, float(at))
