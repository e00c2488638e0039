from pydantic import Field, field_validator
from spiegel_platform.service import Runtime, ServiceSettings


class AccreditationSettings(ServiceSettings):
    mongodb_database: str = Field("spiegel_accreditation", pattern=r"^[A-Za-z0-9_]{1,60}$")
    # How far ahead a session may be planned (a date years ahead is a typing error).
    planning_horizon_days: int = Field(730, ge=30, le=1830)
    # A participant's seat claimed by a planning request that crashed before its session was
    # written is taken over by the next request after this long (see sessions/seats.py).
    seat_claim_grace_seconds: float = Field(60.0, ge=1, le=3600)
    # A participant checks in from the session's start until this many days after its end
    # (someone who missed the moment uses the link in the follow-up mail).
    checkin_window_days: int = Field(14, ge=1, le=365)
    # The follow-up mail with a personal check-in link goes to those who have not checked in this
    # many minutes after a session's end; the consumer process looks every
    # `checkin_followup_interval_s` (attendance/followups.py).
    checkin_followup_after_minutes: float = Field(60.0, ge=0, le=7 * 24 * 60)
    checkin_followup_interval_s: float = Field(60.0, ge=0.1, le=3600)
    # GAIA: the days after a session by which its attendance is to be entered, unless the
    # accreditation (its association) says otherwise: 6 weeks, the common rule.
    gaia_deadline_days: int = Field(42, ge=1, le=366)
    # The coordinators are reminded (GaiaRegistrationDue, once per session and deadline) this many
    # days before the deadline; the consumer process looks every `gaia_reminder_interval_seconds`.
    gaia_reminder_days_before: int = Field(7, ge=0, le=60)
    gaia_reminder_interval_seconds: float = Field(900.0, ge=0.2, le=86400)

    # The facilitator's notes are due 5 working days after the session; Dutch public holidays
    # are not working days unless this is off (notes/model.py).
    notes_due_skip_holidays: bool = True
    # How often the consumer process looks for notes past their due date (notes/reminders.py).
    notes_reminder_interval_s: float = Field(60.0, ge=0.1, le=3600)

    # The hospital's pages, for the verification address printed on a declaration
    # (`<base>/verklaring/<code>`; the slug from the gateway's TenantConfigured).
    public_base_url_template: str = Field(
        "https://{slug}.spiegel.example",
        description='base URL of a tenant\'s pages, e.g. "http://127.0.0.1:8100/t/{slug}" locally',
    )

    @field_validator("public_base_url_template")
    @classmethod
    def _has_slug(cls, value: str) -> str:
        if "{slug}" not in value or not value.startswith(("http://", "https://")):
            raise ValueError('must be an http(s) URL containing "{slug}"')
        return value.rstrip("/")


# The runtime of this service: `runtime.settings` is an AccreditationSettings (typed, no casts).
AccreditationRuntime = Runtime[AccreditationSettings]
