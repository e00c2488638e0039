"""A hospital's settings and the rules they obey. Pure: no I/O."""

from __future__ import annotations

from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AnyHttpUrl, BaseModel, Field, StrictBool, field_validator
from spiegel_platform.anonymity import MIN_GROUP_SIZE
from spiegel_platform.auth.roles import PLATFORM_SCOPE
from spiegel_platform.hospitals import RESERVED_SLUGS, SLUG_PATTERN, is_slug

# The platform's own scope (operators, the slug index). Never a hospital.
PLATFORM = PLATFORM_SCOPE
__all__ = ["PLATFORM", "RESERVED_SLUGS", "SLUG_PATTERN", "is_slug"]


LANGUAGES = ("nl", "en")
# The least time between two activation mails to one person sent by hand (minutes): the
# hospital's setting, as the invitation service's minimum interval between reminders.
ACTIVATION_MAIL_INTERVAL = 60
ACTIVATION_MAIL_INTERVAL_MOST = 7 * 24 * 60

Language = Literal["nl", "en"]
# A hospital is active, or suspended by an operator (nobody of it gets in; nothing is deleted).
Status = Literal["active", "suspended"]
ACTIVE: Status = "active"
SUSPENDED: Status = "suspended"


def check_zone(value: str | None) -> str | None:
    if value is None:
        return value
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"{value!r} is not an IANA time zone such as Europe/Amsterdam") from None
    return value


def check_threshold(value: int | None) -> int | None:
    if value is None:
        return value
    if value < MIN_GROUP_SIZE:
        raise ValueError(f"the anonymity threshold may never be below {MIN_GROUP_SIZE}")
    if value > 50:
        raise ValueError("at most 50")
    return value


class IdentityProviderIn(BaseModel):
    """A hospital's OpenID Connect provider."""

    issuer: AnyHttpUrl = Field(..., description="the issuer URL; its discovery document is read from it")
    client_id: str = Field(..., min_length=1, max_length=200)
    client_secret: str | None = Field(
        None, min_length=1, max_length=500, description="stored encrypted; never returned"
    )
    client_secret_ref: str | None = Field(
        None,
        pattern=r"^(env:[A-Z][A-Z0-9_]*|file:/.+)$",
        description="instead of the secret: env:VARIABLE or file:/path read by the gateway",
    )
    scopes: list[Annotated[str, Field(pattern=r"^[\x21-\x7e]{1,100}$")]] = Field(
        default_factory=lambda: ["openid", "email", "profile"], max_length=20
    )

    @field_validator("scopes")
    @classmethod
    def _openid(cls, scopes: list[str]) -> list[str]:
        if "openid" not in scopes:
            raise ValueError("must include openid")
        return scopes


class TenantSettingsIn(BaseModel):
    """What may change after creation."""

    name: str = Field(..., min_length=1, max_length=200)
    languages: list[Language] = Field(default_factory=lambda: list[Language](["nl", "en"]), min_length=1)
    time_zone: str = "Europe/Amsterdam"
    min_group_size: int = Field(
        MIN_GROUP_SIZE,
        description="the anonymity threshold: groups with fewer completed evaluations are never shown",
    )
    identity_provider: IdentityProviderIn | None = None
    activation_mail_interval_minutes: int = Field(
        ACTIVATION_MAIL_INTERVAL,
        ge=0,
        le=ACTIVATION_MAIL_INTERVAL_MOST,
        description="the least time between two activation mails to one person sent again by hand",
    )

    @field_validator("languages")
    @classmethod
    def _languages(cls, value: list[str]) -> list[str]:
        if len(set(value)) != len(value):
            raise ValueError("each language once")
        return value

    _zone = field_validator("time_zone")(classmethod(lambda cls, v: check_zone(v)))
    _threshold = field_validator("min_group_size")(classmethod(lambda cls, v: check_threshold(v)))


class TenantIn(TenantSettingsIn):
    slug: str = Field(..., description="the host name label: <slug>.<domain>")
    tenant_id: str | None = Field(None, description="immutable id; defaults to the slug")

    @field_validator("slug", "tenant_id")
    @classmethod
    def _slug(cls, value: str | None) -> str | None:
        if value is None:
            return value
        if not is_slug(value):
            raise ValueError("lowercase letters, digits and hyphens, 1-63 characters, no leading hyphen")
        if value in RESERVED_SLUGS:
            raise ValueError(f"{value!r} is reserved")
        return value


class TenantPatch(BaseModel):
    name: str | None = Field(None, min_length=1, max_length=200)
    languages: list[Language] | None = Field(None, min_length=1)
    time_zone: str | None = None
    min_group_size: int | None = None
    identity_provider: IdentityProviderIn | None = None
    remove_identity_provider: StrictBool = False
    activation_mail_interval_minutes: int | None = Field(None, ge=0, le=ACTIVATION_MAIL_INTERVAL_MOST)

    _zone = field_validator("time_zone")(classmethod(lambda cls, v: check_zone(v)))
    _threshold = field_validator("min_group_size")(classmethod(lambda cls, v: check_threshold(v)))


class IdentityProviderOut(BaseModel):
    issuer: str
    client_id: str
    scopes: list[str]
    client_secret_set: bool


class TenantOut(BaseModel):
    tenant_id: str
    slug: str
    name: str
    languages: list[str] = Field(..., description="the first is the hospital's default language")
    time_zone: str
    min_group_size: int
    identity_provider: IdentityProviderOut | None
    revision: int
    status: Status = ACTIVE
    activation_mail_interval_minutes: int = ACTIVATION_MAIL_INTERVAL


class TenantOverview(BaseModel):
    """A row of the operator's list of hospitals: settings and counts, never a hospital's data."""

    tenant_id: str
    slug: str
    name: str
    status: Status
    min_group_size: int
    languages: list[str]
    identity_provider: bool
    people: int = Field(..., description="people registered in the hospital (its staff accounts)")
    rounds: int | None = Field(
        ..., description="rounds the survey service holds for it; null when the survey did not answer"
    )
