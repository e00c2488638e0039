"""A suspended hospital: what the invitation service does while it is suspended and after. Pure.

An operator suspends a hospital at the gateway (`TenantConfigured.suspended`): its people are
signed out and its links refused, nothing is deleted. This service then sends nothing for it, and
after the reactivation it does not make up for the time lost with a burst of stale mail:

- Invitations and report-ready mails wait (`held`) and go out after the reactivation: they are
  what the recipients need to take part or to read their report, and their links work again. An
  invitation for a round that closed in the meantime is skipped as always (`mail.due`).
- Reminders are not made up for. A scheduled reminder that came due before the reactivation is
  passed over (the next one of the schedule follows at its own time: `missed_reminder`), and a
  reminder queued before the suspension but not sent is dropped (`stale_reminder`): after weeks of
  silence, a person is not reminded of a link they had no means to use, let alone twice at once.

The tenant document records `suspended`, and of the latest suspension `suspended_at` and
`resumed_at` (the events' times, so a redelivered event writes the same).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

Document = Mapping[str, Any]


def is_suspended(tenant: Document | None) -> bool:
    return bool(tenant and tenant.get("suspended"))


def status_change(tenant: Document | None, suspended: bool, at: datetime) -> dict[str, Any]:
    """The fields to set for the status an event announces: the moments change only with the
    status (an event repeating the status, a redelivery or a rename, keeps them)."""
    change: dict[str, Any] = {"suspended": suspended}
    if suspended and not is_suspended(tenant):
        change["suspended_at"] = at
    elif not suspended and is_suspended(tenant):
        change["resumed_at"] = at
    return change


def reactivated(tenant: Document | None, suspended: bool) -> bool:
    """Whether an event announcing `suspended` reactivates this hospital (then held mail goes)."""
    return is_suspended(tenant) and not suspended


def _resumed_at(tenant: Document | None) -> datetime | None:
    value = (tenant or {}).get("resumed_at")
    return value if isinstance(value, datetime) else None


def _before(moment: datetime | None, other: datetime) -> bool:
    if moment is None:
        return False
    if (moment.tzinfo is None) != (other.tzinfo is None):  # the database gives naive UTC times
        moment, other = moment.replace(tzinfo=None), other.replace(tzinfo=None)
    return moment < other


def missed_reminder(due_at: datetime | None, tenant: Document | None) -> bool:
    """A scheduled reminder still pending that came due before the hospital's latest
    reactivation: it was due while nothing could be sent, and is passed over."""
    resumed = _resumed_at(tenant)
    return resumed is not None and not is_suspended(tenant) and _before(due_at, resumed)


def stale_reminder(queued_at: datetime | None, tenant: Document | None) -> bool:
    """A reminder (scheduled or by hand) queued before the hospital's latest reactivation and not
    sent: it was held by the suspension and is dropped."""
    resumed = _resumed_at(tenant)
    return resumed is not None and _before(queued_at, resumed)
