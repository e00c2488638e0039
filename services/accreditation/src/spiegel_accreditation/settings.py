from pydantic import Field
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
    # The facilitator's notes are due 5 working days after the session; Dutch public holidays
    # are not working days unless this is off (notes/model.py).
    notes_due_skip_holidays: bool = True
    # How often the consumer process looks for notes past their due date (notes/reminders.py).
    notes_reminder_interval_s: float = Field(60.0, ge=0.1, le=3600)


# The runtime of this service: `runtime.settings` is an AccreditationSettings (typed, no casts).
AccreditationRuntime = Runtime[AccreditationSettings]
