"""People and the roles they may hold. Pure: no I/O.

Decisions:
- Operators exist only in the platform scope (the bare domain). They manage
  hospitals (the operator API) and never receive tenant data: the gateway sends
  no service token for an operator. To help a hospital an operator creates an
  account in it (an explicit, audited act), and uses that account on the
  hospital's own host.
- A facilitator who works for several hospitals has one person record per
  hospital (same e-mail address, separate sessions per host). Hospitals stay
  isolated in storage and each may use its own identity provider.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field, StrictBool, field_validator
from pydantic_core import PydanticCustomError
from spiegel_platform.auth import roles
from spiegel_platform.big_numbers import BigNumberError, big_number
from spiegel_platform.mail_addresses import deliverable_address
from spiegel_platform.names import is_hidden_control

from spiegel_gateway.mail.addresses import MailAddress

TENANT_ROLES = (roles.TENANT_ADMIN, roles.COORDINATOR, roles.SPECIALIST, roles.FACILITATOR, roles.BOARD)
PLATFORM_ROLES = (roles.OPERATOR,)
# Who may hand out which role (inside one hospital).
GRANTABLE_BY = {
    roles.TENANT_ADMIN: set(TENANT_ROLES),
    roles.COORDINATOR: {roles.SPECIALIST, roles.FACILITATOR},
}
MIN_PASSWORD_LENGTH = 12
EMPLOYMENTS = ("employed", "self_employed")  # loondienst, vrijgevestigd
Employment = Literal["employed", "self_employed"]
# A person's state as the people pages filter it: signed in at least once (their address
# confirmed), switched off, or registered but not yet activated.
STATUSES = ("active", "inactive", "not_activated")


def status_of(active: bool, email_verified: bool) -> str:
    if not active:
        return "inactive"
    return "active" if email_verified else "not_activated"


def normalise_email(email: str) -> str:
    """The form an address is stored and looked up in: lower case, an internationalised
    domain in its ASCII form (as `MailAddress` stores it); a typed address as it is otherwise."""
    try:
        return deliverable_address(email.strip()).lower()
    except ValueError:
        return email.strip().lower()


def check_password(password: str) -> str:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValueError(f"at least {MIN_PASSWORD_LENGTH} characters")
    if len(password) > 256:
        raise ValueError("at most 256 characters")
    if password.strip() == "" or len(set(password)) < 4:
        raise ValueError("too simple")
    return password


def check_display_name(value: str | None) -> str | None:
    if value is None:
        return value
    if any(c in "<>" or is_hidden_control(c) for c in value):
        raise ValueError("no line breaks, tabs, other control characters, direction marks or angle brackets")
    if not value.strip():
        raise ValueError("a name is needed, not only spaces")
    return value.strip()


def check_big_number(value: str | None) -> str | None:
    """ "" clears it (a change); otherwise 11 digits as `big_number` stores them, or the reason."""
    if value is None or not value.strip():
        return None if value is None else ""
    try:
        return big_number(value)
    except BigNumberError as error:
        raise PydanticCustomError(
            error.code, error.reason.in_language("en"), {k: str(v) for k, v in error.params.items()}
        ) from None


def check_specialism(value: str | None) -> str | None:
    if value is None:
        return value
    if any(c in "<>" or is_hidden_control(c) for c in value):
        raise ValueError("no line breaks, tabs, other control characters, direction marks or angle brackets")
    return value.strip()


def distinct_roles(value: list[str] | None) -> list[str] | None:
    """Each role once, in the order given."""
    return value if value is None else list(dict.fromkeys(value))


def may_grant(granter_roles: frozenset[str] | set[str], wanted: list[str]) -> bool:
    allowed: set[str] = set()
    for role in granter_roles:
        allowed |= GRANTABLE_BY.get(role, set())
    return set(wanted) <= allowed


class PersonIn(BaseModel):
    display_name: str = Field(..., min_length=1, max_length=200)
    email: MailAddress
    roles: list[Literal["tenant_admin", "coordinator", "specialist", "facilitator", "board"]] = Field(
        ..., min_length=1
    )
    language: Literal["nl", "en"] = "nl"
    password: str | None = Field(
        None, description="optional; otherwise the person sets one through the verification e-mail"
    )
    specialism: str | None = Field(None, max_length=100)
    employment: Employment | None = Field(None, description="employed (loondienst) or self_employed")
    big_number: str | None = Field(
        None, max_length=30, description="optional; stored as 11 digits (9 or 10 get leading zeros)"
    )

    _name = field_validator("display_name")(classmethod(lambda cls, v: check_display_name(v)))
    _roles = field_validator("roles")(classmethod(lambda cls, v: distinct_roles(v)))
    _specialism = field_validator("specialism")(classmethod(lambda cls, v: check_specialism(v) or None))
    _big = field_validator("big_number")(classmethod(lambda cls, v: check_big_number(v) or None))

    @field_validator("password")
    @classmethod
    def _password(cls, value: str | None) -> str | None:
        return value if value is None else check_password(value)


class PersonPatch(BaseModel):
    display_name: str | None = Field(None, min_length=1, max_length=200)
    roles: list[Literal["tenant_admin", "coordinator", "specialist", "facilitator", "board"]] | None = Field(
        None, min_length=1
    )
    language: Literal["nl", "en"] | None = None
    active: StrictBool | None = None
    email: MailAddress | None = Field(None, description="unique within the hospital (case-insensitive)")
    specialism: str | None = Field(None, max_length=100, description='"" clears it')
    employment: Literal["employed", "self_employed", ""] | None = Field(None, description='"" clears it')
    big_number: str | None = Field(None, max_length=30, description='"" clears it')

    _name = field_validator("display_name")(classmethod(lambda cls, v: check_display_name(v)))
    _roles = field_validator("roles")(classmethod(lambda cls, v: distinct_roles(v)))
    _specialism = field_validator("specialism")(classmethod(lambda cls, v: check_specialism(v)))
    _big = field_validator("big_number")(classmethod(lambda cls, v: check_big_number(v)))


class PersonOut(BaseModel):
    person_id: str
    display_name: str
    email: str
    roles: list[str]
    language: str
    active: bool
    email_verified: bool
    status: Literal["active", "inactive", "not_activated"]
    specialism: str | None = None
    employment: Employment | None = None
    big_number: str | None = None


class PeoplePage(BaseModel):
    """One page of a search: `total` matches in all, `people` from `offset` on."""

    people: list[PersonOut]
    total: int
    offset: int
    limit: int
