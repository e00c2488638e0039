"""Accreditation in GAIA: the rules. Pure: no I/O.

- An accreditation (what a session, or every session of a series, refers to): the GAIA
  activity number (ID-nummer, digits), the points, the association (vereniging) that accredited
  it, the period it is valid for (GAIA gives an ID-nummer for about a year), and, only when this
  accreditation differs from its association's rule, the days after the session by which the
  attendance is to be entered.
- The hospital's associations (wetenschappelijke verenigingen) with their deadline in days: an
  accreditation naming one (in any case, spacing) takes its deadline; 6 weeks when none is set.
- Per participant who attended the whole session, a registration status: to register,
  registered (with the date it was entered in GAIA), refused (with GAIA's reason). GAIA takes
  only the full hours of an activity: a partial attendee is not registered but gets a
  certificate with their hours present.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, Literal

from spiegel_platform.errors import Text
from spiegel_platform.names import is_hidden_control

from spiegel_accreditation.sessions.model import PACKAGE, RuleError

TO_REGISTER = "to_register"
REGISTERED = "registered"
REFUSED = "refused"
REGISTRATION_STATUSES = (TO_REGISTER, REGISTERED, REFUSED)
RegistrationStatus = Literal["to_register", "registered", "refused"]

DEFAULT_DEADLINE_DAYS = 42  # 6 weeks, the common association rule
MAX_DEADLINE_DAYS = 366
MAX_VALIDITY_DAYS = 2 * 366  # an ID-nummer is valid for about a year; two is a typing error beyond
MAX_POINTS = 100
MAX_ASSOCIATION = 200
MAX_REASON = 500
ACTIVITY_NUMBER = re.compile(r"^[0-9]{1,12}$")


def _text(key: str, **params: object) -> Text:
    return Text(key, package=PACKAGE, **params)


@dataclass(frozen=True)
class AccreditationRecord:
    activity_number: str
    points: float
    association: str
    valid_from: date
    valid_until: date
    deadline_days: int | None  # None: the association's deadline, else the default
    provider: str = ""  # the provider (aanbieder) as GAIA knows it: the hospital, its academy

    def document(self) -> dict[str, Any]:
        return {
            "activity_number": self.activity_number,
            "points": self.points,
            "association": self.association,
            "valid_from": self.valid_from.isoformat(),
            "valid_until": self.valid_until.isoformat(),
            "deadline_days": self.deadline_days,
            "provider": self.provider,
        }


def _plain(value: str, field: str, limit: int, *, required: bool = True) -> str:
    value = (value or "").strip()
    if required and not value:
        raise RuleError(field, _text("gaia.required"))
    if len(value) > limit:
        raise RuleError(field, _text("gaia.too_long", limit=limit))
    if any(is_hidden_control(c) or c in "\r\n\t" for c in value):
        raise RuleError(field, _text("gaia.control_characters"))
    return value


def check_accreditation(
    activity_number: str,
    points: float,
    association: str,
    valid_from: date,
    valid_until: date,
    deadline_days: int | None,
    provider: str = "",
    *,
    session_day: date | None,
) -> AccreditationRecord:
    """The record, or a RuleError naming the field. `session_day`: the day of the session it is
    set for (it must fall within the period); None for a series (each session is checked when
    exported)."""
    number = re.sub(r"[\s.]", "", activity_number or "")
    if not number:
        raise RuleError("activity_number", _text("gaia.required"))
    if not ACTIVITY_NUMBER.match(number):
        raise RuleError("activity_number", _text("gaia.activity_number_digits"))
    if not (0 < points <= MAX_POINTS) or round(points * 2) != points * 2:
        raise RuleError("points", _text("gaia.points", limit=MAX_POINTS))
    name = _plain(association, "association", MAX_ASSOCIATION)
    if valid_until < valid_from:
        raise RuleError("valid_until", _text("gaia.period_order"))
    if (valid_until - valid_from).days > MAX_VALIDITY_DAYS:
        raise RuleError("valid_until", _text("gaia.period_too_long", days=MAX_VALIDITY_DAYS))
    if session_day is not None and not (valid_from <= session_day <= valid_until):
        raise RuleError("valid_from", _text("gaia.session_outside_period", day=session_day.isoformat()))
    if deadline_days is not None:
        check_deadline_days(deadline_days)
    by = _plain(provider, "provider", MAX_ASSOCIATION, required=False)
    return AccreditationRecord(number, float(points), name, valid_from, valid_until, deadline_days, by)


def check_deadline_days(days: int) -> int:
    if not (1 <= days <= MAX_DEADLINE_DAYS):
        raise RuleError("deadline_days", _text("gaia.deadline_days", limit=MAX_DEADLINE_DAYS))
    return days


# -- the associations ------------------------------------------------------------------------
DEADLINE_OWN = "accreditation"  # set on the accreditation itself
DEADLINE_ASSOCIATION = "association"  # the hospital's rule for its association
DEADLINE_DEFAULT = "default"  # neither: 6 weeks


@dataclass(frozen=True)
class Association:
    name: str
    deadline_days: int

    @property
    def key(self) -> str:
        return association_key(self.name)


def association_key(name: str) -> str:
    """One association however it is typed: case and spacing do not make another one (the id of
    its document; a hash, so any name makes a plain id)."""
    plain = " ".join((name or "").split()).casefold()
    return hashlib.sha256(plain.encode()).hexdigest()[:24]


def check_association(name: str, deadline_days: int) -> Association:
    """An association's deadline rule, or a RuleError naming the field (`name`, `deadline_days`)."""
    cleaned = " ".join(_plain(name, "name", MAX_ASSOCIATION).split())
    return Association(cleaned, check_deadline_days(deadline_days))


def deadline_days_of(
    own: int | None, association: int | None, default: int = DEFAULT_DEADLINE_DAYS
) -> tuple[int, str]:
    """The deadline in days of an accreditation and where it comes from: its own, else its
    association's, else the default (6 weeks)."""
    if own is not None:
        return int(own), DEADLINE_OWN
    if association is not None:
        return int(association), DEADLINE_ASSOCIATION
    return default, DEADLINE_DEFAULT


def deadline(ends_at: datetime, deadline_days: int) -> date:
    """The last day to enter a session's attendance in GAIA."""
    return (ends_at + timedelta(days=deadline_days)).date()


def remind_on_deadline_day(first_reminded_on: date, due: date, today: date) -> bool:
    """Whether the coordinators get a second reminder: on the deadline day itself, when the first
    came on an earlier day (a first reminder on the deadline day is the only one: two mails of
    the same thing on one day tell nothing new)."""
    return today == due and first_reminded_on < today


@dataclass(frozen=True)
class Registration:
    status: str
    registered_on: date | None
    reason: str


def check_registration(
    status: str, registered_on: date | None, reason: str, *, session_day: date, today: date
) -> Registration:
    if status not in REGISTRATION_STATUSES:
        raise RuleError("status", _text("gaia.status_unknown"))
    if status == REGISTERED:
        day = registered_on or today
        if day > today:
            raise RuleError("registered_on", _text("gaia.registered_in_future"))
        if day < session_day:
            raise RuleError("registered_on", _text("gaia.registered_before_session"))
        return Registration(REGISTERED, day, "")
    if status == REFUSED:
        return Registration(REFUSED, None, _plain(reason, "reason", MAX_REASON))
    return Registration(TO_REGISTER, None, "")
